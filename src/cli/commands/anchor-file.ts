import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sha256Hex } from '../../chain/hash.js';
import { isHex } from '../../util/hex.js';
import { UsageError } from '../args.js';
import { readJsonFile } from '../../util/json.js';

/**
 * The salted commitment of SPEC §3: contentHash = "sha256:" + hex(sha256(salt || documentBytes)),
 * the salt 32 random bytes kept beside the document (never sent to the chain).
 */
export const SALT_BYTES = 32;
export const SALT_SUFFIX = '.salt.json';

export function contentCommitment(salt: Uint8Array, documentBytes: Uint8Array): string {
  if (salt.length !== SALT_BYTES) throw new Error(`the salt must be ${SALT_BYTES} bytes, got ${salt.length}`);
  return 'sha256:' + sha256Hex(Buffer.concat([salt, documentBytes]));
}

/** Where the salt of DOCUMENT is kept by default: DOCUMENT.salt.json beside it. */
export function defaultSaltPath(documentPath: string): string {
  return resolve(documentPath) + SALT_SUFFIX;
}

/** `DOCUMENT.salt.json`: what a verifier needs besides the document itself. */
export interface SaltFile {
  salt: string;
  contentHash: string;
  recordId: string;
}

export function readSaltFile(path: string): SaltFile {
  let raw: unknown;
  try {
    raw = readJsonFile(path);
  } catch (err) {
    throw new UsageError(`--salt-file ${path}: ${(err as Error).message}`);
  }
  const o = raw as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || !isHex(o.salt, SALT_BYTES)) throw new UsageError(`--salt-file ${path}: "salt" must be ${SALT_BYTES * 2} lowercase hex characters`);
  return { salt: o.salt as string, contentHash: String(o.contentHash ?? ''), recordId: String(o.recordId ?? '') };
}

/** Writes a salt file with mode 0600; refuses to replace an existing file. */
export function writeSaltFile(path: string, content: SaltFile): void {
  try {
    writeFileSync(path, JSON.stringify(content, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw saltExists(path);
    throw new Error(`cannot write the salt file ${path}: ${(err as Error).message}`);
  }
  chmodSync(path, 0o600);
}

function saltExists(path: string): Error {
  return new Error(
    `${path} already exists; refusing to overwrite a salt (the commitment it opens may already be on chain). ` +
      `To anchor this document again with the same salt pass --salt-file ${path}; to use a fresh salt, move the old file away first`,
  );
}

/** A prepared anchor: the commitment plus the salt-file step, done just before sending. */
export interface PreparedAnchor {
  contentHash: string;
  /** The salt file that opens the commitment (written by `persist` unless reused). */
  saltPath: string;
  /** True when the salt came from an existing --salt-file (nothing is written). */
  reused: boolean;
  /** Set when a reused salt file records a different contentHash (the document changed). */
  warning?: string;
  /** Writes the salt file (no-op when reused). Call before sending the tx. */
  persist(): void;
  /** Removes a salt file `persist` wrote, when the tx was certainly refused. */
  discard(): void;
}

export interface AnchorFileOptions {
  documentPath: string;
  recordId: string;
  /** An existing salt file to reuse instead of drawing a fresh salt. */
  saltFile?: string;
  /** Source of randomness (tests); defaults to crypto.randomBytes. */
  random?: (n: number) => Buffer;
}

/**
 * Reads the document, draws a fresh 32-byte salt (or reuses --salt-file's) and computes
 * the commitment. Nothing touches the disk until `persist`; the default salt path is
 * checked up front so a refusal comes before anything is signed or sent.
 */
export function prepareAnchor(opts: AnchorFileOptions): PreparedAnchor {
  const docPath = resolve(opts.documentPath);
  let doc: Buffer;
  try {
    doc = readFileSync(docPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`--file ${opts.documentPath}: ${code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code ?? (err as Error).message})`}`);
  }
  if (opts.saltFile !== undefined) {
    const saltPath = resolve(opts.saltFile);
    const stored = readSaltFile(saltPath);
    const contentHash = contentCommitment(Buffer.from(stored.salt, 'hex'), doc);
    const warning = stored.contentHash !== '' && stored.contentHash !== contentHash
      ? `the document differs from the one ${saltPath} was written for (its contentHash is ${stored.contentHash}); anchoring ${contentHash} with the same salt`
      : undefined;
    return { contentHash, saltPath, reused: true, ...(warning ? { warning } : {}), persist: () => {}, discard: () => {} };
  }
  const saltPath = defaultSaltPath(docPath);
  if (existsSync(saltPath)) throw saltExists(saltPath);
  const salt = (opts.random ?? randomBytes)(SALT_BYTES);
  const contentHash = contentCommitment(salt, doc);
  let written = false;
  return {
    contentHash,
    saltPath,
    reused: false,
    persist: () => {
      writeSaltFile(saltPath, { salt: salt.toString('hex'), contentHash, recordId: opts.recordId });
      written = true;
    },
    discard: () => {
      if (written) rmSync(saltPath, { force: true });
      written = false;
    },
  };
}
