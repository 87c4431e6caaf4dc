/**
 * Consensus message bytes: what each message signs, sign/verify helpers, the strict
 * validator for each inbound message (the wire codec is JSON; these turn a parsed
 * `unknown` into a typed message or throw), and the commit certificate check.
 */
import { precommitSignBytes } from '../chain/block.js';
import { sign, verify } from '../chain/ed25519.js';
import { sha256 } from '../chain/hash.js';
import { canonicalBytes } from '../chain/jcs.js';
import { isHex } from '../util/hex.js';
import { jsonAround } from '../util/json.js';
import type { Proposal, Vote } from './types.js';

/** Rounds are int32 on the wire, as in CometBFT. */
export const MAX_ROUND = 0x7fffffff;

type VoteFields = Pick<Vote, 'type' | 'height' | 'round' | 'blockHash'>;
type ProposalFields = Pick<Proposal, 'height' | 'round' | 'polRound' | 'blockHash'>;

/**
 * sha256(JCS({chainId, height, round, type, blockHash})). A non-nil precommit is exactly
 * `precommitSignBytes` (SPEC §4, what commit certificates hold); nil votes sign JSON null.
 */
export function voteSignBytes(chainId: string, v: VoteFields): Buffer {
  if (v.type === 'precommit' && v.blockHash !== null) return precommitSignBytes(chainId, v.height, v.round, v.blockHash);
  return sha256(canonicalBytes({ chainId, height: v.height, round: v.round, type: v.type, blockHash: v.blockHash }));
}

/** sha256(JCS({chainId, height, round, type:"proposal", polRound, blockHash})). */
export function proposalSignBytes(chainId: string, p: ProposalFields): Buffer {
  return sha256(canonicalBytes({ chainId, height: p.height, round: p.round, type: 'proposal', polRound: p.polRound, blockHash: p.blockHash }));
}

/** Signs `vote` (its `sig` is ignored) with the validator's 64-hex secret seed. */
export function signVote(chainId: string, vote: Omit<Vote, 'sig'> & { sig?: string }, secretKey: string): Vote {
  const v: Vote = { type: vote.type, height: vote.height, round: vote.round, blockHash: vote.blockHash, validator: vote.validator, sig: '' };
  v.sig = sign(secretKey, voteSignBytes(chainId, v));
  return v;
}

export function verifyVote(chainId: string, vote: Vote): boolean {
  return verify(vote.validator, voteSignBytes(chainId, vote), vote.sig);
}

/** Signs `proposal` (its `sig` is ignored). The block is bound through `blockHash` only. */
export function signProposal(chainId: string, proposal: Omit<Proposal, 'sig'> & { sig?: string }, secretKey: string): Proposal {
  const p: Proposal = {
    height: proposal.height, round: proposal.round, polRound: proposal.polRound,
    block: proposal.block, blockHash: proposal.blockHash, proposer: proposal.proposer, sig: '',
  };
  p.sig = sign(secretKey, proposalSignBytes(chainId, p));
  return p;
}

export function verifyProposal(chainId: string, proposal: Omit<Proposal, 'block'>): boolean {
  return verify(proposal.proposer, proposalSignBytes(chainId, proposal), proposal.sig);
}

/** A malformed consensus message; `field` names the offending field (e.g. `vote.round`). */
export class ConsensusMessageError extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'ConsensusMessageError';
  }
}

function fail(field: string, problem: string): never {
  throw new ConsensusMessageError(field, problem);
}

function plainObject(raw: unknown, field: string, keys: readonly string[]): Record<string, unknown> {
  // Rule: a JSON object (not null, not an array), with exactly the known fields.
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(field, 'must be an object');
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) if (!keys.includes(k)) fail(`${field}.${k}`, 'unexpected field');
  for (const k of keys) if (!(k in obj)) fail(`${field}.${k}`, 'missing');
  return obj;
}

