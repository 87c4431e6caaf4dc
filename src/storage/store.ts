import { Level } from 'level';
import type { Authority, Block, Commit, Header, Receipt, Tx } from '../chain/types.js';
import type { StateValue, StateWrites, TxResult } from '../chain/state/interface.js';
import * as K from './keys.js';
import { indexOps } from './indexer.js';
import { jsonAround } from '../util/json.js';
import { txHash } from '../chain/tx.js';
import { parseLevelDbStats, type StoreStats } from './leveldb-stats.js';

export interface StoredBlock {
  hash: string;
  header: Header;
  txs: Tx[];
  /** The txs' hashes, in order (absent in the genesis block). */
  txHashes?: string[];
}

export interface Head {
  height: number;
  hash: string;
}

/** Everything one final block changes, written in a single synced LevelDB batch. */
export interface BlockCommit {
  block: Block;
  hash: string;
  commit: Commit;
  txHashes: string[];
  /**
   * The txs' canonical wire bytes (DecodedTx.wire, the JCS of each tx), in block order:
   * when given, the stored block embeds them instead of serialising the txs again.
   */
  txWires?: readonly Buffer[];
  /** The stored block's bytes when the caller made them already (`storedBlockBytes` of the txWires). */
  stored?: StoredBlockBytes;
  results: TxResult[];
  /** State writes, null = delete; canonical JSON bytes when the executor has them (no re-serialisation). */
  writes: ReadonlyMap<string, StateValue | Buffer | null>;
  /** The set that signs the next block, when this block changed it. */
  nextAuthorities: Authority[] | null;
}

/** Where a committed tx is; `at`: its byte range in the stored block value (absent in locations written before it existed). */
export interface TxLocation {
  height: number;
  index: number;
  at?: [number, number];
}

/** A block without its txs: what a follower of the chain needs to see which txs it holds. */
export interface BlockSummary {
  hash: string;
  header: Header;
  txHashes: string[];
}

export class StoreError extends Error {
  constructor(readonly code: 'locked' | 'corrupt' | 'io' | 'exists', message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

/**
 * LevelDB memtable size. A 1,000-tx block writes ~2 MB; with the 4 MB default every
 * other block flushes a level-0 table and compaction runs all the time (~40 ms of
 * process CPU per such block). 16 MB: ~29 ms, and the commit's wall time halves; the
 * cost is up to ~2 x 16 MB of memory (active + flushing memtable) and up to 16 MB of
 * log to replay at open.
 */
const WRITE_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * The node's LevelDB: blocks, commits, receipts, tx locations, world state and query
 * indexes. All chain writes go through `commitBlock` (one atomic, synced batch), so a
 * node killed at any instant restarts at its last committed block with state intact.
 */
export class ChainStore {
  private constructor(private readonly db: Level<string, string>) {}

  static async open(dir: string): Promise<ChainStore> {
    const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8', writeBufferSize: WRITE_BUFFER_BYTES });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED' || /lock/i.test(cause?.message ?? '')) {
        throw new StoreError('locked', `data directory ${dir} is locked: another medledger process is using it`);
      }
      if (cause?.code === 'LEVEL_CORRUPTION' || /corrupt/i.test(cause?.message ?? '')) {
        throw new StoreError('corrupt', `data directory ${dir} is corrupt: ${cause?.message ?? ''}`);
      }
      throw new StoreError('io', `cannot open data directory ${dir}: ${cause?.message ?? (err as Error).message}. If its files were damaged, restore a backup or move the directory aside and let the node resync.`);
    }
    return new ChainStore(db);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** LevelDB's tables and the work of its flushes and compactions since open; null if it cannot tell. */
  stats(): StoreStats | null {
    try {
      // In Node `level` is classic-level, which has getProperty; its browser-neutral types do not say so.
      const db = this.db as unknown as { getProperty?: (name: string) => string };
      return db.getProperty ? parseLevelDbStats(db.getProperty('leveldb.stats')) : null;
    } catch {
      return null; // closed, or a LevelDB without the property
    }
  }

  private async getJson<T>(key: string): Promise<T | undefined> {
    const v = await this.db.get(key);
    if (v === undefined) return undefined;
    return parseStored<T>(key, v);
  }

  head(): Promise<Head | undefined> {
    return this.getJson<Head>(K.HEAD);
  }

  getBlock(height: number): Promise<StoredBlock | undefined> {
    return this.getJson<StoredBlock>(K.blockKey(height));
  }

  /** The height of the final block with this hash. */
  getBlockHeight(hash: string): Promise<number | undefined> {
    return this.getJson<number>(K.blockHashKey(hash));
  }

  getCommit(height: number): Promise<Commit | undefined> {
    return this.getJson<Commit>(K.commitKey(height));
  }

  getReceipts(height: number): Promise<Receipt[] | undefined> {
    return this.getJson<Receipt[]>(K.receiptsKey(height));
  }

  getTxLocation(hash: string): Promise<TxLocation | undefined> {
    return this.getJson(K.txKey(hash));
  }

  /**
   * One tx of a stored block, parsed from its byte range in the stored value (`TxLocation.at`)
   * instead of parsing the whole block: a `chain_getTx` costs the same in a block of 5 txs or 5,000.
   */
  async getTxAt(height: number, at: readonly [number, number]): Promise<Tx | undefined> {
    const key = K.blockKey(height);
    const v = await this.db.get<string, Buffer>(key, AS_BUFFER);
    if (v === undefined) return undefined;
    const [start, end] = at;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start || end > v.length) {
      throw new StoreError('corrupt', `tx range [${start}, ${end}) is outside the stored block at ${key} (${v.length} bytes)`);
    }
    return parseStored<Tx>(key, v.toString('utf8', start, end));
  }

