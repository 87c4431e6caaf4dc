import { canonicalBytes } from '../jcs.js';
import { sha256Hex } from '../hash.js';
import { isHex } from '../../util/hex.js';
import type { StateWrites } from './interface.js';

/** The "previous root" of the genesis state: 32 zero bytes. */
export const GENESIS_PREV_ROOT = '0'.repeat(64);

const DELETED = 0xffffffff;
const ASCII_RE = /^[\x00-\x7f]*$/;

/**
 * The state commitment in each header (SPEC §4 `stateRoot`):
 *
 *   stateRoot = sha256( prevRoot (32 bytes)
 *                    || for each written key, in ascending order of its UTF-8 bytes:
 *                         u32be(byteLength(key)) || UTF-8(key)
 *                         || (deleted ? u32be(0xffffffff) : u32be(byteLength(v)) || JCS(v)) )
 *
 * with prevRoot = 32 zero bytes for the genesis writes. The genesis root commits to the
 * whole genesis state, and each later root commits to the previous root and to exactly
 * what the block changed, so by induction it commits to the whole state after the block
 * (two states with the same root have the same history of writes, hence the same
 * content). It costs O(writes of the block), not O(state), and every node computes the
 * same one since writes are deterministic. It gives no per-key inclusion proofs: a
 * verifier replays blocks.
 */
export function stateRoot(prevRoot: string, writes: StateWrites): string {
  const enc = new Map<string, Buffer | null>();
  for (const [k, v] of writes) enc.set(k, v === null ? null : canonicalBytes(v));
  return stateRootEncoded(prevRoot, enc);
}

/** `stateRoot` over already-encoded values (Overlay.encodedWrites). */
export function stateRootEncoded(prevRoot: string, writes: ReadonlyMap<string, Buffer | null>): string {
  if (!isHex(prevRoot, 32)) throw new Error('stateRoot: prevRoot must be 64 lowercase hex characters');
  const keys = [...writes.keys()];
  // UTF-8 byte order. For ASCII keys (all of this chain's) it is plain string order,
  // much cheaper than comparing Buffers.
  if (keys.every((k) => ASCII_RE.test(k))) keys.sort();
  else keys.sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  let total = 32;
  for (const k of keys) {
    const v = writes.get(k) as Buffer | null;
    total += 8 + Buffer.byteLength(k, 'utf8') + (v === null ? 0 : v.length);
  }
  const buf = Buffer.allocUnsafe(total);
  let off = buf.write(prevRoot, 0, 'hex');
  for (const k of keys) {
    const v = writes.get(k) as Buffer | null;
    const len = buf.write(k, off + 4, 'utf8');
    buf.writeUInt32BE(len, off);
    off += 4 + len;
    if (v === null) {
      off = buf.writeUInt32BE(DELETED, off);
    } else {
      off = buf.writeUInt32BE(v.length, off);
      off += v.copy(buf, off);
    }
  }
  return sha256Hex(buf);
}
