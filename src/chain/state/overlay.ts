import { canonicalBytes } from '../jcs.js';
import type { StateReader, StateValue, StateWrites } from './interface.js';

/**
 * A write buffer over a StateReader: reads fall through to the base unless this layer
 * (or a layer below it) wrote the key. Nest one per tx with `child()`; `commit()` folds a
 * child's writes into its parent, dropping the child discards them.
 *
 * Values are immutable. `put` deep-freezes what it stores, so a handler that mutates a
 * value it read (rather than copying it) throws a TypeError, and a rejected tx can never
 * leak a change into its parent through a shared object. Values read from the base are
 * frozen too (never mutated: the base's own objects stay as they are, only frozen). `put` also encodes the value (JCS) once, which refuses non-JSON values
 * at the write that made them and gives `stateRoot` its bytes without re-encoding.
 */
export class Overlay implements StateReader {
  private readonly values = new Map<string, StateValue | null>();
  private readonly encoded = new Map<string, Buffer | null>();

  constructor(private readonly base: StateReader, private readonly parent: Overlay | null = null) {}

  /** A nested layer over this one (per tx). */
  child(): Overlay {
    return new Overlay(this, this);
  }

  get(key: string): StateValue | undefined {
    const v = this.values.get(key);
    if (v !== undefined) return v === null ? undefined : v;
    // Values read from the node's state are frozen on the way in (cheap once frozen), so
    // a handler mutating a read value fails instead of corrupting the committed state.
    return this.parent === null ? deepFreeze(this.base.get(key)) : this.base.get(key);
  }

  put(key: string, value: StateValue): void {
    const bytes = canonicalBytes(value);
    this.values.set(key, deepFreeze(value));
    this.encoded.set(key, bytes);
  }

  del(key: string): void {
    this.values.set(key, null);
    this.encoded.set(key, null);
  }

  /** Folds this layer's writes into its parent. */
  commit(): void {
    if (this.parent === null) throw new Error('Overlay.commit: not a child overlay');
    for (const [k, v] of this.values) {
      this.parent.values.set(k, v);
      this.parent.encoded.set(k, this.encoded.get(k)!);
    }
    this.values.clear();
    this.encoded.clear();
  }

  /** This layer's writes in first-write order (null = delete). A copy. */
  writes(): StateWrites {
    return new Map(this.values);
  }

  /** The same writes with each value's JCS bytes (null = delete), for `stateRoot`. */
  encodedWrites(): ReadonlyMap<string, Buffer | null> {
    return this.encoded;
  }

  get size(): number {
    return this.values.size;
  }
}

/** Freezes a JSON value and everything in it; stops at already-frozen subtrees. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const k of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[k]);
  }
  return value;
}

/** A StateReader over a plain map (tests, genesis). */
export class MapState implements StateReader {
  constructor(readonly map: Map<string, StateValue> = new Map()) {}
  get(key: string): StateValue | undefined {
    return this.map.get(key);
  }
  /** Applies a block's writes (null = delete). */
  apply(writes: StateWrites): void {
    for (const [k, v] of writes) {
      if (v === null) this.map.delete(k);
      else this.map.set(k, v);
    }
  }
}