  /**
   * A stored block's hash, header and tx hashes, without parsing its txs: the stored value
   * is `{"hash":…,"header":{…},"txs":[…],"txHashes":[…]}`, so the head is the text before
   * the first `,"txs":[` (a header holds only strings and numbers, whose quotes JSON
   * escapes) and the hashes follow the last `],"txHashes":` (the last member). A value of
   * another shape (the genesis block has no txHashes) is parsed whole.
   */
  async getBlockSummary(height: number): Promise<BlockSummary | undefined> {
    const key = K.blockKey(height);
    const v = await this.db.get(key);
    if (v === undefined) return undefined;
    const txsAt = v.indexOf(TXS_MEMBER);
    const hashesAt = v.lastIndexOf(']' + HASHES_KEY);
    if (txsAt > 0 && hashesAt > txsAt && v.endsWith(']}')) {
      const head = parseStored<{ hash: string; header: Header }>(key, v.slice(0, txsAt) + '}');
      const txHashes = parseStored<unknown>(key, v.slice(hashesAt + 1 + HASHES_KEY.length, v.length - 1));
      if (Array.isArray(txHashes) && txHashes.every((h) => typeof h === 'string')) return { hash: head.hash, header: head.header, txHashes: txHashes as string[] };
    }
    const b = parseStored<StoredBlock>(key, v);
    return { hash: b.hash, header: b.header, txHashes: b.txHashes ?? b.txs.map(txHash) };
  }

  /** Every world-state entry, for the in-memory state the executor reads. */
  async loadState(): Promise<Map<string, StateValue>> {
    const state = new Map<string, StateValue>();
    for await (const [k, v] of this.db.iterator({ gte: K.STATE_PREFIX, lt: K.prefixEnd(K.STATE_PREFIX) })) {
      state.set(k.slice(K.STATE_PREFIX.length), parseStored<StateValue>(k, v));
    }
    return state;
  }

  /** Blocks that changed the authority set, oldest first, with the set signing the next block. */
  async validatorChanges(upTo: number): Promise<Array<{ height: number; authorities: Authority[] }>> {
    const out: Array<{ height: number; authorities: Authority[] }> = [];
    for await (const [k, v] of this.db.iterator({ gte: K.VALIDATOR_CHANGE_PREFIX, lte: K.validatorChangeKey(upTo) })) {
      out.push({ height: parseInt(k.slice(K.VALIDATOR_CHANGE_PREFIX.length), 16), authorities: parseStored<Authority[]>(k, v) });
    }
    return out;
  }

  /** Writes the genesis block and state. Refuses when a chain is already here. */
  async initGenesis(header: Header, hash: string, writes: StateWrites): Promise<void> {
    if (await this.head()) throw new StoreError('exists', 'a chain already exists in this data directory');
    const b = this.db.batch();
    b.put(K.blockKey(0), JSON.stringify({ hash, header, txs: [] }));
    b.put(K.commitKey(0), JSON.stringify({ height: 0, round: 0, blockHash: hash, signatures: [] }));
    b.put(K.receiptsKey(0), '[]');
    b.put(K.blockHashKey(hash), '0');
    b.put(K.HEAD, JSON.stringify({ height: 0, hash }));
    for (const [k, v] of writes) if (v !== null) b.put(K.stateKey(k), JSON.stringify(v));
    await b.write({ sync: true });
  }

