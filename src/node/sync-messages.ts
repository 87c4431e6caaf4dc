import type { Block, Commit } from '../chain/types.js';
import { isHex } from '../util/hex.js';

/** Request/response bodies of the `status` and `blocks` protocols (JSON), validated at the edge. */
export interface StatusResponse {
  height: number;
  hash: string;
}

export interface BlocksRequest {
  from: number;
  count: number;
}

export interface SyncedBlock {
  block: Block;
  commit: Commit;
}

export const MAX_BLOCKS_PER_REQUEST = 200;

function obj(raw: unknown, what: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${what} must be an object`);
  return raw as Record<string, unknown>;
}

const uint = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

export function decodeJson(bytes: Uint8Array): unknown {
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
}

export function encodeJson(v: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(v));
}

export function parseStatus(raw: unknown): StatusResponse {
  const o = obj(raw, 'status');
  if (!uint(o.height) || !isHex(o.hash, 32)) throw new Error('status must be {height: uint, hash: 64 hex}');
  return { height: o.height, hash: o.hash };
}

export function parseBlocksRequest(raw: unknown): BlocksRequest {
  const o = obj(raw, 'blocks request');
  if (!uint(o.from) || o.from < 1 || !uint(o.count) || o.count < 1 || o.count > MAX_BLOCKS_PER_REQUEST) {
    throw new Error(`blocks request must be {from >= 1, count 1..${MAX_BLOCKS_PER_REQUEST}}`);
  }
  return { from: o.from, count: o.count };
}

/** Shape only; the chain service validates contents, the commit certificate and execution. */
export function parseBlocksResponse(raw: unknown): SyncedBlock[] {
  const o = obj(raw, 'blocks response');
  if (!Array.isArray(o.blocks)) throw new Error('blocks response must carry a blocks list');
  return o.blocks.map((b, i) => {
    const e = obj(b, `blocks[${i}]`);
    const block = obj(e.block, `blocks[${i}].block`);
    obj(block.header, `blocks[${i}].block.header`);
    if (!Array.isArray(block.txs)) throw new Error(`blocks[${i}].block.txs must be a list`);
    obj(e.commit, `blocks[${i}].commit`);
    return { block: block as unknown as Block, commit: e.commit as unknown as Commit };
  });
}
