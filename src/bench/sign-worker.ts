import { parentPort, workerData } from 'node:worker_threads';
import { sign } from '../chain/ed25519.js';
import { txBody, txHashBytes } from '../chain/tx.js';
import type { TxBody } from '../chain/types.js';

/**
 * Signs a slice of the load: for each body, the tx hash (hex) and the wire tx as a
 * JSON string (what tx_send carries), so the senders only concatenate strings.
 */
export interface SignJob { bodies: TxBody[]; secretKeys: string[] }
export interface SignResult { hashes: string[]; jsons: string[] }

const job = workerData as SignJob;
const hashes: string[] = new Array(job.bodies.length);
const jsons: string[] = new Array(job.bodies.length);
job.bodies.forEach((b, i) => {
  const body = txBody(b);
  const h = txHashBytes(body);
  hashes[i] = h.toString('hex');
  jsons[i] = JSON.stringify({ ...body, sig: sign(job.secretKeys[i]!, h) });
});
parentPort!.postMessage({ hashes, jsons } satisfies SignResult);
