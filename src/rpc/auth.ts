/**
 * API tokens (SPEC §5): `Authorization: Bearer <token>`, each token granting method
 * namespaces. Tokens are compared in constant time (as SHA-256 digests, so length leaks
 * nothing) and never logged or echoed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { TOKEN_NAMESPACES } from './options.js';

export interface Grant {
  token: string | null;
  /** null = every namespace. */
  namespaces: Set<string> | null;
}

/** No tokens configured: everything is open (only allowed on loopback). */
export const OPEN_GRANT: Grant = { token: null, namespaces: null };

interface Entry {
  digest: Buffer;
  namespaces: Set<string> | null;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export class TokenTable {
  private readonly entries: Entry[];

  /** Throws on an empty token or an unknown namespace; messages never contain a token. */
  constructor(tokens: Record<string, string[]>) {
    const known = new Set<string>(TOKEN_NAMESPACES);
    this.entries = Object.entries(tokens).map(([token, namespaces], i) => {
      if (token.trim() === '') throw new Error(`rpc: API token #${i + 1} is empty`);
      if (!Array.isArray(namespaces) || namespaces.some((n) => typeof n !== 'string')) {
        throw new Error(`rpc: API token #${i + 1}: namespaces must be an array of strings`);
      }
      for (const n of namespaces) {
        if (!known.has(n)) throw new Error(`rpc: API token #${i + 1}: unknown namespace "${n}" (known: ${TOKEN_NAMESPACES.join(', ')})`);
      }
      return { digest: digest(token), namespaces: namespaces.includes('*') ? null : new Set(namespaces) };
    });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Every entry is compared, whatever matches, so timing does not depend on the token. */
  lookup(token: string): Grant | undefined {
    const d = digest(token);
    let found: Entry | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(d, e.digest) && !found) found = e;
    }
    return found ? { token, namespaces: found.namespaces } : undefined;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m ? m[1]! : null;
}

export function allows(grant: Grant, namespace: string): boolean {
  return grant.namespaces === null || grant.namespaces.has(namespace);
}

/** Loopback: localhost, 127.0.0.0/8, ::1 (and its IPv4-mapped form). Hostnames other than localhost are not. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  if (isIP(v4) === 4) return v4.split('.')[0] === '127';
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}
