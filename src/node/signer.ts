import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { sign } from '../chain/ed25519.js';
import { sha256Hex } from '../chain/hash.js';

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
   * The last non-nil precommit at this height (the consensus lock), kept across later
   * signatures at the same height so a restarted node keeps its lock, with the proposal
   * it locked on so the node can re-propose it.
   */
  lock?: { height: number; round: number; blockHash: string; proposal?: unknown } | null;
}

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

  constructor(private readonly path: string, private readonly secretKey: string, readonly account: string) {
    this.last = Signer.read(path);
  }

  private static read(path: string): SignRecord | null {
    if (!existsSync(path)) return null;
    try {
      const r = JSON.parse(readFileSync(path, 'utf8')) as SignRecord;
      if (!Number.isSafeInteger(r.height) || !Number.isSafeInteger(r.round) || !Number.isSafeInteger(r.step)) throw new Error('bad fields');
      return r;
    } catch (err) {
      throw new Error(`signer state ${path} is unreadable (${(err as Error).message}); refusing to sign rather than risk a double sign. Restore it or, if this authority has never signed on this chain, delete it.`);
    }
  }

  lastSigned(): SignRecord | null {
    return this.last;
  }

  /** The lock recorded at `height`, if any. */
  lockAt(height: number): SignRecord['lock'] {
    const l = this.last?.lock;
    return l && l.height === height ? l : null;
  }

  /**
   * Signs `bytes` for (height, round, step) if that does not conflict with anything
   * signed before. For a non-nil precommit, `lockProposal` (the proposal of that block)
   * is persisted with the record before the signature is returned.
   */
  sign(height: number, round: number, step: SignStep, blockHash: string | null, bytes: Uint8Array, lockProposal?: unknown): string {
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
    const lock = step === 'precommit' && blockHash !== null ? { height, round, blockHash, proposal: lockProposal } : l?.lock && l.lock.height === height ? l.lock : null;
    const rec: SignRecord = { height, round, step: s, blockHash, bytesHash, sig, lock };
    this.persist(rec);
    this.last = rec;
    return sig;
  }

  private persist(rec: SignRecord): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = this.path + '.tmp';
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(rec));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dfd = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }
}
