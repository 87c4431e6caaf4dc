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