function int(obj: Record<string, unknown>, k: string, field: string, min: number, max: number): number {
  const v = obj[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(`${field}.${k}`, `must be an integer in [${min}, ${max}]`);
  return v;
}

function hex(obj: Record<string, unknown>, k: string, field: string, bytes: number): string {
  const v = obj[k];
  if (!isHex(v, bytes)) fail(`${field}.${k}`, `must be ${bytes * 2} lowercase hex characters`);
  return v;
}

const VOTE_KEYS = ['type', 'height', 'round', 'blockHash', 'validator', 'sig'] as const;
const PROPOSAL_KEYS = ['height', 'round', 'polRound', 'block', 'blockHash', 'proposer', 'sig'] as const;

/** Shape check of an inbound vote; returns a fresh, typed copy. Signature not checked. */
export function validateVoteMessage(raw: unknown): Vote {
  const o = plainObject(raw, 'vote', VOTE_KEYS);
  // Rule: type is prevote or precommit.
  if (o.type !== 'prevote' && o.type !== 'precommit') fail('vote.type', 'must be "prevote" or "precommit"');
  // Rule: height >= 1 (height 0 is genesis, never voted on); round in [0, MAX_ROUND].
  const height = int(o, 'height', 'vote', 1, Number.MAX_SAFE_INTEGER);
  const round = int(o, 'round', 'vote', 0, MAX_ROUND);
  // Rule: blockHash is null (nil) or 64 hex.
  if (o.blockHash !== null && !isHex(o.blockHash, 32)) fail('vote.blockHash', 'must be null or 64 lowercase hex characters');
  const validator = hex(o, 'validator', 'vote', 32);
  const sig = hex(o, 'sig', 'vote', 64);
  return { type: o.type, height, round, blockHash: o.blockHash as string | null, validator, sig };
}

/**
 * Votes read back from disk after a restart (a lock's proof, the node's own votes):
 * the well-formed, correctly signed ones that `misfit` finds nothing wrong with. Each
 * other entry is named in `skipped`, with why.
 */
export function checkStoredVotes(
  chainId: string,
  stored: unknown,
  misfit: (v: Vote) => string | null,
): { votes: Vote[]; skipped: string[] } {
  const votes: Vote[] = [];
  const skipped: string[] = [];
  if (stored === undefined) return { votes, skipped };
  if (!Array.isArray(stored)) return { votes, skipped: ['not an array'] };
  for (const [i, raw] of stored.entries()) {
    let v: Vote;
    try {
      v = validateVoteMessage(raw);
    } catch (err) {
      skipped.push(`[${i}]: ${(err as Error).message}`);
      continue;
    }
    const why = misfit(v) ?? (verifyVote(chainId, v) ? null : 'signature does not verify');
    if (why === null) votes.push(v);
    else skipped.push(`[${i}]: ${why}`);
  }
  return { votes, skipped };
}

/**
 * The usable prevotes of a stored proof-of-lock: prevotes for the lock's block at its
 * height and round, by an authority of that height (and well-formed and signed).
 */
export function checkProofOfLock(
  chainId: string,
  lock: { height: number; round: number; blockHash: string },
  stored: unknown,
  authorities: readonly string[],
): { votes: Vote[]; skipped: string[] } {
  return checkStoredVotes(chainId, stored, (v) =>
    v.type !== 'prevote' ? 'not a prevote'
      : v.height !== lock.height || v.round !== lock.round ? `for ${v.height}/${v.round}, not the lock's ${lock.height}/${lock.round}`
      : v.blockHash !== lock.blockHash ? 'for another block than the lock\'s'
      : !authorities.includes(v.validator) ? 'by a validator that is not an authority of this height'
      : null);
}

/**
 * Shape check of an inbound proposal; returns a fresh, typed copy (the block object is
 * passed through: its content and hash are the host's to validate). Signature not checked.
 */
export function validateProposalMessage(raw: unknown): Proposal {
  const o = plainObject(raw, 'proposal', PROPOSAL_KEYS);
  const fields = proposalFields(o);
  // Rule: block is {header: object, txs: array}; deeper checks belong to block validation.
  const block = blockWith(o, 'txs');
  if (!Array.isArray(block.txs)) fail('proposal.block.txs', 'must be an array');
  return { ...fields, block: o.block as Proposal['block'] };
}

/** Every proposal field but the block (shared by the full and the gossip form). */
function proposalFields(o: Record<string, unknown>): Omit<Proposal, 'block'> {
  const height = int(o, 'height', 'proposal', 1, Number.MAX_SAFE_INTEGER);
  const round = int(o, 'round', 'proposal', 0, MAX_ROUND);
  // Rule: polRound is -1 (no proof-of-lock) or an earlier round of the same height.
  const polRound = int(o, 'polRound', 'proposal', -1, MAX_ROUND);
  if (polRound >= round) fail('proposal.polRound', 'must be -1 or below round');
  const blockHash = hex(o, 'blockHash', 'proposal', 32);
  const proposer = hex(o, 'proposer', 'proposal', 32);
  const sig = hex(o, 'sig', 'proposal', 64);
  return { height, round, polRound, blockHash, proposer, sig };
}

/** proposal.block as exactly {header: object, <list>}. */
function blockWith(o: Record<string, unknown>, list: 'txs' | 'txHashes'): Record<string, unknown> {
  const block = plainObject(o.block, 'proposal.block', ['header', list]);
  if (typeof block.header !== 'object' || block.header === null || Array.isArray(block.header)) fail('proposal.block.header', 'must be an object');
  return block;
}

/**
 * A block as a proposal carries it over gossip: the header and the hashes of its txs, in
 * order. Validators hold the txs already (tx gossip) and rebuild the block from their
 * mempool; a validator missing one fetches the whole block from a peer. The header is
 * passed through unchecked, like a full proposal's block.
 */
export interface CompactBlock {
  header: Record<string, unknown>;
  txHashes: string[];
}

/** The gossip form of a proposal: everything but the block's txs, which travel by hash. */
export type WireProposal = Omit<Proposal, 'block'> & { block: CompactBlock };

/** A proposal with its block reduced to tx hashes (`txHashes` in block order). */
export function compactProposal(p: Proposal, txHashes: string[]): WireProposal {
  return { height: p.height, round: p.round, polRound: p.polRound, block: { header: p.block.header as unknown as Record<string, unknown>, txHashes }, blockHash: p.blockHash, proposer: p.proposer, sig: p.sig };
}

/**
 * A proposal's JSON with its block's txs written from their wire bytes (JCS, in block
 * order), so a block is not serialised again: it parses to the same value as
 * `JSON.stringify(p)` (only the key order inside each tx may differ).
 */
export function proposalJson(p: Proposal, txWires: readonly Uint8Array[]): Buffer {
  if (txWires.length !== p.block.txs.length) throw new Error(`proposalJson: ${txWires.length} tx wires for ${p.block.txs.length} txs`);
  const head = `{"height":${p.height},"round":${p.round},"polRound":${p.polRound},"block":{"header":${JSON.stringify(p.block.header)},"txs":[`;
  const tail = `]},"blockHash":${JSON.stringify(p.blockHash)},"proposer":${JSON.stringify(p.proposer)},"sig":${JSON.stringify(p.sig)}}`;
  return jsonAround(head, txWires, tail);
}

/** A consensus gossip message: `resend` makes a re-broadcast differ in bytes (gossip dedups by content). */
export type WireMessage = { kind: 'proposal'; proposal: WireProposal; resend?: number } | { kind: 'vote'; vote: Vote; resend?: number };

const ENVELOPE_KEYS = new Set(['kind', 'vote', 'proposal', 'resend']);

/** Parses and shape-checks an inbound consensus gossip message (signatures not checked); throws saying what is wrong. */
export function parseWireMessage(data: Uint8Array, maxTxs: number): WireMessage {
  const raw = JSON.parse(Buffer.from(data).toString('utf8')) as { kind?: unknown; proposal?: unknown; vote?: unknown; resend?: unknown };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('message must be a JSON object');
  if (raw.resend !== undefined && !Number.isSafeInteger(raw.resend)) throw new Error('resend must be an integer');
  for (const k of Object.keys(raw)) if (!ENVELOPE_KEYS.has(k)) throw new Error(`unknown field "${k}"`);
  if (raw.kind === 'vote') return { kind: 'vote', vote: validateVoteMessage(raw.vote) };
  if (raw.kind === 'proposal') return { kind: 'proposal', proposal: validateWireProposal(raw.proposal, maxTxs) };
  throw new Error('kind must be "vote" or "proposal"');
}

/**
 * Shape check of an inbound gossip proposal (compact block, at most `maxTxs` distinct tx
 * hashes); returns a fresh, typed copy. Signature not checked.
 */
export function validateWireProposal(raw: unknown, maxTxs: number): WireProposal {
  const o = plainObject(raw, 'proposal', PROPOSAL_KEYS);
  const rest = proposalFields(o);
  // Rule: block is {header: object, txHashes: [64 hex, ...]}, no hash twice, at most maxTxs.
  const block = blockWith(o, 'txHashes');
  const hashes = block.txHashes;
  if (!Array.isArray(hashes)) fail('proposal.block.txHashes', 'must be an array');
  if (hashes.length > maxTxs) fail('proposal.block.txHashes', `must hold at most ${maxTxs} hashes`);
  for (let i = 0; i < hashes.length; i++) if (!isHex(hashes[i], 32)) fail(`proposal.block.txHashes[${i}]`, 'must be 64 lowercase hex characters');
  if (new Set(hashes).size !== hashes.length) fail('proposal.block.txHashes', 'must not repeat a hash');
  return { ...rest, block: { header: block.header as Record<string, unknown>, txHashes: [...(hashes as string[])] } };
}
