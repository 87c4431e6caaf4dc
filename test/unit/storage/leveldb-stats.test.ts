import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLevelDbStats } from '../../../src/storage/leveldb-stats.js';
import { ChainStore } from '../../../src/storage/store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const MB = 1024 * 1024;

// What LevelDB 1.23 prints for a node after its first compactions (a bench node's LOG).
const SAMPLE = `                               Compactions
Level  Files Size(MB) Time(sec) Read(MB) Write(MB)
--------------------------------------------------
  0        2       15         1        0        31
  1        0        0         2       38       38
  2       19       39         2       72       83
`;

describe('parseLevelDbStats', () => {
  it('adds up the levels: files and table bytes now, flush and compaction time and bytes since open', () => {
    expect(parseLevelDbStats(SAMPLE)).toEqual({
      files: 21, tableBytes: 54 * MB, compactionSeconds: 5, compactionReadBytes: 110 * MB, compactionWrittenBytes: 152 * MB,
    });
  });

  it('a fresh database has the header and no rows: all zero; text without the table is not LevelDB\'s stats', () => {
    expect(parseLevelDbStats(SAMPLE.split('\n').slice(0, 3).join('\n'))).toEqual({ files: 0, tableBytes: 0, compactionSeconds: 0, compactionReadBytes: 0, compactionWrittenBytes: 0 });
    expect(parseLevelDbStats('')).toBeNull();
    expect(parseLevelDbStats('Level Files\n  0 1 2 3 4 5')).toBeNull();
  });

  it('ChainStore.stats reads the open database (memtable flushes show once they happen), null once closed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-ldbstats-'));
    dirs.push(dir);
    const store = await ChainStore.open(dir);
    expect(store.stats()).toEqual({ files: 0, tableBytes: 0, compactionSeconds: 0, compactionReadBytes: 0, compactionWrittenBytes: 0 });
    await store.close();
    expect(store.stats()).toBeNull();
  });
});
