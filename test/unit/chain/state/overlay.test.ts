import { describe, expect, it } from 'vitest';
import { MapState, Overlay, deepFreeze } from '../../../../src/chain/state/index.js';

describe('Overlay', () => {
  it('reads fall through; writes and deletes shadow the base', () => {
    const base = new MapState(new Map([['a', 1], ['b', 2]]));
    const o = new Overlay(base);
    o.put('a', 10);
    o.del('b');
    o.put('c', 3);
    expect([o.get('a'), o.get('b'), o.get('c')]).toEqual([10, undefined, 3]);
    expect([base.get('a'), base.get('b'), base.get('c')]).toEqual([1, 2, undefined]);
    expect([...o.writes()]).toEqual([['a', 10], ['b', null], ['c', 3]]);
  });
  it('a child sees its parent; commit folds its writes in, dropping it discards them', () => {
    const o = new Overlay(new MapState());
    o.put('k', 'parent');
    const kept = o.child();
    kept.put('k', 'child');
    kept.put('n', 1);
    expect(o.get('k')).toBe('parent');
    kept.commit();
    expect(o.get('k')).toBe('child');
    const dropped = o.child();
    dropped.del('k');
    dropped.put('z', 1);
    expect(dropped.get('k')).toBeUndefined();
    dropped.discard();
    expect(o.get('k')).toBe('child');
    expect(dropped.get('z')).toBeUndefined(); // emptied: reads fall through again
    expect([...o.writes()]).toEqual([['k', 'child'], ['n', 1]]);
  });
  it('stored values are frozen: mutating a read value throws (copy-on-write)', () => {
    const o = new Overlay(new MapState());
    o.put('acct', { nonce: 0, list: [1, 2] });
    const v = o.get('acct') as { nonce: number; list: number[] };
    expect(() => { v.nonce = 1; }).toThrow(TypeError);
    expect(() => v.list.push(3)).toThrow(TypeError);
  });
  it('values read from an unfrozen base are frozen, never mutated', () => {
    const raw = { admins: ['a'] };
    const o = new Overlay(new MapState(new Map([['org/x', raw]])));
    const v = o.child().get('org/x') as { admins: string[] };
    expect(v).toBe(raw);
    expect(() => v.admins.push('b')).toThrow(TypeError);
    expect(raw).toEqual({ admins: ['a'] });
  });
  it('a non-JSON value is refused at the put that wrote it', () => {
    const o = new Overlay(new MapState());
    expect(() => o.put('bad', { n: Number.NaN })).toThrow(TypeError);
    expect(() => o.put('bad', [undefined as unknown as null])).toThrow(TypeError);
    expect(o.size).toBe(0);
  });
  it('deepFreeze stops at frozen subtrees and leaves primitives alone', () => {
    const inner = Object.freeze({ x: 1 });
    const v = deepFreeze({ inner, y: [1] });
    expect(Object.isFrozen(v.y)).toBe(true);
    expect(deepFreeze(5)).toBe(5);
    expect(deepFreeze(null)).toBeNull();
  });
  it('encodedWrites holds the JCS bytes of each value', () => {
    const o = new Overlay(new MapState());
    o.put('k', { b: 1, a: 'x' });
    o.del('d');
    expect(o.encodedWrites().get('k')!.toString()).toBe('{"a":"x","b":1}');
    expect(o.encodedWrites().get('d')).toBeNull();
  });
  it('putDeferred encodes the final value in encodedWrites; a later put, del or child write wins', () => {
    const o = new Overlay(new MapState());
    o.putDeferred('a', { n: 1 });
    o.putDeferred('a', { n: 2 });
    o.putDeferred('b', { n: 1 });
    o.put('b', { n: 3 });
    o.putDeferred('c', { n: 1 });
    o.del('c');
    o.putDeferred('d', { n: 1 });
    const child = o.child();
    child.put('d', { n: 4 });
    child.commit();
    o.putDeferred('e', { n: 1 });
    const child2 = o.child();
    child2.put('e', { n: 5 });
    child2.commit();
    expect(o.get('a')).toEqual({ n: 2 });
    expect(Object.isFrozen(o.get('a'))).toBe(true);
    const enc = o.encodedWrites();
    expect([...enc].map(([k, v]) => [k, v === null ? null : v.toString()])).toEqual([
      ['a', '{"n":2}'], ['b', '{"n":3}'], ['c', null], ['d', '{"n":4}'], ['e', '{"n":5}'],
    ]);
  });
});
