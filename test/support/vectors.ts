import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** Shared test vectors: ../shared/vectors (consortium-maintained), mirrored in test/vectors for a standalone clone. */
const here = dirname(fileURLToPath(import.meta.url));
const candidates = [join(here, '..', 'vectors')];

export function loadVector<T = any>(name: string): T {
  for (const dir of candidates) {
    const p = join(dir, name);
    if (existsSync(p)) return JSON.parse(readFileSync(p, 'utf8')) as T;
  }
  throw new Error(`vector ${name} not found`);
}
