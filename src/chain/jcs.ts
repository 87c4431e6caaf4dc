/**
 * RFC 8785 JSON Canonicalization Scheme for the JSON values this chain signs.
 * Object keys are sorted by UTF-16 code units (JS default sort), strings use the
 * ECMAScript JSON escaping and numbers the ECMAScript shortest form, exactly what
 * RFC 8785 specifies. Non-finite numbers and non-JSON values are refused.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export function canonicalize(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('JCS: non-finite number');
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + canonicalize(value[i]);
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      const keys = sortedKeys(obj);
      let out = '{';
      let first = true;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const v = obj[k];
        if (v === undefined) continue;
        out += (first ? '' : ',') + quotedKey(k) + canonicalize(v);
        first = false;
      }
      return out + '}';
    }
    default:
      throw new TypeError(`JCS: cannot encode ${typeof value}`);
  }
}

/**
 * The object's own keys in UTF-16 code-unit order (what Array.prototype.sort does by
 * default), sorted in place by insertion: objects here have a handful of keys.
 */
function sortedKeys(obj: Record<string, unknown>): string[] {
  const keys = Object.keys(obj);
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/** `"key":`, cached: the chain's objects use a small, fixed vocabulary of keys. */
const QUOTED_KEYS = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

function quotedKey(k: string): string {
  let q = QUOTED_KEYS.get(k);
  if (q === undefined) {
    q = JSON.stringify(k) + ':';
    if (QUOTED_KEYS.size < QUOTED_KEYS_MAX) QUOTED_KEYS.set(k, q);
  }
  return q;
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}
