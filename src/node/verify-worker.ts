import { parentPort } from 'node:worker_threads';
import { verify } from '../chain/ed25519.js';

/** One verify job: `items` is [account hex, message hex, signature hex] per signature. */
export interface VerifyJob {
  id: number;
  items: Array<[string, string, string]>;
}

/** The verdicts of one job, in its order: 1 = the signature verifies. */
export interface VerifyResult {
  id: number;
  results: Uint8Array;
}

/** Worker side of VerifyPool: Ed25519 verification (chain/ed25519 `verify`, libsodium) with its own key cache. */
parentPort?.on('message', (job: VerifyJob) => {
  const results = new Uint8Array(job.items.length);
  for (let i = 0; i < job.items.length; i++) {
    const [account, msg, sig] = job.items[i]!;
    results[i] = verify(account, Buffer.from(msg, 'hex'), sig) ? 1 : 0;
  }
  const reply: VerifyResult = { id: job.id, results };
  parentPort!.postMessage(reply, [results.buffer]);
});
