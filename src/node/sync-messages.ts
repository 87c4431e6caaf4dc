import type { Block, Commit } from '../chain/types.js';
import { isHex } from '../util/hex.js';
import { isObject } from '../util/json.js';

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

/** A peer's sync message that breaks the protocol: the peer's fault (penalised), unlike a timeout. */
export class SyncProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SyncProtocolError';
  }
}

function obj(raw: unknown, what: string): Record<string, unknown> {
  if (!isObject(raw)) throw new SyncProtocolError(`${what} must be an object`);
  return raw as Record<string, unknown>;
}

const uint = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

export function decodeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new SyncProtocolError(`not JSON: ${(err as Error).message}`);
  }
}

export function encodeJson(v: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(v));
}

export function parseStatus(raw: unknown): StatusResponse {
  const o = obj(raw, 'status');
  if (!uint(o.height) || !isHex(o.hash, 32)) throw new SyncProtocolError('status must be {height: uint, hash: 64 hex}');
  return { height: o.height, hash: o.hash };
}

export function parseBlocksRequest(raw: unknown): BlocksRequest {
  const o = obj(raw, 'blocks request');
  if (!uint(o.from) || o.from < 1 || !uint(o.count) || o.count < 1 || o.count > MAX_BLOCKS_PER_REQUEST) {
    throw new SyncProtocolError(`blocks request must be {from >= 1, count 1..${MAX_BLOCKS_PER_REQUEST}}`);
  }
  return { from: o.from, count: o.count };
}

/**
 * Shape only (the chain service validates contents, the commit certificate and
 * execution): at most `count` blocks, consecutive from `from`.
 */
export function parseBlocksResponse(raw: unknown, from: number, count: number): SyncedBlock[] {
  const o = obj(raw, 'blocks response');
  if (!Array.isArray(o.blocks)) throw new SyncProtocolError('blocks response must carry a blocks list');
  if (o.blocks.length > count) throw new SyncProtocolError(`blocks response has ${o.blocks.length} blocks, ${count} were asked for`);
  return o.blocks.map((b, i) => {
    const e = obj(b, `blocks[${i}]`);
    const block = obj(e.block, `blocks[${i}].block`);
    const header = obj(block.header, `blocks[${i}].block.header`);
    if (header.height !== from + i) throw new SyncProtocolError(`blocks[${i}] is at height ${String(header.height)}, expected ${from + i}`);
    if (!Array.isArray(block.txs)) throw new SyncProtocolError(`blocks[${i}].block.txs must be a list`);
    obj(e.commit, `blocks[${i}].commit`);
    return { block: block as unknown as Block, commit: e.commit as unknown as Commit };
  });
}
