/**
 * Per-transaction hot steps of admission and block validation, on a realistic
 * access.log wire tx from the bench's load. Run: npx vitest bench --run bench/
 */
import { createPrivateKey, createPublicKey, hash as nodeHash, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import sodium from 'sodium-native';
import { bench, describe } from 'vitest';
import { canonicalBytes } from '../src/chain/jcs.js';
import { sha256 } from '../src/chain/hash.js';
import { sign, verify, verifyStrictNoble } from '../src/chain/ed25519.js';
import { txBody } from '../src/chain/tx.js';
import { createTxDecoder } from '../src/chain/validate-tx.js';
import { buildWorld, HANDLERS } from './support.js';

const w = buildWorld({ nodes: 4, txs: 200, accounts: 32 });
const sample = w.load.find((d) => d.tx.type === 'access.log')!;
const wire = JSON.stringify(sample.tx);
const parsed = JSON.parse(wire) as unknown;
const decode = createTxDecoder(HANDLERS, { maxTxBytes: 65_536 });
const bodyBytes = canonicalBytes(txBody(sample.tx));
const hashBytes = Buffer.from(sample.hash, 'hex');
const sig = Buffer.from(sample.tx.sig, 'hex');
const pub = Buffer.from(sample.tx.from, 'hex');
const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') }, format: 'jwk' });
if (!verify(sample.tx.from, hashBytes, sample.tx.sig) || !verifyStrictNoble(sample.tx.from, hashBytes, sample.tx.sig)) throw new Error('sample tx does not verify');

describe(`wire tx (${Buffer.byteLength(wire)} B access.log)`, () => {
  bench('JSON.parse of the wire tx', () => {
    JSON.parse(wire);
  });
  bench('shape validation + decode (createTxDecoder: ajv, JCS, SHA-256)', () => {
    decode(parsed);
  });
  bench('JCS canonicalise (body)', () => {
    canonicalBytes(txBody(sample.tx));
  });
  bench('SHA-256 of the JCS body (chain/hash sha256)', () => {
    sha256(bodyBytes);
  });
  bench('SHA-256, node crypto.hash one-shot', () => {
    nodeHash('sha256', bodyBytes, 'buffer');
  });
});

describe('Ed25519 verify', () => {
  bench('node:crypto, cached KeyObject', () => {
    nodeVerify(null, hashBytes, key, sig);
  });
  bench('libsodium (sodium-native), raw key bytes', () => {
    sodium.crypto_sign_verify_detached(sig, hashBytes, pub);
  });
  bench('chain/ed25519 verify (libsodium, hex in, key bytes cached by account)', () => {
    verify(sample.tx.from, hashBytes, sample.tx.sig);
  });
  bench('node:crypto, KeyObject made per call (JWK)', () => {
    nodeVerify(null, hashBytes, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') }, format: 'jwk' }), sig);
  });
  bench('@noble/curves, strict (zip215: false)', () => {
    ed25519.verify(sig, hashBytes, pub, { zip215: false });
  }, { time: 1000 });
});

// Votes, proposals and the bench's pre-signed load: not per tx at a node, but per height.
const SEED = '53a101f582d94bb075a0fb630282040ef7f38d7538e0cf3c2761ebc2c591e6f8';
const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(SEED, 'hex')]), format: 'der', type: 'pkcs8' });
if (nodeSign(null, hashBytes, privateKey).toString('hex') !== sign(SEED, hashBytes)) throw new Error('libsodium and node:crypto signatures differ');

describe('Ed25519 sign', () => {
  bench('node:crypto, cached KeyObject', () => {
    nodeSign(null, hashBytes, privateKey);
  });
  bench('chain/ed25519 sign (libsodium, key derived once per seed)', () => {
    sign(SEED, hashBytes);
  });
});
