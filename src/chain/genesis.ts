import type { Authority, ChainParams, Genesis, GenesisOrg, Header } from './types.js';
import { checkPublicKey } from './ed25519.js';
import { blockHash, txRootOf, validatorsHash, ZERO_HASH } from './block.js';
import {
  GENESIS_PREV_ROOT, Overlay, CHAIN_ID_RE, ORG_ID_RE, NODE_ID_PATTERN, NODE_ID_RE, PATTERN_PROBLEMS, putAccount, putAuthorities, putNodes, putOrg, stateRootEncoded,
  type StateWrites,
} from './state/index.js';
import { isObject } from '../util/json.js';

/** Chain parameters when genesis.json sets none (SPEC §3, §4). */
export const DEFAULT_PARAMS: Readonly<ChainParams> = Object.freeze({
  maxBlockTxs: 5000,
  maxTxBytes: 65536,
  maxBlockBytes: 3 * 1024 * 1024,
  timeoutProposeMs: 3000,
  timeoutDeltaMs: 500,
  emptyBlockIntervalMs: 0,
});

/** Accepted range of each parameter (inclusive). maxTxBytes may not exceed SPEC's 64 KiB. */
export const PARAM_RANGES: Readonly<Record<keyof ChainParams, readonly [number, number]>> = {
  maxBlockTxs: [1, 100_000],
  maxTxBytes: [1024, 65536],
  maxBlockBytes: [65536, 3 * 1024 * 1024],
  timeoutProposeMs: [10, 600_000],
  timeoutDeltaMs: [0, 600_000],
  emptyBlockIntervalMs: [0, 86_400_000],
};

class GenesisError extends Error {
  constructor(field: string, problem: string) {
    super(`genesis.${field}: ${problem}`);
    this.name = 'GenesisError';
  }
}


function obj(v: unknown, field: string, allowed?: readonly string[]): Record<string, unknown> {
  if (!isObject(v)) throw new GenesisError(field, 'must be an object');
  if (allowed !== undefined) {
    for (const k of Object.keys(v)) if (!allowed.includes(k)) throw new GenesisError(`${field}.${k}`, 'unknown field');
  }
  return v;
}

function str(v: unknown, field: string, re?: RegExp, problem?: string): string {
  if (typeof v !== 'string') throw new GenesisError(field, 'must be a string');
  if (re !== undefined && !re.test(v)) throw new GenesisError(field, problem ?? `must match ${re.source}`);
  return v;
}

function arr(v: unknown, field: string, min: number): unknown[] {
  if (!Array.isArray(v)) throw new GenesisError(field, 'must be an array');
  if (v.length < min) throw new GenesisError(field, `must have at least ${min} item${min === 1 ? '' : 's'}`);
  return v;
}

function key(v: unknown, field: string): string {
  const k = str(v, field);
  const problem = checkPublicKey(k);
  if (problem !== null) throw new GenesisError(field, problem);
  return k;
}

