import { availableParallelism } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetwork, homePaths, type CreatedNetwork } from '../node/home.js';
import { readKeyFile } from '../node/keyfile.js';
import type { KeyPair } from '../chain/ed25519.js';
import { getText } from './rpc.js';

/**
 * The bench's network: a fresh testnet in a temp dir on free loopback ports, a
 * bench-friendly config.json per node, one `medledger start` process per node, and
 * their CPU and memory from /proc.
 */

export const CLI_PATH = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const CLK_TCK = 100;
const STOP_GRACE_MS = 12_000;

export interface BenchNode {
  index: number;
  home: string;
  url: string;
  org: string;
  admin: KeyPair;
  authority: KeyPair;
  proc: ChildProcess | null;
  logFile: string;
  exitCode: number | null | undefined;
  peakRssKB: number;
}

/** When the nodes start heights (config.json fields; absent = the node's default). */
export interface BlockPacing {
  blockWindowMs?: number;
  minBlockIntervalMs?: number;
}

/**
 * Config a node gets for the bench: room for the whole load in the mempool, and its
 * share of this machine's cores for signature workers (N nodes share one machine here,
 * unlike a real consortium where each node has its own: with 4 nodes on 2 cores, extra
 * threads only add hand-off cost).
 */
export function benchConfig(base: Record<string, unknown>, txs: number, nodes = 1, cpus = availableParallelism(), blocks: BlockPacing = {}): Record<string, unknown> {
  return {
    ...base,
    ...(blocks.blockWindowMs === undefined ? {} : { blockWindowMs: blocks.blockWindowMs }),
    ...(blocks.minBlockIntervalMs === undefined ? {} : { minBlockIntervalMs: blocks.minBlockIntervalMs }),
    logLevel: 'warn',
    verifyWorkers: Math.max(0, Math.floor(cpus / nodes) - 1),
    mempool: { maxTotal: Math.max(200_000, txs * 2), maxPerSender: Math.max(10_000, txs), maxNonceGap: Math.max(10_000, txs) },
  };
}

/** utime + stime of a process in seconds; null where /proc is unavailable. */
export function procCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) ": state is index 0, utime is field 14 overall -> index 11.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** A `kB` field of /proc/<pid>/status (VmHWM: peak RSS, VmRSS: current); null when unavailable. */
export function procStatusKB(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** `count` free TCP ports on 127.0.0.1 (bound then released; a small race is possible). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<import('node:net').Server>((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => res(s));
  })));
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export class Cluster {
  readonly nodes: BenchNode[] = [];
  failure: string | null = null;
  private rssTimer: NodeJS.Timeout | null = null;

  private constructor(readonly dir: string, readonly net: CreatedNetwork) {}

  /** Keys, genesis and configs for `n` nodes under `dir`. */
  static async create(dir: string, n: number, chainId: string, txs: number, blocks: BlockPacing = {}): Promise<Cluster> {
    const ports = await freePorts(2 * n);
    const specs = Array.from({ length: n }, (_, i) => ({
      home: join(dir, `node${i}`), org: `org${i}`, orgName: `Bench Hospital ${i}`,
      rpc: { host: '127.0.0.1', port: ports[2 * i]! }, p2p: { host: '127.0.0.1', port: ports[2 * i + 1]! },
    }));
    const net = await createNetwork(chainId, specs);
    const c = new Cluster(dir, net);
    specs.forEach((s, i) => {
      const p = homePaths(s.home);
      writeFileSync(p.config, JSON.stringify(benchConfig(JSON.parse(readFileSync(p.config, 'utf8')) as Record<string, unknown>, txs, specs.length, availableParallelism(), blocks), null, 2) + '\n');
      c.nodes.push({
        index: i, home: p.home, url: `http://127.0.0.1:${s.rpc.port}`, org: s.org,
        admin: readKeyFile(p.adminKey), authority: readKeyFile(p.authorityKey),
        proc: null, logFile: join(p.home, 'node.log'), exitCode: undefined, peakRssKB: 0,
      });
    });
    return c;
  }

  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /** Starts every node process; their output goes to HOME/node.log. */
  start(): void {
    for (const n of this.nodes) {
      if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: build first (npm run build)`);
      const fd = openSync(n.logFile, 'a');
      // MEDLEDGER_BENCH_NODE_ARGS passes node flags to every node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
      const nodeArgs = (process.env.MEDLEDGER_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
      const proc = spawn(process.execPath, [...nodeArgs, CLI_PATH, 'start', '--home', n.home, '--log-level', 'warn'], { stdio: ['ignore', fd, fd] });
      closeSync(fd);
      n.proc = proc;
      n.exitCode = undefined;
      proc.on('exit', (code, signal) => {
        n.exitCode = code;
        if (this.failure === null && !this.stopping) this.failure = `node ${n.index} exited (${signal ?? `code ${code}`}) during the bench; log tail:\n${this.logTail(n)}`;
      });
    }
    this.rssTimer = setInterval(() => this.sampleRss(), 1000);
    this.rssTimer.unref();
  }

  private stopping = false;

  /** Throws when a node process died. */
  check(): void {
    if (this.failure !== null) throw new Error(this.failure);
  }

  async waitHealthy(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const end = Date.now() + timeoutMs;
    const pending = new Set(this.nodes);
    let last = '';
    while (pending.size > 0) {
      this.check();
      signal?.throwIfAborted();
      for (const n of [...pending]) {
        try {
          const h = await getText(`${n.url}/health`);
          if (h.status === 200) pending.delete(n);
          else last = `node ${n.index}: ${h.text}`;
        } catch (err) {
          last = `node ${n.index}: ${(err as Error).message}`;
        }
      }
      if (pending.size === 0) break;
      if (Date.now() > end) throw new Error(`nodes not healthy after ${timeoutMs / 1000} s (${[...pending].map((n) => n.index).join(', ')} not ready; last: ${last})\n${[...pending].map((n) => `node ${n.index} log tail:\n${this.logTail(n)}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  logTail(n: BenchNode, bytes = 2000): string {
    try {
      const s = readFileSync(n.logFile, 'utf8');
      return s.slice(-bytes).trim() || '(empty)';
    } catch {
      return '(no log)';
    }
  }

  /** CPU seconds (utime+stime) of each node process; null where /proc is unavailable. */
  cpuSeconds(): Array<number | null> {
    return this.nodes.map((n) => (n.proc?.pid === undefined || n.exitCode !== undefined ? null : procCpuSeconds(n.proc.pid)));
  }

  private status(n: BenchNode, field: 'VmHWM' | 'VmRSS'): number | null {
    return n.proc?.pid === undefined || n.exitCode !== undefined ? null : procStatusKB(n.proc.pid, field);
  }

  sampleRss(): void {
    for (const n of this.nodes) n.peakRssKB = Math.max(n.peakRssKB, this.status(n, 'VmRSS') ?? 0);
  }

  /** Peak RSS in MB: VmHWM, or the highest VmRSS sampled. */
  peakRssMB(): Array<number | null> {
    this.sampleRss();
    return this.nodes.map((n) => {
      const kb = Math.max(this.status(n, 'VmHWM') ?? 0, n.peakRssKB);
      return kb > 0 ? Math.round(kb / 102.4) / 10 : null;
    });
  }

  /** SIGTERM every running node; SIGKILL those still running after the grace period. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.rssTimer) clearInterval(this.rssTimer);
    await Promise.all(this.nodes.map(async (n) => {
      const p = n.proc;
      if (!p || n.exitCode !== undefined || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }));
  }
}
