import { createHash } from 'node:crypto';
import { closeSync, existsSync, fdatasyncSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writevSync } from 'node:fs';
import { dirname } from 'node:path';
import { sign } from '../chain/ed25519.js';
import { sha256Hex } from '../chain/hash.js';

/** How many of a height's own votes a signing record keeps (the latest: 16 rounds of prevote and precommit). */
export const MAX_STORED_VOTES = 32;

/** Consensus steps in signing order within a round. */
export const STEP = { proposal: 1, prevote: 2, precommit: 3 } as const;
export type SignStep = keyof typeof STEP;

export interface SignRecord {
  height: number;
  round: number;
  step: number;
  blockHash: string | null;
  /** sha256 of the signed bytes, so an identical re-sign returns the same signature. */
  bytesHash: string;
  sig: string;
  /**
   * The votes signed at this height (the latest MAX_STORED_VOTES), as vote messages
   * `{type, height, round, blockHash, validator, sig}`: a restarted node resumes in the
   * round it last signed in, knowing what it signed there, and re-sends them (it keeps
   * no log of messages; peers that lost them could not complete that round otherwise).
   */
  votes?: unknown[];
  /**
   * The last non-nil precommit at this height (the consensus lock), kept across later
   * signatures at the same height so a restarted node keeps its lock, with the proposal
   * it locked on so the node can re-propose it, and the prevotes that justified it
   * (its proof-of-lock), so peers that missed some of them can still be shown it.
   */
  lock?: { height: number; round: number; blockHash: string; pol?: unknown[]; proposal?: unknown } | null;
}

/** What a non-nil precommit (a lock) is persisted with, before its signature is released. */
export interface LockEvidence {
  /** The proposal of the locked block. */
  proposal?: unknown;
  /** Its JSON (parsing to `proposal`), written as is instead of serialising it again (a block's txs from their wire bytes). */
  proposalJson?: Uint8Array;
  /** The 2f+1 prevotes for the block in the lock's round. */
  pol?: unknown[];
}

/**
 * The file calls a signing record's write goes through (node:fs by default). A seam so
 * tests can make the disk fail: a short write (disk full) or a failed sync must never
 * release a signature.
 */
export interface SignerIo {
  writevSync(fd: number, buffers: readonly NodeJS.ArrayBufferView[], position: number): number;
  ftruncateSync(fd: number, len: number): void;
  fdatasyncSync(fd: number): void;
}

const NODE_IO: SignerIo = { writevSync, ftruncateSync, fdatasyncSync };

export class DoubleSignError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DoubleSignError';
  }
}

/**
 * The authority's signing guard (CometBFT FilePV): it persists the last signed
 * (height, round, step) with fsync BEFORE a signature is returned, and refuses to sign
 * anything at an earlier step or different data at the same step, also after a crash.
 */
export class Signer {
  private last: SignRecord | null;
  /** JSON of `last.lock.proposal` when it was given as JSON (so a carried lock is not serialised again). */
  private lockJson: Uint8Array | undefined;

  private seq: number;
  private readonly fds: [number, number];

