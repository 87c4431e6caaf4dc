import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockHash, precommitSignBytes, txRootOf, validatorsHash } from '../../../src/chain/block.js';
import { generateKeyPair, sign, type KeyPair } from '../../../src/chain/ed25519.js';
import { canonicalBytes } from '../../../src/chain/jcs.js';
import { verifyTxProof, type TxProof } from '../../../src/chain/proof.js';
import { signTx, txHash } from '../../../src/chain/tx.js';
import type { Authority, Commit, Header, Tx } from '../../../src/chain/types.js';
import { buildTxProof } from '../../../src/node/proof.js';
import { ChainStore } from '../../../src/storage/store.js';
import { tempDir } from '../../support/node-proc.js';

const CHAIN = 'medledger-proof';
const ZERO = '0'.repeat(64);

const auth = (kp: KeyPair, i: number): Authority => ({ account: kp.account, org: `org${i}`, nodeId: `node${i}` });

/**
 * A real ChainStore holding: genesis (authorities g1..g4), block 1 with 3 txs, block 2
 * changing the set to {g1, g2, n5} (signed by g1..g3), block 3 with 5 txs signed by the
 * new set, block 4 changing it again to {n5}, block 5 with 1 tx signed by n5.
 */
describe('verifyTxProof (pure) over proofs built from a real store', () => {
  const g = [1, 2, 3, 4].map(() => generateKeyPair());
  const n5 = generateKeyPair();
  const user = generateKeyPair();
  const genesisAuth = g.map(auth);
  const genesis = { chainId: CHAIN, authorities: genesisAuth };
  const setB = [auth(g[0]!, 0), auth(g[1]!, 1), auth(n5, 5)].sort((a, b) => (a.account < b.account ? -1 : 1));
  const setC = [auth(n5, 5)];
  const txsAt = new Map<number, Tx[]>();
  let dir: string;
  let store: ChainStore;
  let prevHash = ZERO;
  let nonce = 0;

  const mkTx = (): Tx => signTx({ chainId: CHAIN, type: 'consent.revoke', from: user.account, nonce: nonce++, payload: { consentId: ZERO } }, user.secretKey);

  const commitFor = (h: Header, signers: KeyPair[], round = 0): Commit => {
    const hash = blockHash(h);
    const bytes = precommitSignBytes(CHAIN, h.height, round, hash);
    return { height: h.height, round, blockHash: hash, signatures: signers.map((s) => ({ validator: s.account, sig: sign(s.secretKey, bytes) })) };
  };

  async function addBlock(height: number, txs: Tx[], signing: Authority[], next: Authority[] | null, signers: KeyPair[]): Promise<void> {
    const header: Header = {
      chainId: CHAIN, height, prevHash, time: 1_700_000_000_000 + height, txRoot: txRootOf(txs.map((t) => canonicalBytes(t))), stateRoot: ZERO,
      proposer: signers[0]!.account, validatorsHash: validatorsHash(signing.map((a) => a.account)), nextValidatorsHash: validatorsHash((next ?? signing).map((a) => a.account)),
    };
    const hash = blockHash(header);
    await store.commitBlock({
      block: { header, txs }, hash, commit: commitFor(header, signers), txHashes: txs.map(txHash), results: txs.map((t) => ({ hash: txHash(t), receipt: { status: 'ok' }, events: [] })),
      writes: new Map(), nextAuthorities: next,
    });
    txsAt.set(height, txs);
    prevHash = hash;
  }

  beforeAll(async () => {
    dir = tempDir('ml-proof-');
    store = await ChainStore.open(dir);
    await addBlock(1, [mkTx(), mkTx(), mkTx()], genesisAuth, null, [g[0]!, g[1]!, g[2]!]);
    await addBlock(2, [], genesisAuth, setB, [g[1]!, g[2]!, g[3]!]);
    await addBlock(3, [mkTx(), mkTx(), mkTx(), mkTx(), mkTx()], setB, null, [g[0]!, g[1]!, n5]);
    await addBlock(4, [mkTx()], setB, setC, [g[0]!, g[1]!, n5]);
    await addBlock(5, [mkTx()], setC, null, [n5]);
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const proofOf = (height: number, index: number): Promise<TxProof> => buildTxProof(store, txHash(txsAt.get(height)![index]!));
  const clone = <T>(v: T): T => structuredClone(v);
  const reason = (p: unknown, gen = genesis): string => {
    const v = verifyTxProof(p, gen);
    if (v.ok) throw new Error('expected the proof to fail');
    return v.reason;
  };

  it('valid proofs pass: before any change, after one change, after two', async () => {
    for (const [h, i] of [[1, 0], [1, 2], [3, 0], [3, 3], [3, 4], [4, 0], [5, 0]] as const) {
      const p = await proofOf(h, i);
      expect(verifyTxProof(p, genesis)).toEqual({ ok: true, hash: txHash(txsAt.get(h)![i]!), height: h });
    }
    const p1 = await proofOf(1, 1);
    expect(p1).toMatchObject({ height: 1, index: 1, treeSize: 3, authorityChanges: [] });
    expect(p1.path).toHaveLength(2);
    const p3 = await proofOf(3, 3);
    expect(p3.authorityChanges.map((c) => c.header.height)).toEqual([2]);
    expect(p3.authorityChanges[0]!.authorities).toEqual(setB);
    // Block 4 changes the set but signs with the old one: its own change is not needed for it.
    expect((await proofOf(4, 0)).authorityChanges.map((c) => c.header.height)).toEqual([2]);
    expect((await proofOf(5, 0)).authorityChanges.map((c) => c.header.height)).toEqual([2, 4]);
    // Round-trips through JSON (what the RPC and the CLI see).
    expect(verifyTxProof(JSON.parse(JSON.stringify(p3)), genesis).ok).toBe(true);
  });

  it('an unknown tx has no proof (not_found)', async () => {
    await expect(buildTxProof(store, 'ab'.repeat(32))).rejects.toMatchObject({ reason: 'not_found' });
  });

  it('tampered tx or signature', async () => {
    const p = await proofOf(3, 3);
    const t1 = clone(p);
    t1.tx.nonce += 1;
    expect(reason(t1)).toBe('tx signature is invalid');
    const t2 = clone(p);
    t2.tx.payload = { consentId: '1'.repeat(64) };
    expect(reason(t2)).toBe('tx signature is invalid');
    const t3 = clone(p);
    t3.tx.sig = (await proofOf(3, 2)).tx.sig;
    expect(reason(t3)).toBe('tx signature is invalid');
    const t4 = clone(p);
    t4.tx.chainId = 'other';
    expect(reason(t4)).toBe('tx.chainId "other" is not the genesis chain "medledger-proof"');
    // Another tx with a valid signature, not in the block.
    const t5 = clone(p);
    t5.tx = mkTx();
    expect(reason(t5)).toBe('path does not lead to header.txRoot: the tx is not leaf 3 of that block\'s tx tree');
  });

  it('tampered path element, index or treeSize', async () => {
    const p = await proofOf(3, 3);
    const a = clone(p);
    a.path[1] = a.path[1]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(reason(a)).toMatch(/^path does not lead to header.txRoot/);
    const b = clone(p);
    b.index = 2;
    expect(reason(b)).toMatch(/^path does not lead to header.txRoot/);
    const c = clone(p);
    c.path.pop();
    expect(reason(c)).toBe('path has 2 hashes, which does not fit index 3 in a tree of 5');
    const d = clone(p);
    d.index = 5;
    expect(reason(d)).toBe('index 5 is not below treeSize 5');
    const e = clone(p);
    e.treeSize = 4;
    expect(reason(e)).toMatch(/^path (does not lead|has)/);
    const f = clone(p);
    f.path[0] = 'XYZ';
    expect(reason(f)).toBe('proof.path must be an array of 64-hex hashes');
  });

  it('index and treeSize are the path\'s shape, not committed by the header: inclusion is what is proven', async () => {
    // Leaf 4 of 5 is the right child of the root; as leaf 1 of a 2-leaf tree the same path recomputes txRoot.
    const p = await proofOf(3, 4);
    expect(p.path).toHaveLength(1);
    const reshaped = { ...clone(p), index: 1, treeSize: 2 };
    expect(verifyTxProof(reshaped, genesis)).toMatchObject({ ok: true, height: 3 });
    // Shapes that do not fit the path still fail.
    expect(reason({ ...clone(p), index: 0, treeSize: 2 })).toMatch(/^path does not lead to header.txRoot/);
    expect(reason({ ...clone(p), index: 2, treeSize: 5 })).toMatch(/^path has 1 hash, which does not fit index 2 in a tree of 5$/);
  });

  it('tampered header fields', async () => {
    const p = await proofOf(3, 3);
    for (const [k, v] of [['time', p.header.time + 1], ['stateRoot', '1'.repeat(64)], ['prevHash', '2'.repeat(64)], ['proposer', n5.account]] as const) {
      const t = clone(p);
      (t.header as unknown as Record<string, unknown>)[k] = v;
      expect(reason(t)).toBe('header does not hash to commit.blockHash');
    }
    const root = clone(p);
    root.header.txRoot = '3'.repeat(64);
    expect(reason(root)).toMatch(/^path does not lead to header.txRoot/);
    const height = clone(p);
    height.header.height = 4;
    expect(reason(height)).toBe('header.height 4 is not the proof height 3');
    const vh = clone(p);
    vh.header.validatorsHash = validatorsHash(genesisAuth.map((a) => a.account));
    expect(reason(vh)).toBe('header.validatorsHash does not match the authority set known at height 3 (an authority change is missing or out of order)');
    const extra = clone(p) as unknown as { header: Record<string, unknown> };
    extra.header.note = 'x';
    expect(reason(extra)).toBe('header has an unknown field "note"');
  });

  it('tampered commit: signature, round, duplicates, outsiders, missing quorum', async () => {
    const p = await proofOf(3, 3);
    const s = clone(p);
    const first = s.commit.signatures[0]!;
    first.sig = s.commit.signatures[1]!.sig;
    expect(reason(s)).toBe(`commit: bad precommit signature by ${first.validator}`);
    const r = clone(p);
    r.commit.round = 1;
    expect(reason(r)).toMatch(/^commit: bad precommit signature by /);
    const q = clone(p);
    q.commit.signatures.pop();
    expect(reason(q)).toBe('commit: 2 of 3 precommits, 3 needed');
    const dup = clone(p);
    dup.commit.signatures[2] = dup.commit.signatures[0]!;
    expect(reason(dup)).toBe(`commit: signer ${dup.commit.signatures[0]!.validator} appears twice`);
    const outsider = clone(p);
    const g4 = g[3]!;
    outsider.commit.signatures[2] = { validator: g4.account, sig: sign(g4.secretKey, precommitSignBytes(CHAIN, 3, 0, p.commit.blockHash)) };
    expect(reason(outsider)).toBe(`commit: signer ${g4.account} is not an authority of block 3`);
    const hash = clone(p);
    hash.commit.blockHash = '4'.repeat(64);
    expect(reason(hash)).toBe('header does not hash to commit.blockHash');
    const height = clone(p);
    height.commit.height = 2;
    expect(reason(height)).toBe('commit.height 2 is not the block height 3');
  });

  it('missing or forged authority changes', async () => {
    const p = await proofOf(3, 3);
    const none = clone(p);
    none.authorityChanges = [];
    expect(reason(none)).toBe('header.validatorsHash does not match the authority set known at height 3 (an authority change is missing or out of order)');

    // Swap in another set: it no longer hashes to the signed nextValidatorsHash.
    const evil = generateKeyPair();
    const swapped = clone(p);
    swapped.authorityChanges[0]!.authorities = [auth(evil, 9)];
    expect(reason(swapped)).toBe('authorityChanges[0].authorities do not hash to authorityChanges[0].header.nextValidatorsHash');

    // Also rewrite the header: its hash no longer matches the commit.
    const rehashed = clone(p);
    rehashed.authorityChanges[0]!.authorities = [auth(evil, 9)];
    rehashed.authorityChanges[0]!.header.nextValidatorsHash = validatorsHash([evil.account]);
    expect(reason(rehashed)).toBe('authorityChanges[0].header does not hash to authorityChanges[0].commit.blockHash');

    // A whole forged block, committed by the forger's own key.
    const forged = clone(p);
    const fh: Header = { ...forged.authorityChanges[0]!.header, nextValidatorsHash: validatorsHash([evil.account]) };
    forged.authorityChanges[0] = { header: fh, commit: commitFor(fh, [evil]), authorities: [auth(evil, 9)] };
    expect(reason(forged)).toBe(`authorityChanges[0].commit: signer ${evil.account} is not an authority of block 2`);

    // Too few genesis signatures on the change.
    const weak = clone(p);
    weak.authorityChanges[0]!.commit.signatures.splice(1);
    expect(reason(weak)).toBe('authorityChanges[0].commit: 1 of 4 precommits, 3 needed');

    // Changes out of order or at/after the tx height.
    const p5 = await proofOf(5, 0);
    const reordered = clone(p5);
    reordered.authorityChanges.reverse();
    expect(reason(reordered)).toBe('authorityChanges[0].header.validatorsHash does not match the authority set known at height 4 (an authority change is missing or out of order)');
    const late = clone(p);
    late.authorityChanges.push(clone(p5.authorityChanges[1]!));
    expect(reason(late)).toBe('authorityChanges[1].header.height 4 must be above 2 and below the tx height 3 (changes in chain order)');
    const noChange = clone(p);
    noChange.authorityChanges[0]!.header.nextValidatorsHash = noChange.authorityChanges[0]!.header.validatorsHash;
    expect(reason(noChange)).toBe('authorityChanges[0].header does not change the authority set');
  });

  it('checks against the given genesis: other chain id or other authorities fail', async () => {
    const p = await proofOf(1, 0);
    expect(reason(p, { chainId: 'other', authorities: genesisAuth })).toBe('tx.chainId "medledger-proof" is not the genesis chain "other"');
    expect(reason(p, { chainId: CHAIN, authorities: [auth(generateKeyPair(), 7)] })).toMatch(/^header.validatorsHash does not match the authority set known at height 1/);
  });

  it('malformed proofs get a reason naming the field', async () => {
    const p = await proofOf(1, 0);
    expect(reason(null)).toBe('proof must be an object');
    expect(reason([])).toBe('proof must be an object');
    const { commit: _c, ...noCommit } = clone(p);
    expect(reason(noCommit)).toBe('commit must be an object');
    expect(reason({ ...clone(p), extra: 1 })).toBe('proof has an unknown field "extra"');
    expect(reason({ ...clone(p), height: -1 })).toBe('proof.height must be an integer >= 0');
    expect(reason({ ...clone(p), tx: { ...p.tx, type: 'x' } })).toMatch(/^tx.type must be one of /);
    expect(reason({ ...clone(p), authorityChanges: {} })).toBe('proof.authorityChanges must be an array');
    expect(reason({ ...clone(p), authorityChanges: [{ header: p.header, commit: p.commit, authorities: [] }] })).toBe('authorityChanges[0].authorities must be a non-empty array');
  });
});
