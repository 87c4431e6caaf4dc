import { precommitSignBytes } from '../chain/block.js';
import { verify } from '../chain/ed25519.js';
import type { Commit } from '../chain/types.js';

/**
 * Why a commit certificate does not finalise `hash` at `height` under `authorities`, or
 * null when it does: > 2/3 (floor(2n/3)+1) distinct authorities' precommit signatures.
 */
export function verifyCommit(chainId: string, height: number, hash: string, commit: Commit, authorities: readonly string[]): string | null {
  if (typeof commit !== 'object' || commit === null) return 'missing';
  if (commit.height !== height) return `height ${commit.height} is not ${height}`;
  if (commit.blockHash !== hash) return 'blockHash does not match the block';
  if (!Number.isSafeInteger(commit.round) || commit.round < 0) return 'round is not a non-negative integer';
  if (!Array.isArray(commit.signatures)) return 'signatures is not a list';
  const set = new Set(authorities);
  const seen = new Set<string>();
  const bytes = precommitSignBytes(chainId, height, commit.round, hash);
  for (const s of commit.signatures) {
    if (typeof s !== 'object' || s === null || typeof s.validator !== 'string' || typeof s.sig !== 'string') return 'malformed signature entry';
    if (!set.has(s.validator)) return `signer ${s.validator} is not an authority of this block`;
    if (seen.has(s.validator)) return `signer ${s.validator} appears twice`;
    if (!verify(s.validator, bytes, s.sig)) return `bad signature by ${s.validator}`;
    seen.add(s.validator);
  }
  const need = Math.floor((2 * authorities.length) / 3) + 1;
  if (seen.size < need) return `${seen.size} of ${authorities.length} precommits, ${need} needed`;
  return null;
}
