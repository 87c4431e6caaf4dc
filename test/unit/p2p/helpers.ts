import { pino, type Logger } from 'pino';
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@libp2p/yamux';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { createNetwork, generateNodeKey, type Network, type NetworkInternals, type NetworkOptions, type NodeKey } from '../../../src/p2p/index.js';

type PeerEncrypter = NonNullable<Libp2pOptions['connectionEncrypters']>[number];

export const CHAIN = 'medledger-test';
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await sleep(25);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface LogLine { level: number; msg: string; peer?: string; [k: string]: unknown }

/** A pino logger that keeps every line (debug and up) for assertions. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s) as LogLine); } });
  return { logger, lines };
}

export class Cluster {
  readonly nets: Network[] = [];

  async keys(n: number): Promise<NodeKey[]> {
    return Promise.all(Array.from({ length: n }, () => generateNodeKey()));
  }

  async node(key: NodeKey, o: Partial<NetworkOptions> & { logger?: Logger; internals?: NetworkInternals } = {}): Promise<Network> {
    const { logger, internals, ...rest } = o;
    const net = await createNetwork({
      chainId: CHAIN,
      listen: '127.0.0.1:0',
      peers: [],
      privateKey: key.privateKey,
      allowedPeers: [],
      requestTimeoutMs: 3_000,
      ...rest,
    }, logger ?? captureLogger().logger, internals);
    this.nets.push(net);
    await net.start();
    return net;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.nets.map((n) => n.stop().catch(() => undefined)));
    this.nets.length = 0;
  }
}

export function addrOf(net: Network): string {
  const a = net.listenAddrs().find((s) => s.startsWith('/ip4/127.0.0.1/tcp/'));
  if (a === undefined) throw new Error(`no 127.0.0.1 address in ${net.listenAddrs().join(', ')}`);
  return a;
}

/** Collects gossip per topic on a node, accepting everything unless `verdict` says otherwise. */
export function collect(net: Network, verdict: (s: string) => 'accept' | 'ignore' | 'reject' = () => 'accept') {
  const seen: Record<'tx' | 'consensus', string[]> = { tx: [], consensus: [] };
  for (const t of ['tx', 'consensus'] as const) {
    net.onGossip(t, (data) => {
      const s = dec(data);
      seen[t].push(s);
      return verdict(s);
    });
  }
  return seen;
}

let probeSeq = 0;
/**
 * Gossip needs identify + subscription exchange (and mesh grafting for relays) before a
 * message can flow: publish fresh probes until `seen` shows one arrived.
 */
export async function warmUp(from: Network, topic: 'tx' | 'consensus', seen: () => string[], timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    from.publish(topic, enc(`probe-${probeSeq++}-${Math.random()}`));
    const until = Date.now() + 300;
    while (Date.now() < until) {
      if (seen().some((s) => s.startsWith('probe-'))) return;
      await sleep(20);
    }
  }
  throw new Error(`gossip on ${topic} never arrived`);
}

/** A bare libp2p peer on the installed stack (tcp, the given Noise encrypter, yamux) listening on loopback, not yet connected. */
export async function rawPeer(encrypter: PeerEncrypter = noise()): Promise<Libp2p> {
  return createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [encrypter],
    streamMuxers: [yamux()],
  });
}
