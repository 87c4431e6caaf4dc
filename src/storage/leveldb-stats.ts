/**
 * LevelDB's own account of its work: the `leveldb.stats` property, a table with one row
 * per level that has files or has been compacted into:
 *
 *                                Compactions
 *   Level  Files Size(MB) Time(sec) Read(MB) Write(MB)
 *   --------------------------------------------------
 *     0        2       15         1        0        31
 *     2       19       39         2       72        83
 *
 * Size is what the level holds now; Time, Read and Write add up everything LevelDB did to
 * write into that level since the database was opened (memtable flushes for level 0,
 * compactions below). LevelDB prints every number rounded to a whole MB or second.
 * Compaction is the storage cost that grows with a chain's history (docs/bench.md,
 * session 16), so the node exposes these totals in /metrics.
 */
export interface StoreStats {
  /** Table files, all levels. */
  files: number;
  /** Bytes held in table files, all levels (whole MB per level). */
  tableBytes: number;
  /** Seconds spent writing tables: memtable flushes and compactions (whole seconds per level). */
  compactionSeconds: number;
  /** Bytes those flushes and compactions read and wrote (whole MB per level). */
  compactionReadBytes: number;
  compactionWrittenBytes: number;
}

const MB = 1024 * 1024;
const ROW = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/;

/** Parses the `leveldb.stats` text; null when it has no table header (not LevelDB's format). */
export function parseLevelDbStats(text: string): StoreStats | null {
  if (!/Level\s+Files\s+Size\(MB\)\s+Time\(sec\)\s+Read\(MB\)\s+Write\(MB\)/.test(text)) return null;
  const s: StoreStats = { files: 0, tableBytes: 0, compactionSeconds: 0, compactionReadBytes: 0, compactionWrittenBytes: 0 };
  for (const line of text.split('\n')) {
    const m = ROW.exec(line);
    if (!m) continue;
    s.files += Number(m[2]);
    s.tableBytes += Number(m[3]) * MB;
    s.compactionSeconds += Number(m[4]);
    s.compactionReadBytes += Number(m[5]) * MB;
    s.compactionWrittenBytes += Number(m[6]) * MB;
  }
  return s;
}
