/*
 * LevelDB's work on one node during the measured load, from its /metrics
 * (`medledger_store_*`, node/api.ts from storage/leveldb-stats.ts) read when the load
 * starts and when it ends: how much of the run went into memtable flushes and
 * compactions, the storage cost that grows with the chain's history.
 */
import type { StoreStats } from '../storage/leveldb-stats.js';

/** The node's LevelDB figures that the bench reads (all but the file count). */
export type StoreSample = Omit<StoreStats, 'files'>;

/** During the load; LevelDB rounds each level's figures to whole MB and seconds. */
export interface StoreWork {
  /** Seconds LevelDB spent writing tables (flushes and compactions). */
  compactionSeconds: number;
  compactionReadMB: number;
  compactionWrittenMB: number;
  /** MB in table files at the end. */
  tableMB: number;
}

const MB = 1024 * 1024;

/** The store figures of one parsed /metrics page; null when the node exposes none. */
export function storeSample(metrics: ReadonlyMap<string, number>): StoreSample | null {
  const s = {
    tableBytes: metrics.get('medledger_store_table_bytes'),
    compactionSeconds: metrics.get('medledger_store_compaction_seconds_total'),
    compactionReadBytes: metrics.get('medledger_store_compaction_read_bytes_total'),
    compactionWrittenBytes: metrics.get('medledger_store_compaction_written_bytes_total'),
  };
  return Object.values(s).some((v) => v === undefined) ? null : (s as StoreSample);
}

/** LevelDB's work between two samples; null without both. */
export function storeBetween(before: StoreSample | null, after: StoreSample | null): StoreWork | null {
  if (before === null || after === null) return null;
  return {
    compactionSeconds: after.compactionSeconds - before.compactionSeconds,
    compactionReadMB: Math.round((after.compactionReadBytes - before.compactionReadBytes) / MB),
    compactionWrittenMB: Math.round((after.compactionWrittenBytes - before.compactionWrittenBytes) / MB),
    tableMB: Math.round(after.tableBytes / MB),
  };
}
