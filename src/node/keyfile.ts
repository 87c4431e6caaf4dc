import { chmodSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { publicKeyOf, type KeyPair } from '../chain/ed25519.js';
import { isHex } from '../util/hex.js';
import { readJsonFile } from '../util/json.js';

/** Account key file `{"account": "<64 hex>", "secretKey": "<64 hex seed>"}`, mode 0600 (SPEC §6). */
export function writeKeyFile(path: string, kp: KeyPair): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify({ account: kp.account, secretKey: kp.secretKey }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
}

export function readKeyFile(path: string): KeyPair {
  let raw: unknown;
  try {
    raw = readJsonFile(path);
  } catch (err) {
    throw new Error(`key file ${path}: ${(err as Error).message}`);
  }
  const o = raw as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || !isHex(o.secretKey, 32)) throw new Error(`key file ${path}: secretKey must be 64 lowercase hex characters`);
  const account = publicKeyOf(o.secretKey as string);
  if (o.account !== undefined && o.account !== account) throw new Error(`key file ${path}: account does not match secretKey`);
  return { account, secretKey: o.secretKey as string };
}
