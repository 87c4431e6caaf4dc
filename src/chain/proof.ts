import { commitProblem } from './commit.js';
import { blockHash, validatorsHash } from './block.js';
import { checkPublicKey, verify } from './ed25519.js';
import { canonicalBytes } from './jcs.js';
import { leafHash, rootFromPath } from './merkle.js';
import { txHashBytes } from './tx.js';
import { TX_TYPES, type Authority, type Commit, type Genesis, type Header, type Tx } from './types.js';
import { isObject } from '../util/json.js';

/**
 * Transaction inclusion proofs (SPEC §5 chain_getTxProof) and their offline verifier.
 * docs/proofs.md describes the format for other languages.
 *
 * A proof binds a signed tx to a final block: the tx's JCS bytes are leaf `index` of
 * the block's RFC 6962 tx tree (txRoot), the header hashes to the commit's blockHash,
 * and the commit holds > 2/3 precommits of the authority set that signs that block.
 * The verifier knows only genesis: it starts from the genesis authorities and follows
 * `authorityChanges` (every earlier block whose nextValidatorsHash differs from its
 * validatorsHash), checking each against the set it knows before switching to it.
 */

/** One block that changed the authority set, with the set that signs the next block. */
export interface AuthorityChange {
  header: Header;
  commit: Commit;
  authorities: Authority[];
}

export interface TxProof {
  tx: Tx;
  height: number;
  index: number;
  treeSize: number;
  /** Audit path of leaf `index`, hex, leaf side first (RFC 9162 §2.1.3). */
  path: string[];
  header: Header;
  commit: Commit;
  authorityChanges: AuthorityChange[];
}

export type ProofVerdict = { ok: true; hash: string; height: number } | { ok: false; reason: string };

class ProofError extends Error {}

function fail(reason: string): never {
  throw new ProofError(reason);
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function field(o: Record<string, unknown>, name: string, where: string, ok: (v: unknown) => boolean, expect: string): void {
  if (!(name in o)) fail(`${where}.${name} is missing`);
  if (!ok(o[name])) fail(`${where}.${name} must be ${expect}`);
}

function exactKeys(o: Record<string, unknown>, names: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!names.includes(k)) fail(`${where} has an unknown field "${k}"`);
}

const TX_FIELDS = ['chainId', 'type', 'from', 'nonce', 'payload', 'sig'] as const;
function checkTx(v: unknown): asserts v is Tx {
  if (!isObject(v)) fail('tx must be an object');
  const o = v as Record<string, unknown>;
  exactKeys(o, TX_FIELDS, 'tx');
  field(o, 'chainId', 'tx', (x) => typeof x === 'string', 'a string');
  field(o, 'type', 'tx', (x) => (TX_TYPES as readonly unknown[]).includes(x), `one of ${TX_TYPES.join(', ')}`);
  field(o, 'from', 'tx', (x) => typeof x === 'string' && HEX64.test(x), '64 lowercase hex characters');
  field(o, 'nonce', 'tx', isNat, 'an integer >= 0');
  field(o, 'payload', 'tx', isObject, 'an object');
  field(o, 'sig', 'tx', (x) => typeof x === 'string' && HEX128.test(x), '128 lowercase hex characters');
}

const HEADER_FIELDS = ['chainId', 'height', 'prevHash', 'time', 'txRoot', 'stateRoot', 'proposer', 'validatorsHash', 'nextValidatorsHash'] as const;
function checkHeader(v: unknown, where: string): asserts v is Header {
  if (!isObject(v)) fail(`${where} must be an object`);
  const o = v as Record<string, unknown>;
  exactKeys(o, HEADER_FIELDS, where);
  const hex = (x: unknown): boolean => typeof x === 'string' && HEX64.test(x);
  field(o, 'chainId', where, (x) => typeof x === 'string', 'a string');
  field(o, 'height', where, isNat, 'an integer >= 0');
  field(o, 'prevHash', where, hex, '64 lowercase hex characters');
  field(o, 'time', where, isNat, 'an integer >= 0');
  for (const f of ['txRoot', 'stateRoot', 'validatorsHash', 'nextValidatorsHash']) field(o, f, where, hex, '64 lowercase hex characters');
  field(o, 'proposer', where, (x) => typeof x === 'string', 'a string');
}

function checkCommitShape(v: unknown, where: string): asserts v is Commit {
  if (!isObject(v)) fail(`${where} must be an object`);
  const o = v as Record<string, unknown>;
  field(o, 'height', where, isNat, 'an integer >= 0');
  field(o, 'round', where, isNat, 'an integer >= 0');
  field(o, 'blockHash', where, (x) => typeof x === 'string' && HEX64.test(x), '64 lowercase hex characters');
  field(o, 'signatures', where, Array.isArray, 'an array');
  (o.signatures as unknown[]).forEach((s, i) => {
    const w = `${where}.signatures[${i}]`;
    if (!isObject(s)) fail(`${w} must be an object`);
    field(s as Record<string, unknown>, 'validator', w, (x) => typeof x === 'string' && HEX64.test(x), '64 lowercase hex characters');
    field(s as Record<string, unknown>, 'sig', w, (x) => typeof x === 'string' && HEX128.test(x), '128 lowercase hex characters');
  });
}

function checkAuthorities(v: unknown, where: string): asserts v is Authority[] {
  if (!Array.isArray(v) || v.length === 0) fail(`${where} must be a non-empty array`);
  (v as unknown[]).forEach((a, i) => {
    const w = `${where}[${i}]`;
    if (!isObject(a)) fail(`${w} must be an object`);
    field(a as Record<string, unknown>, 'account', w, (x) => typeof x === 'string' && HEX64.test(x), '64 lowercase hex characters');
  });
}

