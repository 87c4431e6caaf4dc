import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signTx } from '../../src/chain/tx.js';
import type { Tx, TxType } from '../../src/chain/types.js';
import type { KeyPair } from '../../src/chain/ed25519.js';

export function homeKey(home: string, name: 'admin' | 'authority'): KeyPair {
  return JSON.parse(readFileSync(join(home, 'keys', `${name}.json`), 'utf8')) as KeyPair;
}

export function tx(kp: KeyPair, chainId: string, type: TxType, nonce: number, payload: Record<string, unknown>): Tx {
  return signTx({ chainId, type, from: kp.account, nonce, payload }, kp.secretKey);
}
