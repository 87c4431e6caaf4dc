import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateKeyPair } from '../chain/ed25519.js';
import { DEFAULT_PARAMS, validateGenesis } from '../chain/genesis.js';
import type { Genesis } from '../chain/types.js';
import { generateNodeKey, serializeNodeKey } from '../p2p/node-key.js';
import { writeKeyFile } from './keyfile.js';
import { readJsonFile } from '../util/json.js';

/** The files of a node home (SPEC §6). */
export interface HomePaths {
  home: string;
  genesis: string;
  config: string;
  nodeKey: string;
  keysDir: string;
  adminKey: string;
  authorityKey: string;
  /** LevelDB directory. */
  data: string;
  /** Last-signed consensus step, for double-sign protection across crashes. */
  signerState: string;
  /** Final blocks whose LevelDB batch may not be written yet (replayed at start). */
  blockLog: string;
}

export function homePaths(home: string): HomePaths {
  const h = resolve(home);
  return {
    home: h,
    genesis: join(h, 'genesis.json'),
    config: join(h, 'config.json'),
    nodeKey: join(h, 'node-key.json'),
    keysDir: join(h, 'keys'),
    adminKey: join(h, 'keys', 'admin.json'),
    authorityKey: join(h, 'keys', 'authority.json'),
    data: join(h, 'data'),
    signerState: join(h, 'data', 'signer-state.json'),
    blockLog: join(h, 'data', 'block-log'),
  };
}

export function hasChain(home: string): boolean {
  return existsSync(homePaths(home).genesis);
}

export function readGenesis(path: string): Genesis {
  let raw: unknown;
  try {
    raw = readJsonFile(path);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  try {
    return validateGenesis(raw);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

/** A home's org admin, authority and libp2p node keys, written with mode 0600. */
async function writeHomeKeys(p: HomePaths) {
  mkdirSync(p.keysDir, { recursive: true, mode: 0o700 });
  const admin = generateKeyPair();
  const authority = generateKeyPair();
  writeKeyFile(p.adminKey, admin);
  writeKeyFile(p.authorityKey, authority);
  const nodeKey = await generateNodeKey();
  writeFileSync(p.nodeKey, serializeNodeKey(nodeKey), { mode: 0o600 });
  return { admin, authority, nodeKey };
}

export interface NodeSpec {
  home: string;
  org: string;
  orgName: string;
  rpc: { host: string; port: number };
  p2p: { host: string; port: number };
}

export interface CreatedNetwork {
  genesis: Genesis;
  nodes: Array<{ home: string; peerId: string; admin: string; authority: string; multiaddr: string }>;
}

/**
 * Keys and genesis for a new network: one org, one admin and one authority per node,
 * every config listing the other nodes as peers. Used by the dev chain (one node),
 * `medledger init` and `medledger testnet`. Refuses to overwrite an existing home.
 */
export async function createNetwork(chainId: string, specs: NodeSpec[], time = Date.now()): Promise<CreatedNetwork> {
  for (const s of specs) {
    if (existsSync(homePaths(s.home).genesis)) throw new Error(`${s.home} already holds a chain (genesis.json exists); refusing to overwrite it`);
  }
  const nodes: CreatedNetwork['nodes'] = [];
  for (const s of specs) {
    const p = homePaths(s.home);
    const { admin, authority, nodeKey } = await writeHomeKeys(p);
    nodes.push({ home: p.home, peerId: nodeKey.peerId, admin: admin.account, authority: authority.account, multiaddr: `/ip4/${s.p2p.host}/tcp/${s.p2p.port}/p2p/${nodeKey.peerId}` });
  }
  const genesis = validateGenesis({
    chainId,
    time,
    orgs: specs.map((s, i) => ({ org: s.org, name: s.orgName, admins: [nodes[i]!.admin] })),
    authorities: specs.map((s, i) => ({ account: nodes[i]!.authority, org: s.org, nodeId: nodes[i]!.peerId })),
    params: DEFAULT_PARAMS,
  });
  specs.forEach((s, i) => {
    const p = homePaths(s.home);
    writeFileSync(p.genesis, JSON.stringify(genesis, null, 2) + '\n');
    const config = {
      rpc: { host: s.rpc.host, port: s.rpc.port },
      p2p: { host: s.p2p.host, port: s.p2p.port, peers: nodes.filter((_, j) => j !== i).map((n) => n.multiaddr) },
    };
    writeFileSync(p.config, JSON.stringify(config, null, 2) + '\n');
  });
  return { genesis, nodes };
}

/**
 * A home that joins an existing network: the consortium's genesis, fresh admin,
 * authority and node keys, and the given peers. The consortium then admits it by
 * governance (addOrg with the admin, addAuthority or addNode with the keys printed).
 */
export async function joinNetwork(home: string, genesisPath: string, spec: { rpc: { host: string; port: number }; p2p: { host: string; port: number }; peers: string[] }) {
  const p = homePaths(home);
  if (existsSync(p.genesis)) throw new Error(`${home} already holds a chain (genesis.json exists); refusing to overwrite it`);
  const genesis = readGenesis(genesisPath);
  const { admin, authority, nodeKey } = await writeHomeKeys(p);
  writeFileSync(p.genesis, JSON.stringify(genesis, null, 2) + '\n');
  writeFileSync(p.config, JSON.stringify({ rpc: spec.rpc, p2p: { ...spec.p2p, peers: spec.peers } }, null, 2) + '\n');
  return { genesis, peerId: nodeKey.peerId, admin: admin.account, authority: authority.account };
}
