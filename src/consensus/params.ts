/** Small pure rules shared by the engine and its host: proposer order, timeouts, input checks. */
import { isHex } from '../util/hex.js';
import type { EngineOptions, RestoreState, TimeoutStep, Timeouts } from './types.js';

/** Proposer of (height, round): validators[(height + round) % n], in the order given. */
export function proposerOf(validators: readonly string[], height: number, round: number): string {
  return validators[(height + round) % validators.length]!;
}

/** timeout(r) = base + deltaMs * r. */
export function timeoutDelay(t: Timeouts, step: TimeoutStep, round: number): number {
  const base = step === 'propose' ? t.proposeMs : step === 'prevote' ? t.prevoteMs : t.precommitMs;
  return base + t.deltaMs * round;
}

export function checkOptions(opts: EngineOptions): void {
  if (opts.self !== null && !isHex(opts.self, 32)) throw new Error('consensus: self must be a 64-hex account or null');
  for (const k of ['proposeMs', 'prevoteMs', 'precommitMs', 'deltaMs'] as const) {
    const v = opts.timeouts[k];
    if (!Number.isFinite(v) || v < 0) throw new Error(`consensus: timeouts.${k} must be a non-negative number`);
  }
}

export function checkValidators(validators: readonly string[]): void {
  if (validators.length === 0 || validators.some((v) => !isHex(v, 32)) || new Set(validators).size !== validators.length) {
    throw new Error('consensus: validators must be distinct 64-hex accounts, at least one');
  }
}

export function checkRestore(r: RestoreState): void {
  if (!Number.isSafeInteger(r.round) || r.round < 0) throw new Error('consensus: restore.round must be a non-negative integer');
  if (!Number.isSafeInteger(r.lockedRound) || r.lockedRound < -1 || r.lockedRound > r.round) {
    throw new Error('consensus: restore.lockedRound must be an integer in [-1, round]');
  }
  if ((r.lockedRound === -1) !== (r.lockedBlockHash === null)) throw new Error('consensus: restore.lockedBlockHash must be null exactly when lockedRound is -1');
  if (r.lockedBlockHash !== null && !isHex(r.lockedBlockHash, 32)) throw new Error('consensus: restore.lockedBlockHash must be 64 hex');
  if (r.ownVotes !== undefined && r.ownVotes.some((v) => !Number.isSafeInteger(v.round) || v.round < 0 || v.round > r.round)) {
    throw new Error('consensus: restore.ownVotes must be of rounds in [0, round]');
  }
}
