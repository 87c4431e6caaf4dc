import { Worker } from 'node:worker_threads';
import type { TxBody } from '../chain/types.js';
import type { SignJob, SignResult } from './sign-worker.js';

/** Signs the load on `threads` worker threads; results in the order of `bodies`. */
export async function signAll(bodies: TxBody[], secretKeys: string[], threads: number, signal?: AbortSignal): Promise<SignResult> {
  const n = Math.max(1, Math.min(threads, Math.ceil(bodies.length / 500)));
  const size = Math.ceil(bodies.length / n);
  const workers: Worker[] = [];
  const parts = await Promise.all(Array.from({ length: n }, (_, i) => new Promise<SignResult>((res, rej) => {
    const job: SignJob = { bodies: bodies.slice(i * size, (i + 1) * size), secretKeys: secretKeys.slice(i * size, (i + 1) * size) };
    const w = new Worker(new URL('./sign-worker.js', import.meta.url), { workerData: job });
    workers.push(w);
    const abort = (): void => void w.terminate().then(() => rej(new Error('aborted')));
    signal?.addEventListener('abort', abort, { once: true });
    w.once('message', (m: SignResult) => { signal?.removeEventListener('abort', abort); res(m); });
    w.once('error', rej);
    w.once('exit', (code) => { if (code !== 0) rej(new Error(`signing worker exited with code ${code}`)); });
  }))).finally(() => { for (const w of workers) void w.terminate(); });
  return { hashes: parts.flatMap((p) => p.hashes), jsons: parts.flatMap((p) => p.jsons) };
}
