import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../../src/chain/jcs.js';
import { txHash, signTx, decodeTx, verifyTxSig } from '../../../src/chain/tx.js';
import { publicKeyOf, verify, verifyStrictNoble, checkPublicKey } from '../../../src/chain/ed25519.js';
import { createHash } from 'node:crypto';
import { auditPath, leafHash, merkleRootHex, nodeHash, rootFromLeafHashes, rootFromPath } from '../../../src/chain/merkle.js';
import { blockHash, precommitSignBytes, txRootOf, validatorsHash } from '../../../src/chain/block.js';
import { canonicalBytes } from '../../../src/chain/jcs.js';
import { loadVector } from '../../support/vectors.js';
import type { Tx } from '../../../src/chain/types.js';

describe('signing vectors (SPEC §3)', () => {
  const v = loadVector('signing.json');
  for (const [i, c] of (v.cases as any[]).entries()) {
    it(`case ${i} ${c.body.type}: canonical bytes, hash, signature, wire`, () => {
      expect(publicKeyOf(c.secretKey)).toBe(c.account);
      expect(canonicalize(c.body)).toBe(c.canonical);
      expect(txHash(c.body)).toBe(c.hash);
      const signed = signTx(c.body, c.secretKey);
      expect(signed.sig).toBe(c.sig);
      expect(signed).toEqual(c.wire);
      expect(verifyTxSig(decodeTx(c.wire as Tx))).toBe(true);
    });
  }
});

/** RFC 6962 §2.1 MTH over leaf hashes, as the RFC states it. */
function naiveRoot(ls: Buffer[]): Buffer {
  if (ls.length === 1) return ls[0]!;
  let k = 1;
  while (k * 2 < ls.length) k *= 2;
  return nodeHash(naiveRoot(ls.slice(0, k)), naiveRoot(ls.slice(k)));
}

describe('merkle vectors (RFC 6962)', () => {
  const v = loadVector('merkle.json');
  const leaves = (v.txs as Tx[]).map((t) => leafHash(canonicalBytes(t)));
  for (const tree of v.trees as any[]) {
    it(`tree of ${tree.treeSize}: root and every audit path`, () => {
      const ls = leaves.slice(0, tree.treeSize);
      expect(rootFromLeafHashes(ls).toString('hex')).toBe(tree.root);
      expect(txRootOf((v.txs as Tx[]).slice(0, tree.treeSize).map((t) => canonicalBytes(t)))).toBe(tree.root);
      tree.paths.forEach((p: string[], i: number) => {
        expect(auditPath(ls, i).map((b) => b.toString('hex'))).toEqual(p);
        const r = rootFromPath(ls[i]!, i, tree.treeSize, p.map((h) => Buffer.from(h, 'hex')));
        expect(r?.toString('hex')).toBe(tree.root);
      });
    });
  }
  it('merkleRootHex (txRoot) equals the Buffer-based tree hash for every size up to 70, leaves of any length', () => {
    const data = Array.from({ length: 70 }, (_, i) => Buffer.alloc(i * 97 + (i % 3), i));
    data.push(Buffer.alloc(9000, 7)); // longer than the leaf scratch buffer's first size
    for (let n = 0; n <= data.length; n++) {
      expect(merkleRootHex(data.slice(0, n))).toBe(rootFromLeafHashes(data.slice(0, n).map(leafHash)).toString('hex'));
      // And against RFC 6962's definition written out here with nodeHash (both roots share one recursion).
      expect(merkleRootHex(data.slice(0, n))).toBe(n === 0 ? createHash('sha256').digest('hex') : naiveRoot(data.slice(0, n).map(leafHash)).toString('hex'));
    }
  });
  it('a path checked at the wrong index or size does not give the root', () => {
    const ls = leaves.slice(0, 5);
    const p = auditPath(ls, 2);
    expect(rootFromPath(ls[2]!, 3, 5, p)?.toString('hex')).not.toBe(rootFromLeafHashes(ls).toString('hex'));
    expect(rootFromPath(ls[2]!, 2, 4, p)).toBeNull();
    expect(rootFromPath(ls[2]!, 5, 5, p)).toBeNull();
  });
});

describe('block vectors (SPEC §4)', () => {
  const v = loadVector('block.json');
  it('block hash = sha256(JCS(header))', () => {
    expect(blockHash(v.header)).toBe(v.blockHash);
  });
  it('precommit hash and signature', () => {
    const bytes = precommitSignBytes(v.precommit.chainId, v.precommit.height, v.precommit.round, v.precommit.blockHash);
    expect(bytes.toString('hex')).toBe(v.precommitHash);
    expect(publicKeyOf(v.authority.secretKey)).toBe(v.authority.account);
    expect(verify(v.authority.account, bytes, v.signature)).toBe(true);
  });
  it('validatorsHash of the single authority', () => {
    expect(validatorsHash([v.authority.account])).toBe(v.header.validatorsHash);
  });
});

describe('ed25519 edge vectors', () => {
  const v = loadVector('ed25519-edge.json');
  for (const c of v.cases as any[]) {
    it(c.name, () => {
      const msg = Buffer.from(c.hash, 'hex');
      expect(verifyStrictNoble(c.account, msg, c.sig)).toBe(c.valid);
      expect(verify(c.account, msg, c.sig)).toBe(c.valid);
      if (c.keyMustBeRefused) expect(checkPublicKey(c.account)).not.toBeNull();
      else expect(checkPublicKey(c.account)).toBeNull();
    });
  }
});
