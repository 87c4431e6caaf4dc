import { resolve, join } from 'node:path';
import { createNetwork, joinNetwork } from '../../node/home.js';
import { CHAIN_ID_RE, ORG_ID_RE } from '../../chain/state/schema.js';
import { hostPortFlag, intFlag, parse, requireFlag, strFlag, UsageError } from '../args.js';


/**
 * `medledger init`: keys and genesis for a new single-org network in one home, or with
 * `--genesis FILE` a home that joins an existing network (admitted later by governance).
 */
export async function init(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    home: { type: 'string' }, 'chain-id': { type: 'string' }, org: { type: 'string' }, 'org-name': { type: 'string' },
    rpc: { type: 'string' }, p2p: { type: 'string' }, genesis: { type: 'string' }, peers: { type: 'string' },
  });
  const home = resolve(requireFlag(values.home, 'home'));
  const genesisFile = strFlag(values.genesis, 'genesis');
  if (genesisFile !== undefined) {
    if (values['chain-id'] !== undefined) throw new UsageError('--chain-id comes from --genesis when joining; give one or the other');
    const peers = (strFlag(values.peers, 'peers') ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    if (peers.some((x) => !x.startsWith('/'))) throw new UsageError('--peers takes multiaddrs like /ip4/10.0.0.5/tcp/8646/p2p/<peerId>, comma-separated');
    const j = await joinNetwork(home, resolve(genesisFile), {
      rpc: hostPortFlag(values.rpc, 'rpc') ?? { host: '127.0.0.1', port: 8645 },
      p2p: hostPortFlag(values.p2p, 'p2p') ?? { host: '127.0.0.1', port: 8646 },
      peers,
    });
    process.stdout.write(JSON.stringify({ home, chainId: j.genesis.chainId, peerId: j.peerId, admin: j.admin, authority: j.authority, next: 'ask the authorities to vote addOrg (admin) and addAuthority or addNode (authority, peerId) for this node' }, null, 2) + '\n');
    return 0;
  }
  const chainId = requireFlag(values['chain-id'], 'chain-id');
  if (!CHAIN_ID_RE.test(chainId)) throw new UsageError('--chain-id must be 1-64 characters of [A-Za-z0-9._-]');
  const org = strFlag(values.org, 'org') ?? 'org0';
  if (!ORG_ID_RE.test(org)) throw new UsageError('--org must match [a-z0-9-]{2,32}');
  const rpc = hostPortFlag(values.rpc, 'rpc') ?? { host: '127.0.0.1', port: 8645 };
  const p2p = hostPortFlag(values.p2p, 'p2p') ?? { host: '127.0.0.1', port: 8646 };
  const net = await createNetwork(chainId, [{ home, org, orgName: strFlag(values['org-name'], 'org-name') ?? org, rpc, p2p }]);
  const n = net.nodes[0]!;
  process.stdout.write(JSON.stringify({ home, chainId, org, peerId: n.peerId, admin: n.admin, authority: n.authority, adminKey: join(home, 'keys/admin.json'), authorityKey: join(home, 'keys/authority.json') }, null, 2) + '\n');
  return 0;
}

/** `medledger testnet --nodes N --out DIR`: N homes, one org and one authority each, peers wired on loopback. */
export async function testnet(argv: string[]): Promise<number> {
  const { values } = parse(argv, { nodes: { type: 'string' }, out: { type: 'string' }, 'chain-id': { type: 'string' }, 'base-port': { type: 'string' } });
  const nodes = intFlag(values.nodes, 'nodes', 4, 1, 64);
  const out = resolve(requireFlag(values.out, 'out'));
  const chainId = strFlag(values['chain-id'], 'chain-id') ?? 'medledger-testnet';
  if (!CHAIN_ID_RE.test(chainId)) throw new UsageError('--chain-id must be 1-64 characters of [A-Za-z0-9._-]');
  const base = intFlag(values['base-port'], 'base-port', 8645, 1024, 65000);
  const specs = Array.from({ length: nodes }, (_, i) => ({
    home: join(out, `node${i}`), org: `org${i}`, orgName: `Hospital ${i}`,
    rpc: { host: '127.0.0.1', port: base + 2 * i }, p2p: { host: '127.0.0.1', port: base + 2 * i + 1 },
  }));
  const net = await createNetwork(chainId, specs);
  process.stdout.write(JSON.stringify({ chainId, nodes: net.nodes.map((n, i) => ({ home: n.home, rpc: `http://127.0.0.1:${specs[i]!.rpc.port}`, peerId: n.peerId, authority: n.authority })) }, null, 2) + '\n');
  return 0;
}