function params(raw: unknown): ChainParams {
  if (raw === undefined) return { ...DEFAULT_PARAMS };
  const p = obj(raw, 'params', Object.keys(PARAM_RANGES));
  const out: ChainParams = { ...DEFAULT_PARAMS };
  for (const name of Object.keys(PARAM_RANGES) as Array<keyof ChainParams>) {
    const v = p[name];
    if (v === undefined) continue;
    const [lo, hi] = PARAM_RANGES[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new GenesisError(`params.${name}`, 'must be an integer');
    if (v < lo || v > hi) throw new GenesisError(`params.${name}`, `must be between ${lo} and ${hi}`);
    out[name] = v;
  }
  return out;
}

/**
 * Validates a parsed genesis.json (SPEC §6) and returns it normalised: known fields only,
 * params merged with DEFAULT_PARAMS. Unknown top-level fields are allowed (and dropped);
 * unknown fields inside orgs, authorities and params are refused (typos would otherwise
 * pass silently). Throws an Error whose message starts with the bad field's path.
 */
export function validateGenesis(raw: unknown): Genesis {
  const g = obj(raw, '(root)');
  const chainId = str(g.chainId, 'chainId', CHAIN_ID_RE, 'must be 1-64 characters of [A-Za-z0-9._-]');
  if (typeof g.time !== 'number' || !Number.isSafeInteger(g.time) || g.time < 0) {
    throw new GenesisError('time', 'must be a non-negative integer (ms since the Unix epoch)');
  }
  const accounts = new Set<string>();
  const fresh = (account: string, field: string): void => {
    // An account has exactly one role: it appears once in genesis.
    if (accounts.has(account)) throw new GenesisError(field, `account ${account} appears more than once`);
    accounts.add(account);
  };
  const orgs: GenesisOrg[] = arr(g.orgs, 'orgs', 1).map((v, i) => {
    const f = `orgs[${i}]`;
    const o = obj(v, f, ['org', 'name', 'admins']);
    const org = str(o.org, `${f}.org`, ORG_ID_RE, 'must be 2-32 characters of [a-z0-9-]');
    const name = str(o.name, `${f}.name`);
    if (name.length < 1 || name.length > 128) throw new GenesisError(`${f}.name`, 'must be 1-128 characters');
    const admins = arr(o.admins, `${f}.admins`, 1).map((a, j) => key(a, `${f}.admins[${j}]`));
    admins.forEach((a, j) => fresh(a, `${f}.admins[${j}]`));
    return { org, name, admins };
  });
  const orgIds = new Set<string>();
  orgs.forEach((o, i) => {
    if (orgIds.has(o.org)) throw new GenesisError(`orgs[${i}].org`, `org ${o.org} appears more than once`);
    orgIds.add(o.org);
  });
  const nodeIds = new Set<string>();
  const authorities: Authority[] = arr(g.authorities, 'authorities', 1).map((v, i) => {
    const f = `authorities[${i}]`;
    const a = obj(v, f, ['account', 'org', 'nodeId']);
    const account = key(a.account, `${f}.account`);
    fresh(account, `${f}.account`);
    const org = str(a.org, `${f}.org`);
    if (!orgIds.has(org)) throw new GenesisError(`${f}.org`, `org ${org} is not in genesis.orgs`);
    // The same peer-id rule as governance proposals, so every genesis node can later be named in one.
    const nodeId = str(a.nodeId, `${f}.nodeId`);
    if (nodeId.length === 0) throw new GenesisError(`${f}.nodeId`, 'must not be empty');
    if (!NODE_ID_RE.test(nodeId)) throw new GenesisError(`${f}.nodeId`, PATTERN_PROBLEMS[NODE_ID_PATTERN]!);
    if (nodeIds.has(nodeId)) throw new GenesisError(`${f}.nodeId`, `node ${nodeId} runs another authority`);
    nodeIds.add(nodeId);
    return { account, org, nodeId };
  });
  return { chainId, time: g.time, orgs, authorities, params: params(g.params) };
}

/**
 * The genesis state: each org with its admins, the admin and authority accounts
 * (nonce 0, height 0), the authority set (sorted by account) and the node list (the
 * authorities' nodes, sorted by node id).
 */
export function genesisState(g: Genesis): StateWrites {
  return genesisOverlay(g).writes();
}

function genesisOverlay(g: Genesis): Overlay {
  const w = new Overlay({ get: () => undefined });
  for (const o of g.orgs) {
    putOrg(w, { org: o.org, name: o.name, admins: [...o.admins] });
    for (const a of o.admins) putAccount(w, { account: a, role: 'admin', org: o.org, nonce: 0, revoked: false, height: 0 });
  }
  for (const a of g.authorities) {
    putAccount(w, { account: a.account, role: 'authority', org: a.org, nonce: 0, revoked: false, height: 0 });
  }
  putAuthorities(w, g.authorities.map((a) => ({ account: a.account, org: a.org, nodeId: a.nodeId })));
  putNodes(w, g.authorities.map((a) => ({ nodeId: a.nodeId, org: a.org })));
  return w;
}

/**
 * Height 0: no txs (txRoot = RFC 6962 empty tree = sha256("")), no proposer, prevHash
 * zeros, stateRoot over the genesis writes from 32 zero bytes, both validator hashes of
 * the genesis authorities.
 */
export function genesisBlock(g: Genesis): { header: Header; hash: string } {
  const vh = validatorsHash(g.authorities.map((a) => a.account));
  const header: Header = {
    chainId: g.chainId,
    height: 0,
    prevHash: ZERO_HASH,
    time: g.time,
    txRoot: txRootOf([]),
    stateRoot: stateRootEncoded(GENESIS_PREV_ROOT, genesisOverlay(g).encodedWrites()),
    proposer: '',
    validatorsHash: vh,
    nextValidatorsHash: vh,
  };
  return { header, hash: blockHash(header) };
}