/**
 * The block `header` is final under `authorities` (sorted account ids): its
 * validatorsHash names that set, it hashes to commit.blockHash, and the commit holds
 * precommits of floor(2n/3)+1 distinct members, each a valid signature over
 * sha256(JCS({chainId, height, round, type:"precommit", blockHash})).
 */
function checkFinal(chainId: string, header: Header, commit: Commit, authorities: readonly string[], where: string): void {
  if (header.chainId !== chainId) fail(`${where}header.chainId "${header.chainId}" is not the genesis chain "${chainId}"`);
  if (header.validatorsHash !== validatorsHash(authorities)) {
    fail(`${where}header.validatorsHash does not match the authority set known at height ${header.height} (an authority change is missing or out of order)`);
  }
  const hash = blockHash(header);
  if (commit.blockHash !== hash) fail(`${where}header does not hash to ${where}commit.blockHash`);
  if (commit.height !== header.height) fail(`${where}commit.height ${commit.height} is not the block height ${header.height}`);
  const why = commitProblem(chainId, header.height, hash, commit, authorities);
  if (why !== null) fail(`${where}commit: ${why}`);
}

function check(proof: unknown, genesis: Pick<Genesis, 'chainId' | 'authorities'>): { hash: string; height: number } {
  if (!isObject(proof)) fail('proof must be an object');
  const p = proof as Record<string, unknown>;
  exactKeys(p, ['tx', 'height', 'index', 'treeSize', 'path', 'header', 'commit', 'authorityChanges'], 'proof');
  checkTx(p.tx);
  field(p, 'height', 'proof', isNat, 'an integer >= 0');
  field(p, 'index', 'proof', isNat, 'an integer >= 0');
  field(p, 'treeSize', 'proof', (x) => isNat(x) && x >= 1, 'an integer >= 1');
  field(p, 'path', 'proof', (x) => Array.isArray(x) && x.every((e) => typeof e === 'string' && HEX64.test(e)), 'an array of 64-hex hashes');
  checkHeader(p.header, 'header');
  checkCommitShape(p.commit, 'commit');
  field(p, 'authorityChanges', 'proof', Array.isArray, 'an array');
  const { tx, header, commit } = p as unknown as TxProof;
  const height = p.height as number;
  const index = p.index as number;
  const treeSize = p.treeSize as number;

  // The tx: this chain, a sound key, a valid signature over its hash.
  if (tx.chainId !== genesis.chainId) fail(`tx.chainId "${tx.chainId}" is not the genesis chain "${genesis.chainId}"`);
  if (checkPublicKey(tx.from) !== null) fail(`tx.from ${checkPublicKey(tx.from)}`);
  const txHash = txHashBytes(tx);
  if (!verify(tx.from, txHash, tx.sig)) fail('tx signature is invalid');

  // Inclusion: leaf = sha256(0x00 || JCS(wire tx)); the path leads to header.txRoot.
  if (header.height !== height) fail(`header.height ${header.height} is not the proof height ${height}`);
  if (index >= treeSize) fail(`index ${index} is not below treeSize ${treeSize}`);
  const root = rootFromPath(leafHash(canonicalBytes(tx)), index, treeSize, (p.path as string[]).map((h) => Buffer.from(h, 'hex')));
  const n = (p.path as string[]).length;
  if (root === null) fail(`path has ${n} hash${n === 1 ? '' : 'es'}, which does not fit index ${index} in a tree of ${treeSize}`);
  if (root.toString('hex') !== header.txRoot) fail(`path does not lead to header.txRoot: the tx is not leaf ${index} of that block's tx tree`);

  // The authority set that signs `height`: from genesis through every change below it.
  let set = genesis.authorities.map((a) => a.account).sort();
  let last = 0;
  (p.authorityChanges as unknown[]).forEach((raw, i) => {
    const w = `authorityChanges[${i}].`;
    if (!isObject(raw)) fail(`authorityChanges[${i}] must be an object`);
    const c = raw as Record<string, unknown>;
    exactKeys(c, ['header', 'commit', 'authorities'], `authorityChanges[${i}]`);
    checkHeader(c.header, `${w}header`);
    checkCommitShape(c.commit, `${w}commit`);
    checkAuthorities(c.authorities, `${w}authorities`);
    const h = c.header as Header;
    if (h.height <= last || h.height >= height) fail(`${w}header.height ${h.height} must be above ${last} and below the tx height ${height} (changes in chain order)`);
    if (h.nextValidatorsHash === h.validatorsHash) fail(`${w}header does not change the authority set`);
    checkFinal(genesis.chainId, h, c.commit as Commit, set, w);
    const next = (c.authorities as Authority[]).map((a) => a.account).sort();
    if (new Set(next).size !== next.length) fail(`${w}authorities lists an account twice`);
    if (validatorsHash(next) !== h.nextValidatorsHash) fail(`${w}authorities do not hash to ${w}header.nextValidatorsHash`);
    set = next;
    last = h.height;
  });

  // The tx's block is final under that set.
  checkFinal(genesis.chainId, header, commit, set, '');
  return { hash: txHash.toString('hex'), height };
}

/**
 * Verifies a chain_getTxProof result against genesis alone (pure: no I/O, no clock).
 * `reason` names the first check that failed.
 */
export function verifyTxProof(proof: unknown, genesis: Pick<Genesis, 'chainId' | 'authorities'>): ProofVerdict {
  try {
    return { ok: true, ...check(proof, genesis) };
  } catch (err) {
    if (err instanceof ProofError) return { ok: false, reason: err.message };
    throw err;
  }
}
