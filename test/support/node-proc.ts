import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');

export function tempDir(prefix = 'ml-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface NodeProc {
  proc: ChildProcess;
  rpcUrl: string;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** The signal that ended the process, once it has exited by one. */
  signal: () => NodeJS.Signals | null;
}

/** Runs `medledger <args>` to completion. */
export function runCli(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env: { ...process.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => { p.kill('SIGKILL'); rej(new Error(`medledger ${args.join(' ')} timed out\n${stderr}`)); }, opts.timeoutMs ?? 30_000);
    p.on('exit', (code) => { clearTimeout(t); res({ code, stdout, stderr }); });
  });
}

/** Starts `medledger start` as a real process and waits for its RPC address. */
export function startNodeProc(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<NodeProc> {
  return new Promise((res, rej) => {
    const proc = spawn(process.execPath, [CLI, 'start', ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let signal: NodeJS.Signals | null = null;
    const exited = new Promise<number | null>((r) => proc.on('exit', (code, sig) => { signal = sig; r(code); }));
    const timer = setTimeout(() => { proc.kill('SIGKILL'); rej(new Error(`node did not start in time\nstdout: ${out}\nstderr: ${err}`)); }, opts.timeoutMs ?? 20_000);
    let started = false;
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /RPC: (https?:\/\/[^\s]+)/.exec(out);
      if (m && !started) {
        started = true;
        clearTimeout(timer);
        res({
          proc, rpcUrl: m[1]!, stdout: () => out, stderr: () => err, exited, signal: () => signal,
          stop: async () => { proc.kill('SIGTERM'); return exited; },
          kill9: async () => { proc.kill('SIGKILL'); await exited; },
        });
      }
    });
    proc.stderr!.on('data', (d) => (err += d));
    void exited.then((code) => {
      if (!started) { clearTimeout(timer); rej(new Error(`node exited with ${code} before starting\nstdout: ${out}\nstderr: ${err}`)); }
    });
  });
}

let nextId = 1;

/** One JSON-RPC call; returns the whole response object ({result} or {error}). */
export async function rpc(url: string, method: string, params?: Record<string, unknown>): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }) });
  return res.json();
}

/** A call that must succeed; returns its result. */
export async function call(url: string, method: string, params?: Record<string, unknown>): Promise<any> {
  const r = await rpc(url, method, params);
  if (r.error) throw new Error(`${method}: ${JSON.stringify(r.error)}`);
  return r.result;
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
