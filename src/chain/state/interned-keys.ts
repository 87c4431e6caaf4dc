/**
 * State key builders that hand out the same string object for the same key.
 *
 * A state read looks its key up in up to three layers (the tx's journal, the block's
 * overlay, the node's state map), and a tx reads several keys. A key built afresh at
 * every read (`acct/` + 64 hex) is a new string each time: V8 flattens and hashes it again
 * before each Map lookup. A string keeps its hash once computed, so a key reused from here
 * is hashed once; the cache lookup itself hashes only the id, which usually is a string
 * the caller holds already (a tx's `from`, an id in a state value) and has hashed before.
 * Executing 1,000 load txs after 49,000 committed ones: 21.6 → 18.5 ms CPU per block
 * (6 alternating runs; docs/bench.md, session 13).
 *
 * Bounded: when a cache reaches `max` entries it starts again empty. The keys are the
 * same strings by value either way, so this changes speed only, never a result. Ids from
 * outside (tx payloads, RPC params) reach these builders only after their edge checks,
 * which bound their length (accounts and consent ids 64 hex, record ids under 170
 * characters), so a caller filling a cache with junk ids costs at most a few tens of MB
 * and a restart of the cache, not unbounded memory.
 */

export const INTERNED_KEYS_MAX = 50_000;

/** `prefix + id`, the same string object for the same id while the cache holds it. */
export function internedKey(prefix: string, max = INTERNED_KEYS_MAX): (id: string) => string {
  let cache = new Map<string, string>();
  return (id) => {
    let key = cache.get(id);
    if (key === undefined) {
      if (cache.size >= max) cache = new Map();
      key = prefix + id;
      cache.set(id, key);
    }
    return key;
  };
}

/** `prefix + a + sep + b`, likewise (one inner map per `a`, so no joined lookup string is built). */
export function internedKey2(prefix: string, sep: string, max = INTERNED_KEYS_MAX): (a: string, b: string) => string {
  let cache = new Map<string, Map<string, string>>();
  let size = 0;
  return (a, b) => {
    let inner = cache.get(a);
    let key = inner?.get(b);
    if (key === undefined) {
      if (size >= max) {
        cache = new Map();
        size = 0;
        inner = undefined;
      }
      if (inner === undefined) cache.set(a, (inner = new Map()));
      key = prefix + a + sep + b;
      inner.set(b, key);
      size++;
    }
    return key;
  };
}
