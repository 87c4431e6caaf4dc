import { closeSync, existsSync, fdatasyncSync, fsyncSync, openSync, readFileSync, readdirSync, writeFileSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Commit } from '../../../src/chain/types.js';
import { BlockLog, type BlockLogIo } from '../../../src/storage/block-log.js';
import { removeTempDirs, tempDir } from '../node/support.js';

afterAll(removeTempDirs);

const commit = (height: number): Commit => ({ height, round: 0, blockHash: 'ab'.repeat(32), signatures: [{ validator: 'cd'.repeat(32), sig: 'ef'.repeat(64) }] });
const stored = (height: number): Buffer => Buffer.from(JSON.stringify({ hash: 'ab'.repeat(32), header: { height, note: 'é' }, txs: [{ a: height }], txHashes: ['01'.repeat(32)] }));

describe('BlockLog', () => {
  it('reads back what was appended, in height order, with the stored block and the certificate as written', async () => {
    const dir = join(tempDir('ml-blocklog-'), 'block-log');
    const log = await BlockLog.open(dir);
    log.append(8, stored(8), commit(8));
    log.append(7, stored(7), commit(7));
    const { records, torn } = await log.read(0);
    expect(torn).toEqual([]);
    expect(records.map((r) => r.height)).toEqual([7, 8]);
    expect(records[0]).toEqual({ height: 7, block: JSON.parse(stored(7).toString()), commit: commit(7) });
    await log.close();
  });

  it('read removes the records at or below the given height (their blocks are in LevelDB); drop removes one', async () => {
    const dir = tempDir('ml-blocklog-');
    const log = await BlockLog.open(dir);
    for (const h of [3, 4, 5]) log.append(h, stored(h), commit(h));
    const { records } = await log.read(4);
    expect(records.map((r) => r.height)).toEqual([5]);
    expect(readdirSync(dir).sort()).toEqual(['5.blk']);
    await log.drop(5);
    await log.drop(6); // absent: nothing to do
    expect(readdirSync(dir)).toEqual([]);
    await log.close();
  });

  it('a torn or altered record fails its checksum and is reported, not returned; other files are ignored', async () => {
    const dir = tempDir('ml-blocklog-');
    const log = await BlockLog.open(dir);
    for (const h of [1, 2, 3]) log.append(h, stored(h), commit(h));
    const two = readFileSync(join(dir, '2.blk'));
    writeFileSync(join(dir, '2.blk'), two.subarray(0, two.length - 10)); // a write cut short
    const three = readFileSync(join(dir, '3.blk'));
    three[20] ^= 1; // a flipped bit
    writeFileSync(join(dir, '3.blk'), three);
    writeFileSync(join(dir, 'notes.txt'), 'operator notes');
    writeFileSync(join(dir, '4.blk'), '');
    const { records, torn } = await log.read(0);
    expect(records.map((r) => r.height)).toEqual([1]);
    expect(torn).toEqual([2, 3, 4]);
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
    await log.close();
  });

  it('a short write (disk full) or a failed sync throws from the append: the record is not durable', async () => {
    const io = { openSync, writevSync, fdatasyncSync, closeSync, fsyncSync };
    const short: BlockLogIo = { ...io, writevSync: (fd, bufs, pos) => writevSync(fd, bufs.slice(0, 1), pos) };
    const log = await BlockLog.open(tempDir('ml-blocklog-'), short);
    expect(() => log.append(1, stored(1), commit(1))).toThrow(/block log: wrote \d+ of \d+ bytes of block 1/);
    await log.close();

    const failing: BlockLogIo = { ...io, fdatasyncSync: () => { throw new Error('EIO: i/o error, fdatasync'); } };
    const log2 = await BlockLog.open(tempDir('ml-blocklog-'), failing);
    expect(() => log2.append(1, stored(1), commit(1))).toThrow(/EIO/);
    await log2.close();
    expect(() => log2.append(1, stored(1), commit(1))).toThrow(/closed/);

    // The file is synced but its directory entry is not: not durable either.
    const dirFails: BlockLogIo = { ...io, fsyncSync: () => { throw new Error('EIO: i/o error, fsync'); } };
    const log3 = await BlockLog.open(tempDir('ml-blocklog-'), dirFails);
    expect(() => log3.append(1, stored(1), commit(1))).toThrow(/EIO: i\/o error, fsync/);
    await log3.close();
  });
});
