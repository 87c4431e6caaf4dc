import { precommitSignBytes } from './block.js';
import { verify } from './ed25519.js';
import type { Commit } from './types.js';

/** SPEC §4: a block is final with precommits of at least floor(2n/3)+1 of its n authorities. */
export function quorum(n: number): number {
  return Math.floor((2 * n) / 3) + 1;
}

/**
 * Why `commit` does not finalise `blockHash` at `height` under `authorities`, or null
 * when it does: distinct authorities of the set, each with a valid precommit signature
 * over sha256(JCS({chainId, height, round, type:"precommit", blockHash})), at least a
 * quorum of them. The one certificate rule for consensus, sync and offline proofs.
 * `verifySig` is injectable for simulations.
 */
export function commitProblem(
  chainId: string,
  height: number,
  blockHash: string,
  commit: Commit,
  authorities: readonly string[],
  verifySig: (account: string, message: Uint8Array, sig: string) => boolean = verify,
): string | null {
  if (commit.blockHash !== blockHash) return 'certificate is for another block';
  if (commit.height !== height) return `certificate is for height ${commit.height}, not ${height}`;
  const members = new Set(authorities);
  const seen = new Set<string>();
  const bytes = precommitSignBytes(chainId, height, commit.round, blockHash);
  for (const s of commit.signatures) {
    if (!members.has(s.validator)) return `signer ${s.validator} is not an authority of block ${height}`;
    if (seen.has(s.validator)) return `signer ${s.validator} appears twice`;
    if (!verifySig(s.validator, bytes, s.sig)) return `bad precommit signature by ${s.validator}`;
    seen.add(s.validator);
  }
  const need = quorum(authorities.length);
  return seen.size >= need ? null : `${seen.size} of ${authorities.length} precommits, ${need} needed`;
}
