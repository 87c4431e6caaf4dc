import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { call, tempDir, waitFor } from '../support/node-proc.js';
import { freeBasePort } from '../support/ports.js';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'devnet.mjs');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `npm run devnet` (scripts/devnet.mjs) with 2 nodes: both answer RPC, SIGTERM stops them and the script exits 0. */
describe('scripts/devnet.mjs', () => {
  const dir = tempDir('ml-devnet-');
  const pids: number[] = [];

  afterAll(() => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a 2-node network, starts both nodes, follows their logs and stops them all on SIGTERM', async () => {
    const out = join(dir, 'net');
    const base = await freeBasePort(4);
    const p = spawn(process.execPath, [SCRIPT, '--nodes', '2', '--out', out, '--base-port', String(base)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    try {
      const urls = await waitFor(async () => {
        const m = [...stdout.matchAll(/^devnet: node(\d+) RPC (\S+)/gm)];
        return m.length === 2 ? m.map((x) => x[2]!) : undefined;
      }, 30_000, 'the RPC URLs');
      expect(urls).toEqual([`http://127.0.0.1:${base}`, `http://127.0.0.1:${base + 2}`]);
      const started = await waitFor(async () => {
        const m = [...stdout.matchAll(/^node(\d+) +\| started, pid (\d+)/gm)];
        return m.length === 2 ? m.map((x) => Number(x[2])) : undefined;
      }, 10_000, 'both node processes');
      pids.push(...started);
      const heads = await waitFor(async () => {
        const hs = await Promise.all(urls.map((u) => call(u, 'chain_head')));
        return hs.every((h) => h.header.chainId === 'medledger-devnet') ? hs : undefined;
      }, 30_000, 'chain_head on both nodes');
      expect(heads.map((h) => h.header.height)).toEqual([0, 0]);
      // pino JSON lines come out short and prefixed, e.g. "node0 | 10:02:03.456 INFO  node started chainId=..."
      await waitFor(async () => /^node0 \| \d\d:\d\d:\d\d\.\d{3} INFO {2}node started /m.test(stdout) && /^node1 \| .*INFO {2}node started /m.test(stdout), 10_000, 'formatted log lines');
      expect(stdout).not.toMatch(/^node\d \| \{"level"/m);
      expect(existsSync(join(out, 'node0', 'node.log'))).toBe(true);

      p.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
      expect(code, `devnet did not stop cleanly\nstdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0);
      expect(stdout).toMatch(/^node0 \| stopped \(code 0\)/m);
      expect(stdout).toMatch(/^node1 \| stopped \(code 0\)/m);
      for (const pid of started) expect(alive(pid), `node process ${pid} still running`).toBe(false);
      await expect(call(urls[0]!, 'chain_head')).rejects.toThrow();
    } finally {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    }
  });

  it('formats pino JSON lines and passes other lines through', async () => {
    process.env.NO_COLOR = '1'; // the module decides on colours when loaded
    const mod = (await import(pathToFileURL(SCRIPT).href)) as { formatLine: (line: string) => string };
    const time = new Date(2025, 0, 2, 3, 4, 5, 67).getTime();
    const line = JSON.stringify({ level: 40, time, module: 'consensus', msg: 'invalid proposal', height: 7, proposer: 'ab'.repeat(32), err: 'time is 2500 ms away' });
    expect(mod.formatLine(line)).toBe(`03:04:05.067 WARN  consensus: invalid proposal height=7 proposer=${'ab'.repeat(6)}… err="time is 2500 ms away"`);
    expect(mod.formatLine('  RPC: http://127.0.0.1:8645')).toBe('  RPC: http://127.0.0.1:8645');
  });
});
