import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { GENESIS_PREV_ROOT, stateRoot, type StateValue, type StateWrites } from '../../../../src/chain/state/index.js';

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

describe('stateRoot', () => {
  it('follows the documented layout: prevRoot || sorted (len key, key, len value, JCS value | 0xffffffff)', () => {
    const prev = 'ab'.repeat(32);
    const writes: StateWrites = new Map<string, StateValue | null>([['b', { y: 2, x: 1 }], ['a', null], ['é', 'v']]);
    const expected = createHash('sha256').update(Buffer.concat([
      Buffer.from(prev, 'hex'),
      u32(1), Buffer.from('a'), u32(0xffffffff),
      u32(1), Buffer.from('b'), u32(13), Buffer.from('{"x":1,"y":2}'),
      u32(2), Buffer.from('é'), u32(3), Buffer.from('"v"'),
    ])).digest('hex');
    expect(stateRoot(prev, writes)).toBe(expected);
  });
  it('genesis prev is 32 zero bytes; no writes = sha256(prevRoot)', () => {
    expect(GENESIS_PREV_ROOT).toBe('0'.repeat(64));
    expect(stateRoot(GENESIS_PREV_ROOT, new Map())).toBe(createHash('sha256').update(Buffer.alloc(32)).digest('hex'));
  });
  it('does not depend on the insertion order of the writes, but on every key, value and the previous root', () => {
    const a: StateWrites = new Map([['x', 1], ['y', 2]]);
    const b: StateWrites = new Map([['y', 2], ['x', 1]]);
    const r = stateRoot(GENESIS_PREV_ROOT, a);
    expect(stateRoot(GENESIS_PREV_ROOT, b)).toBe(r);
    expect(stateRoot(GENESIS_PREV_ROOT, new Map([['x', 1], ['y', 3]]))).not.toBe(r);
    expect(stateRoot(GENESIS_PREV_ROOT, new Map([['x', 1], ['z', 2]]))).not.toBe(r);
    expect(stateRoot('11'.repeat(32), a)).not.toBe(r);
  });
  it('a deletion differs from any value, and keys cannot run into values', () => {
    const del = stateRoot(GENESIS_PREV_ROOT, new Map([['k', null]]));
    expect(stateRoot(GENESIS_PREV_ROOT, new Map([['k', '']]))).not.toBe(del);
    expect(stateRoot(GENESIS_PREV_ROOT, new Map([['ab', 'c']]))).not.toBe(stateRoot(GENESIS_PREV_ROOT, new Map([['a', 'bc']])));
  });
  it('refuses a malformed previous root', () => {
    expect(() => stateRoot('00', new Map())).toThrow(/prevRoot/);
  });
});
