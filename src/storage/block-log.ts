import { createHash } from 'node:crypto';
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, writevSync } from 'node:fs';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Commit } from '../chain/types.js';

/** One final block as the log holds it: its stored form (`{hash, header, txs, txHashes}`) and its certificate. */
export interface LoggedBlock {
  height: number;
  /** The stored block's JSON, parsed: checked by its reader (node/block-log-replay.ts), not here. */
  block: unknown;
  commit: unknown;
}

/**
 * The file calls a record's write goes through (node:fs by default): a seam so tests can
 * make the disk fail.
 */
export interface BlockLogIo {
  openSync(path: string, flags: string, mode: number): number;
  writevSync(fd: number, buffers: readonly NodeJS.ArrayBufferView[], position: number): number;
  fdatasyncSync(fd: number): void;
  closeSync(fd: number): void;
  /** The directory's sync, after a record's file is created. */
  fsyncSync(fd: number): void;
}

const NODE_IO: BlockLogIo = { openSync, writevSync, fdatasyncSync, closeSync, fsyncSync };

/**
 * A write-ahead log of final blocks whose LevelDB batch may not be written yet (CometBFT
 * replays its last height from a WAL the same way).
 *
 * The node commits a block in memory and writes its full batch (block, receipts, state,
 * indexes) behind it. An authority must not sign at the next height before the block is
 * durable somewhere: killed in between, it would restart one block back with a signer that
 * refuses the heights it signed in, and a lone authority could never sign that block again.
 * Making the block and its certificate durable takes one small file (~1-2 ms here),
 * against ~100 ms for the full batch; the state follows from re-executing the block.
 *
 * One file per height, `<height>.blk`: the record's JSON `{"commit":…,"block":…}`, a
 * newline and the sha256 hex of the JSON. `append` is synchronous, like the signer's
 * record: the file and the directory are synced before it returns (~1-2 ms for a full
 * block here; through the thread pool each of its five steps would wait for a busy event
 * loop). The record is dropped once the block's batch is in LevelDB. A torn file fails
 * its checksum and is ignored: its append never returned, so nothing was signed on it.
 */
export class BlockLog {
  private dirFd: number | null;

  private constructor(private readonly dir: string, dirFd: number, private readonly io: BlockLogIo) {
    this.dirFd = dirFd;
  }

  static async open(dir: string, io: BlockLogIo = NODE_IO): Promise<BlockLog> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const dirFd = openSync(dir, 'r');
    fsyncSync(dirFd); // the directory's own entry, when it was just created
    return new BlockLog(dir, dirFd, io);
  }

  async close(): Promise<void> {
    if (this.dirFd === null) return;
    closeSync(this.dirFd);
    this.dirFd = null;
  }

  private path(height: number): string {
    return join(this.dir, `${height}.blk`);
  }

  /** Writes the record of the final block at `height`: durable when this returns; throws if it is not. */
  append(height: number, storedBlock: Uint8Array, commit: Commit): void {
    if (this.dirFd === null) throw new Error('block log: closed');
    const json = [Buffer.from(`{"commit":${JSON.stringify(commit)},"block":`), storedBlock, Buffer.from('}')];
    const sum = createHash('sha256');
    for (const part of json) sum.update(part);
    const data = [...json, Buffer.from(`\n${sum.digest('hex')}\n`)];
    const total = data.reduce((n, b) => n + b.length, 0);
    const fd = this.io.openSync(this.path(height), 'w', 0o600);
    try {
      const written = this.io.writevSync(fd, data, 0);
      if (written !== total) throw new Error(`block log: wrote ${written} of ${total} bytes of block ${height}`);
      this.io.fdatasyncSync(fd);
    } finally {
      this.io.closeSync(fd);
    }
    this.io.fsyncSync(this.dirFd);
  }

  /** Removes the record at `height` (its block is in LevelDB). Not synced: a record left behind is dropped at the next read. */
  async drop(height: number): Promise<void> {
    await unlink(this.path(height)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /**
   * The intact records above `afterHeight`, in height order; records at or below it (their
   * blocks are in LevelDB) are removed. `torn` lists heights whose file failed its checksum.
   */
  async read(afterHeight: number): Promise<{ records: LoggedBlock[]; torn: number[] }> {
    const records: LoggedBlock[] = [];
    const torn: number[] = [];
    const heights = (await readdir(this.dir)).map((f) => /^(\d{1,15})\.blk$/.exec(f)).filter((m) => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
    for (const height of heights) {
      if (height <= afterHeight) {
        await this.drop(height);
        continue;
      }
      const r = parseRecord(await readFile(this.path(height)));
      if (r === null) torn.push(height);
      else records.push({ height, ...r });
    }
    return { records, torn };
  }
}

/** A record's JSON when its checksum matches, else null (a torn or damaged file). */
function parseRecord(data: Buffer): { block: unknown; commit: unknown } | null {
  const tail = data.subarray(data.length - 66).toString('latin1');
  if (data.length <= 66 || !/^\n[0-9a-f]{64}\n$/.test(tail)) return null;
  const json = data.subarray(0, data.length - 66);
  if (createHash('sha256').update(json).digest('hex') !== tail.slice(1, 65)) return null;
  try {
    const o = JSON.parse(json.toString('utf8')) as { block?: unknown; commit?: unknown };
    return { block: o.block, commit: o.commit };
  } catch {
    return null;
  }
}
