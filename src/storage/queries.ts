import type { AccessEvent, IndexEvent } from '../chain/state/interface.js';
import { ParamError } from '../util/errors.js';
import * as K from './keys.js';
import { parseStored, StoreError, type ChainStore } from './store.js';

/**
 * Paged reads of the query indexes (storage/keys.ts: xv, xr, xc, xa). Every read is one
 * exact key range under one `<prefix>/<id>!`, bounded by the page size, so its cost
 * depends on the page and never on the chain's length; no block is ever scanned.
 *
 * Cursors are opaque to callers: base64url of the last returned key's fixed-width
 * suffix (`<h16><i8>`, 24 hex). A page continues strictly after (or, newest first,
 * strictly before) that key. A cursor that does not decode to such a suffix is a
 * ParamError naming `cursor`. The last page has `nextCursor: null`.
 */

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** The part of ChainStore the queries read. */
export type IndexStore = Pick<ChainStore, 'range' | 'getMany'>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** One version of a record, as indexed (xv): records_get fields plus the anchoring tx. */
export type RecordVersion = Omit<Extract<IndexEvent, { kind: 'record' }>, 'kind'>;

export type AuditIndex = K.AuditBy;

export interface AccessEventQuery {
  by: AuditIndex;
  id: string;
  /** Inclusive height bounds. */
  fromHeight?: number;
  toHeight?: number;
  cursor?: string;
  limit?: number;
}

const SEQ_RE = /^[0-9a-f]{24}$/;
const SEQ_MIN = '0'.repeat(24);
const SEQ_MAX = 'f'.repeat(24);

export function encodeCursor(suffix: string): string {
  return Buffer.from(suffix, 'utf8').toString('base64url');
}

/** The key suffix a cursor stands for; ParamError('cursor') when it is not one of ours. */
export function decodeCursor(cursor: string): string {
  const bad = (): never => {
    throw new ParamError('cursor', 'is not a cursor returned by this method (pass nextCursor unchanged)');
  };
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return bad();
  const suffix = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!SEQ_RE.test(suffix) || encodeCursor(suffix) !== cursor) return bad();
  return suffix;
}

/** limit param: default 100, 1..1000 (ParamError naming `limit` otherwise). */
export function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new ParamError('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
  return limit;
}

function checkHeight(h: number | undefined, name: string): void {
  if (h !== undefined && (!Number.isSafeInteger(h) || h < 0)) throw new ParamError(name, 'must be an integer >= 0');
}

interface PageSpec {
  prefix: string;
  /** Inclusive suffix bounds (24 hex). */
  lo: string;
  hi: string;
  cursor?: string;
  limit?: number;
  newestFirst: boolean;
}

export class IndexQueries {
  constructor(private readonly store: IndexStore) {}

  /** Every version of a record, oldest first (records_history, records_verify); [] when unknown. */
  async recordVersions(recordId: string): Promise<RecordVersion[]> {
    const prefix = K.recordVersionPrefix(recordId);
    const out: RecordVersion[] = [];
    const rows = await this.store.range({ gte: prefix + '0'.repeat(12), lte: prefix + 'f'.repeat(12), limit: -1 });
    for (const [k, v] of rows) out.push(parseStored<RecordVersion>(k, v));
    return out;
  }

  /** Record ids of a patient by first anchor, newest first (records_byPatient). */
  recordsByPatient(patient: string, cursor?: string, limit?: number): Promise<Page<string>> {
    return this.page({ prefix: K.patientRecordPrefix(patient), lo: SEQ_MIN, hi: SEQ_MAX, cursor, limit, newestFirst: true }, (_k, v) => v);
  }

  /** Consent ids of a patient in grant order, oldest first (consent_list): the order the access rule visits them. */
  consentsByPatient(patient: string, cursor?: string, limit?: number): Promise<Page<string>> {
    return this.page({ prefix: K.patientConsentPrefix(patient), lo: SEQ_MIN, hi: SEQ_MAX, cursor, limit, newestFirst: false }, (_k, v) => v);
  }

  /** Access events by patient, record or actor, newest first, optionally within [fromHeight, toHeight] (audit_trail). */
  async accessEvents(q: AccessEventQuery): Promise<Page<AccessEvent>> {
    checkHeight(q.fromHeight, 'fromHeight');
    checkHeight(q.toHeight, 'toHeight');
    if (q.fromHeight !== undefined && q.toHeight !== undefined && q.toHeight < q.fromHeight) {
      throw new ParamError('toHeight', 'must be >= fromHeight');
    }
    const lo = q.fromHeight === undefined ? SEQ_MIN : K.seq(q.fromHeight, 0);
    const hi = q.toHeight === undefined ? SEQ_MAX : K.h16(q.toHeight) + 'ffffffff';
    const prefix = K.auditPrefix(q.by, q.id);
    const page = await this.page({ prefix, lo, hi, cursor: q.cursor, limit: q.limit, newestFirst: true }, (k, v) => ({ k, v }));
    if (q.by === 'patient') return { items: page.items.map(({ k, v }) => parseStored<AccessEvent>(k, v)), nextCursor: page.nextCursor };
    // By record or actor the row holds the patient: the event itself is under xa/p/<patient>!<same suffix>.
    const keys = page.items.map(({ k, v }) => K.auditPrefix('patient', v) + k.slice(prefix.length));
    const values = await this.store.getMany(keys);
    return {
      items: values.map((v, i) => {
        if (v === undefined) throw new StoreError('corrupt', `audit index ${page.items[i]!.k} points at missing event ${keys[i]}`);
        return parseStored<AccessEvent>(keys[i]!, v);
      }),
      nextCursor: page.nextCursor,
    };
  }

  /**
   * One page of `<prefix><24 hex>` keys within [lo, hi], continuing after the cursor:
   * one range read of limit + 1 keys (the extra one tells whether another page exists).
   */
  private async page<T>(spec: PageSpec, map: (key: string, value: string) => T): Promise<Page<T>> {
    const limit = checkLimit(spec.limit);
    const after = spec.cursor === undefined ? undefined : decodeCursor(spec.cursor);
    const { prefix } = spec;
    let lower: { gt?: string; gte?: string } = { gte: prefix + spec.lo };
    let upper: { lt?: string; lte?: string } = { lte: prefix + spec.hi };
    if (after !== undefined) {
      if (spec.newestFirst && after <= spec.hi) upper = { lt: prefix + after };
      if (!spec.newestFirst && after >= spec.lo) lower = { gt: prefix + after };
    }
    const rows = await this.store.range({ ...lower, ...upper, reverse: spec.newestFirst, limit: limit + 1 });
    const items = rows.slice(0, limit);
    const lastKey = items[items.length - 1]?.[0];
    return {
      items: items.map(([k, v]) => map(k, v)),
      nextCursor: rows.length > limit && lastKey !== undefined ? encodeCursor(lastKey.slice(prefix.length)) : null,
    };
  }
}
