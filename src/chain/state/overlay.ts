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
 * `putDeferred` (the executor's own nonce bumps) encodes only in `encodedWrites`, once
 * per key however often the block rewrote it.
 */
export class Overlay implements StateReader {
  private readonly values = new Map<string, StateValue | null>();
  private readonly encoded = new Map<string, Buffer | null>();
  /** Keys whose latest value was put with `putDeferred`: not encoded yet. */
  private readonly deferred = new Set<string>();

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
    this.deferred.delete(key);
  }

  /**
   * `put` for a value the caller built itself from JSON (the executor's nonce bump), so
   * it cannot fail to encode: its JCS bytes are computed in `encodedWrites`, once for the
   * key's final value, instead of at every write (a sender with n txs in a block).
   */
  putDeferred(key: string, value: StateValue): void {
    this.values.set(key, deepFreeze(value));
    this.encoded.set(key, null);
    this.deferred.add(key);
  }

  del(key: string): void {
    this.values.set(key, null);
    this.encoded.set(key, null);
    this.deferred.delete(key);
  }

  /** Folds this layer's writes into its parent. */
  commit(): void {
    if (this.parent === null) throw new Error('Overlay.commit: not a child overlay');
    const { parent } = this;
    for (const [k, v] of this.values) {
      parent.values.set(k, v);
      parent.encoded.set(k, this.encoded.get(k)!);
      if (this.deferred.has(k)) parent.deferred.add(k);
      else parent.deferred.delete(k);
    }
    this.values.clear();
    this.encoded.clear();
    this.deferred.clear();
  }

  /** This layer's writes in first-write order (null = delete). A copy. */
  writes(): StateWrites {
    return new Map(this.values);
  }

  /** The same writes with each value's JCS bytes (null = delete), for `stateRoot`. */
  encodedWrites(): ReadonlyMap<string, Buffer | null> {
    for (const k of this.deferred) this.encoded.set(k, canonicalBytes(this.values.get(k)));
    this.deferred.clear();
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
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== null && typeof v === 'object') deepFreeze(v);
    }
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
