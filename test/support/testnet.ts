import { join } from 'node:path';
import { call, runCli, startNodeProc, tempDir, type NodeProc } from './node-proc.js';
import { freeBasePort } from './ports.js';

export interface Testnet {
  dir: string;
  homes: string[];
  nodes: Array<NodeProc | null>;
  urls: string[];
  start(i: number): Promise<NodeProc>;
  stopAll(): Promise<void>;
}

/** `medledger testnet` on a random port range, every node a real process. */
export async function createTestnet(n: number, chainId = 'medledger-e2e'): Promise<Testnet> {
  const dir = tempDir('ml-net-');
  const base = await freeBasePort(2 * n);
  const r = await runCli(['testnet', '--nodes', String(n), '--out', dir, '--chain-id', chainId, '--base-port', String(base)]);
  if (r.code !== 0) throw new Error(`testnet failed: ${r.stderr}`);
  const homes = Array.from({ length: n }, (_, i) => join(dir, `node${i}`));
  const net: Testnet = {
    dir,
    homes,
    nodes: homes.map(() => null),
    urls: homes.map((_, i) => `http://127.0.0.1:${base + 2 * i}`),
    async start(i) {
      const p = await startNodeProc(['--home', homes[i]!, '--log-level', process.env.E2E_LOG ?? 'warn'], { timeoutMs: 30_000 });
      net.nodes[i] = p;
      return p;
    },
    async stopAll() {
      await Promise.all(net.nodes.map(async (p, i) => {
        if (p && p.proc.exitCode === null) await p.stop();
        net.nodes[i] = null;
      }));
    },
  };
  return net;
}

export async function heads(urls: string[]): Promise<number[]> {
  return Promise.all(urls.map(async (u) => (await call(u, 'chain_head')).header.height as number));
}
