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
      if (Array.isArray(value)) return '[' + value.map(canonicalize).join(',') + ']';
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (i > 0) out += ',';
        out += JSON.stringify(k) + ':' + canonicalize(obj[k]);
      }
      return out + '}';
    }
    default:
      throw new TypeError(`JCS: cannot encode ${typeof value}`);
  }
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}
