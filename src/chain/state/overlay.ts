import { canonicalBytes } from '../jcs.js';
import type { StateReader, StateValue, StateWrites } from './interface.js';

/**
 * A write buffer over a StateReader: reads fall through to the base unless this layer
 * (or a layer below it) wrote the key. One per block; `child()` gives the per-tx layer,
 * whose `commit()` folds its writes into this one and whose `discard()` drops them.
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

  constructor(private readonly base: StateReader) {}

  /**
   * A nested layer over this one (per tx): a short journal rather than maps, since a tx
   * writes a handful of keys. Reusable: `commit` and `discard` leave it empty.
   */
  child(): ChildOverlay {
    return new ChildOverlay(this, (key, value, bytes) => {
      this.values.set(key, value);
      this.encoded.set(key, bytes);
      this.deferred.delete(key);
    });
  }

  get(key: string): StateValue | undefined {
    const v = this.values.get(key);
    if (v !== undefined) return v === null ? undefined : v;
    // Values read from the node's state are frozen on the way in (cheap once frozen), so
    // a handler mutating a read value fails instead of corrupting the committed state.
    return deepFreeze(this.base.get(key));
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

/**
 * One tx's layer over an Overlay: its writes in a journal (key, frozen value, JCS bytes),
 * read newest first, folded into the parent in write order by `commit` (the parent keeps
 * each key's first-write position, as with maps), dropped by `discard`.
 */
export class ChildOverlay implements StateReader {
  private readonly keys: string[] = [];
  private readonly values: Array<StateValue | null> = [];
  private readonly bytes: Array<Buffer | null> = [];

  constructor(
    private readonly parent: StateReader,
    private readonly fold: (key: string, value: StateValue | null, bytes: Buffer | null) => void,
  ) {}

  get(key: string): StateValue | undefined {
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] === key) {
        const v = this.values[i];
        return v === null ? undefined : v;
      }
    }
    return this.parent.get(key);
  }

  put(key: string, value: StateValue): void {
    const bytes = canonicalBytes(value);
    this.push(key, deepFreeze(value), bytes);
  }

  del(key: string): void {
    this.push(key, null, null);
  }

  /** Folds this layer's writes into its parent, in write order, and empties it. */
  commit(): void {
    for (let i = 0; i < this.keys.length; i++) this.fold(this.keys[i]!, this.values[i]!, this.bytes[i]!);
    this.discard();
  }

  /** Drops this layer's writes. */
  discard(): void {
    this.keys.length = 0;
    this.values.length = 0;
    this.bytes.length = 0;
  }

  private push(key: string, value: StateValue | null, bytes: Buffer | null): void {
    this.keys.push(key);
    this.values.push(value);
    this.bytes.push(bytes);
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
