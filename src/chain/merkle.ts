import { sha256, sha256Hex } from './hash.js';

/**
 * RFC 6962 Merkle tree hash: leaf = sha256(0x00 || data), node = sha256(0x01 || l || r),
 * the split at the largest power of two below n. The empty tree hashes to sha256("").
 */
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

export function leafHash(data: Uint8Array): Buffer {
  return sha256(Buffer.concat([LEAF, data]));
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(Buffer.concat([NODE, left, right]));
}

function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Merkle tree hash over already-hashed leaves. */
export function rootFromLeafHashes(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256(Buffer.alloc(0));
  return Buffer.from(rootOfHexLeaves(leaves.map((l) => l.toString('hex')), 0, leaves.length), 'hex');
}

/**
 * The tree hash of `data` (each item a leaf's data), as hex: the same value as
 * `rootFromLeafHashes(data.map(leafHash))`, computed for a block's txRoot (every node,
 * every block). Hashes stay hex strings and their inputs are written into scratch
 * buffers: node:crypto's hash with a hex digest costs about half of one that returns a
 * Buffer (a new ArrayBuffer each), and nothing per leaf is left for the GC but a string.
 */
export function merkleRootHex(data: readonly Uint8Array[]): string {
  if (data.length === 0) return sha256Hex(new Uint8Array(0));
  const leaves = new Array<string>(data.length);
  for (let i = 0; i < data.length; i++) leaves[i] = leafHashHex(data[i]!);
  return rootOfHexLeaves(leaves, 0, leaves.length);
}

/** Scratch space for `leafHashHex` and `rootOfHexLeaves` (synchronous use only; contents never escape). */
let leafScratch = Buffer.allocUnsafe(4096);
const nodeScratch = Buffer.alloc(65, 1);

function leafHashHex(data: Uint8Array): string {
  if (leafScratch.length <= data.length) leafScratch = Buffer.allocUnsafe(2 * (data.length + 1));
  leafScratch[0] = 0;
  leafScratch.set(data, 1);
  return sha256Hex(leafScratch.subarray(0, data.length + 1));
}

/** The tree hash of leaves[lo..hi) (hex leaf hashes, hi > lo), as hex: the one recursion every root here uses. */
function rootOfHexLeaves(leaves: readonly string[], lo: number, hi: number): string {
  const n = hi - lo;
  if (n === 1) return leaves[lo]!;
  const k = splitPoint(n);
  const left = rootOfHexLeaves(leaves, lo, lo + k);
  const right = rootOfHexLeaves(leaves, lo + k, hi);
  // Written after both subtrees are done: they use the same scratch buffer.
  nodeScratch.write(left, 1, 'hex');
  nodeScratch.write(right, 33, 'hex');
  return sha256Hex(nodeScratch);
}

/** Audit path of leaf `index` (RFC 6962 §2.1.1), leaf side first. */
export function auditPath(leaves: Buffer[], index: number): Buffer[] {
  if (index < 0 || index >= leaves.length) throw new RangeError('leaf index out of range');
  const hex = leaves.map((l) => l.toString('hex'));
  const subtree = (lo: number, hi: number): Buffer => Buffer.from(rootOfHexLeaves(hex, lo, hi), 'hex');
  const path: Buffer[] = [];
  const walk = (lo: number, hi: number): void => {
    const n = hi - lo;
    if (n === 1) return;
    const k = splitPoint(n);
    if (index < lo + k) {
      walk(lo, lo + k);
      path.push(subtree(lo + k, hi));
    } else {
      walk(lo + k, hi);
      path.push(subtree(lo, lo + k));
    }
  };
  walk(0, leaves.length);
  return path;
}

/** Recomputes the root from a leaf hash and its audit path (RFC 9162 §2.1.3.2). */
export function rootFromPath(leaf: Uint8Array, index: number, treeSize: number, path: Uint8Array[]): Buffer | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) return null;
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}
