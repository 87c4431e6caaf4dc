import { readFileSync } from 'node:fs';

/** A plain JSON object (not null, not an array): the first check on any object from outside. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads and parses a JSON file. Errors say what went wrong without a prefix, for the
 * caller to name the file its own way: "not found", "cannot be read (EACCES)", "not valid JSON".
 */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
}

/**
 * `head` + the already-serialised JSON values joined by commas + `tail`, as one buffer:
 * wraps txs' canonical wire bytes into a larger JSON document without serialising them again.
 */
export function jsonAround(head: string, values: readonly Uint8Array[], tail: string): Buffer {
  const h = Buffer.from(head, 'utf8');
  const t = Buffer.from(tail, 'utf8');
  let total = h.length + t.length + Math.max(0, values.length - 1);
  for (const v of values) total += v.length;
  const out = Buffer.allocUnsafe(total);
  let off = h.copy(out, 0);
  values.forEach((v, i) => {
    if (i > 0) out[off++] = 0x2c; // ','
    out.set(v, off);
    off += v.length;
  });
  t.copy(out, off);
  return out;
}