  constructor(path: string, private readonly secretKey: string, readonly account: string, private readonly io: SignerIo = NODE_IO) {
    const r = Signer.read(path);
    this.last = r.rec;
    this.seq = r.seq;
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true });
    const created = slotPaths(path).some((p) => !existsSync(p));
    this.fds = slotPaths(path).map((p) => openSync(p, existsSync(p) ? 'r+' : 'w+', 0o600)) as [number, number];
    if (created) {
      const dfd = openSync(dir, 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    }
  }

  close(): void {
    for (const fd of this.fds) closeSync(fd);
  }

  /**
   * The record lives in two slot files written alternately, each the text
   * `{"seq":N,"rec":R,"sum":"S"}` with R the record's JSON and S = sha256(N + R) over
   * exactly the text R as written (a lock's proposal may be spliced in from wire bytes,
   * so R need not be what JSON.stringify would give). The valid slot with the highest
   * seq wins; a torn write fails its checksum and the other slot (the previous record)
   * is used, which is safe: a signature is released only after its slot was synced.
   */
  private static read(path: string): { rec: SignRecord | null; seq: number } {
    let best: { rec: SignRecord; seq: number } | null = null;
    let unreadable = 0;
    for (const slot of slotPaths(path)) {
      if (!existsSync(slot)) continue;
      try {
        const text = readFileSync(slot, 'utf8');
        if (text.length === 0) continue; // created, never written: nothing signed yet
        const o = JSON.parse(text) as { seq?: number; rec?: SignRecord; sum?: string } & Partial<SignRecord>;
        // The single-file format of earlier versions: the record itself, no checksum.
        if (o.seq === undefined && o.height !== undefined) {
          const legacy = o as SignRecord;
          if (!best) best = { rec: legacy, seq: 0 };
          continue;
        }
        const head = `{"seq":${o.seq},"rec":`;
        const tail = `,"sum":"${o.sum}"}`;
        if (!text.startsWith(head) || !text.endsWith(tail)) throw new Error('not a slot record');
        if (sha256Hex(o.seq + text.slice(head.length, text.length - tail.length)) !== o.sum) throw new Error('checksum mismatch');
        const r = o.rec!;
        if (!Number.isSafeInteger(r.height) || !Number.isSafeInteger(r.round) || !Number.isSafeInteger(r.step)) throw new Error('bad fields');
        if (!best || o.seq! > best.seq) best = { rec: r, seq: o.seq! };
      } catch {
        unreadable++;
      }
    }
    if (!best && unreadable > 0) {
      throw new Error(`signer state ${path} is unreadable; refusing to sign rather than risk a double sign. Restore it or, if this authority has never signed on this chain, delete ${slotPaths(path).join(' and ')}.`);
    }
    return best ?? { rec: null, seq: 0 };
  }

  lastSigned(): SignRecord | null {
    return this.last;
  }

  /** The votes recorded as signed at `height` (vote messages, oldest first); [] if none. */
  votesAt(height: number): unknown[] {
    const l = this.last;
    return l && l.height === height && Array.isArray(l.votes) ? l.votes : [];
  }

  /** The lock recorded at `height`, if any. */
  lockAt(height: number): SignRecord['lock'] {
    const l = this.last?.lock;
    return l && l.height === height ? l : null;
  }

  /**
   * Signs `bytes` for (height, round, step) if that does not conflict with anything
   * signed before. For a non-nil precommit, `evidence` (the block's proposal and its
   * proof-of-lock) is persisted with the record before the signature is returned.
   */
  async sign(height: number, round: number, step: SignStep, blockHash: string | null, bytes: Uint8Array, evidence: LockEvidence = {}): Promise<string> {
    const s = STEP[step];
    const bytesHash = sha256Hex(bytes);
    const l = this.last;
    if (l) {
      const cmp = height - l.height || round - l.round || s - l.step;
      if (cmp < 0) throw new DoubleSignError(`refusing to sign ${step} at ${height}/${round}: already signed ${l.height}/${l.round}/step ${l.step}`);
      if (cmp === 0) {
        if (l.bytesHash === bytesHash) return l.sig;
        throw new DoubleSignError(`refusing to sign a different ${step} at ${height}/${round}: already signed ${l.blockHash ?? 'nil'}`);
      }
    }
    const sig = sign(this.secretKey, bytes);
    const lock = step === 'precommit' && blockHash !== null ? { height, round, blockHash, pol: evidence.pol, proposal: evidence.proposal } : l?.lock && l.lock.height === height ? l.lock : null;
    const earlier = l && l.height === height && Array.isArray(l.votes) ? l.votes : [];
    const votes = step === 'proposal' ? earlier : [...earlier, { type: step, height, round, blockHash, validator: this.account, sig }].slice(-MAX_STORED_VOTES);
    const rec: SignRecord = { height, round, step: s, blockHash, bytesHash, sig, votes, lock };
    // The lock's proposal JSON: the one given now, or the one given with the lock this record carries on.
    const json = lock === null || lock.proposal === undefined ? undefined : lock === l?.lock ? this.lockJson : evidence.proposalJson;
    // Durable before the signature is returned to anyone (persist is synchronous).
    this.persist(rec, json);
    this.last = rec;
    this.lockJson = json;
    return sig;
  }

  /** One synchronous write + fdatasync of the next slot: durable before the signature is returned. */
  private persist(rec: SignRecord, proposalJson: Uint8Array | undefined): void {
    const seq = this.seq + 1;
    // The record's JSON as parts: with a lock proposal given as JSON, the rest of the record
    // is serialised without it and the proposal spliced in as the lock's last member (the
    // lock is the record's last member), so a block's txs are not serialised again.
    let parts: Uint8Array[];
    if (proposalJson === undefined) {
      parts = [Buffer.from(JSON.stringify(rec))];
    } else {
      const { proposal: _proposal, ...lock } = rec.lock!;
      const rest = JSON.stringify({ ...rec, lock });
      if (!rest.endsWith('}}')) throw new Error('signer: a record must end with its lock');
      parts = [Buffer.from(rest.slice(0, -2) + ',"proposal":'), proposalJson, Buffer.from('}}')];
    }
    const h = createHash('sha256').update(String(seq));
    for (const p of parts) h.update(p);
    const data = [Buffer.from(`{"seq":${seq},"rec":`), ...parts, Buffer.from(`,"sum":"${h.digest('hex')}"}`)];
    const fd = this.fds[seq % 2]!;
    const total = data.reduce((n, b) => n + b.length, 0);
    const length = this.io.writevSync(fd, data, 0);
    // A short write (disk full) must not release a signature: the slot is not durable.
    if (length !== total) throw new Error(`signer: wrote ${length} of ${total} bytes of the signing record; not signing`);
    this.io.ftruncateSync(fd, length);
    this.io.fdatasyncSync(fd);
    this.seq = seq;
  }
}

function slotPaths(path: string): [string, string] {
  return [path, path + '.alt'];
}