  /**
   * The one write path for a final block: block, commit, receipts, state and indexes in
   * one synced batch (a chained batch: ~3x cheaper per op than an array batch here).
   */
  async commitBlock(c: BlockCommit): Promise<void> {
    const h = c.block.header.height;
    const b = this.db.batch();
    if (c.txWires === undefined) {
      b.put(K.blockKey(h), JSON.stringify({ hash: c.hash, header: c.block.header, txs: c.block.txs, txHashes: c.txHashes }));
      c.txHashes.forEach((txHash, index) => b.put(K.txKey(txHash), `{"height":${h},"index":${index}}`));
    } else {
      const stored = c.stored ?? storedBlockBytes(c, c.txWires);
      b.put(K.blockKey(h), stored.bytes, AS_BUFFER);
      // Each tx's location carries its byte range in the stored block (getTxAt).
      let at = stored.txsStart;
      c.txHashes.forEach((txHash, index) => {
        const end = at + c.txWires![index]!.length;
        b.put(K.txKey(txHash), `{"height":${h},"index":${index},"at":[${at},${end}]}`);
        at = end + 1;
      });
    }
    b.put(K.commitKey(h), JSON.stringify(c.commit));
    b.put(K.receiptsKey(h), JSON.stringify(c.results.map((r) => r.receipt)));
    b.put(K.blockHashKey(c.hash), String(h));
    b.put(K.HEAD, JSON.stringify({ height: h, hash: c.hash }));
    for (const [k, v] of c.writes) {
      if (v === null) b.del(K.stateKey(k));
      else if (Buffer.isBuffer(v)) b.put(K.stateKey(k), v, AS_BUFFER);
      else b.put(K.stateKey(k), JSON.stringify(v));
    }
    if (c.nextAuthorities) b.put(K.validatorChangeKey(h), JSON.stringify(c.nextAuthorities));
    const hp = K.h16(h);
    c.results.forEach((r, index) => {
      if (r.events.length > 0) indexOps(b, r.events, hp + K.i8(index));
    });
    await b.write({ sync: true });
  }

  /** Keys and values of one range, in order or reversed, for the paged index queries. */
  async range(opts: { gt?: string; gte?: string; lt?: string; lte?: string; reverse?: boolean; limit: number }): Promise<Array<[string, string]>> {
    const out: Array<[string, string]> = [];
    for await (const entry of this.db.iterator(opts)) out.push(entry);
    return out;
  }

  async get(key: string): Promise<string | undefined> {
    return this.db.get(key);
  }

  /** Values of several keys in one call, in order (undefined where absent). */
  async getMany(keys: string[]): Promise<Array<string | undefined>> {
    return keys.length === 0 ? [] : this.db.getMany(keys);
  }
}

/** Per-op option of a value already in UTF-8 bytes (the db's default value encoding is utf8). */
const AS_BUFFER = { valueEncoding: 'buffer' } as const;

/** A stored block's value and where its txs start in it. */
export interface StoredBlockBytes {
  bytes: Buffer;
  txsStart: number;
}

/**
 * The stored block `{hash, header, txs, txHashes}` as UTF-8 JSON, with each tx as its
 * wire bytes: JCS is JSON, so this parses to the same objects as serialising `txs`
 * (only the key order inside each tx differs: JCS sorts keys).
 */
export function storedBlockBytes(c: Pick<BlockCommit, 'block' | 'hash' | 'txHashes'>, wires: readonly Buffer[]): StoredBlockBytes {
  if (wires.length !== c.block.txs.length) throw new Error(`commitBlock: ${wires.length} tx wires for ${c.block.txs.length} txs`);
  const head = `{"hash":${JSON.stringify(c.hash)},"header":${JSON.stringify(c.block.header)}${TXS_MEMBER}`;
  return { bytes: jsonAround(head, wires, `]${HASHES_KEY}${JSON.stringify(c.txHashes)}}`), txsStart: Buffer.byteLength(head) };
}

/** The stored block's members after its header (see getBlockSummary). */
const TXS_MEMBER = ',"txs":[';
const HASHES_KEY = ',"txHashes":';

/** A stored JSON value; StoreError('corrupt') naming the key when it is not JSON. */
export function parseStored<T>(key: string, v: string): T {
  try {
    return JSON.parse(v) as T;
  } catch {
    throw new StoreError('corrupt', `stored value at ${key} is not valid JSON`);
  }
}
