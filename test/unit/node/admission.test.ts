import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainHandlers } from '../../../src/chain/state/index.js';
import type { DecodedTx } from '../../../src/chain/types.js';
import { createTxDecoder } from '../../../src/chain/validate-tx.js';
import { TxAdmission } from '../../../src/node/admission.js';
import { VerifyPool } from '../../../src/node/verify-pool.js';
import { recordHandlers } from '../../../src/records/index.js';
import { getAccount } from '../../../src/chain/state/keys.js';
import { txHash } from '../../../src/chain/tx.js';
import { AppError, ParamError } from '../../../src/util/errors.js';
import { ADMIN, commitNext, fixedKey, forge, openChain, registerPatient, removeTempDirs, tx, type ChainEnv, type ChainOptions } from './support.js';

/** Everything admission could touch: committed state, head, and the mempool. */
function snapshot(env: ChainEnv): string {
  return JSON.stringify({
    head: env.chain.head.hash,
    state: [...env.chain.stateReader.map].sort(([a], [b]) => (a < b ? -1 : 1)),
    mempool: env.mempool.size,
    ready: env.mempool.readyCount,
    pending: env.mempool.pendingNonce(ADMIN.account, getAccount(env.chain.stateReader, ADMIN.account)!.nonce),
  });
}

type Mode = 'admit' | 'admitAsync';
/** Both entry points: inline (`admit`) and through a VerifyPool (`admitAsync`, 0 workers = same thread). */
let mode: Mode = 'admit';
const pools = new WeakMap<ChainEnv, TxAdmission>();
function admitter(env: ChainEnv): (raw: unknown) => Promise<DecodedTx> {
  if (mode === 'admit') return async (raw) => env.admission.admit(raw);
  let a = pools.get(env);
  if (!a) {
    a = new TxAdmission(env.chain, env.mempool, env.machine, createTxDecoder([...chainHandlers, ...recordHandlers], { maxTxBytes: env.genesis.params.maxTxBytes }), new VerifyPool(0));
    pools.set(env, a);
  }
  const adm = a;
  return (raw) => adm.admitAsync(raw);
}

const admit = (env: ChainEnv, raw: unknown): Promise<DecodedTx> => admitter(env)(raw);

/** The error admission throws; fails the test when it admits. */
async function refusal(env: ChainEnv, raw: unknown): Promise<unknown> {
  try {
    await admit(env, raw);
  } catch (err) {
    return err;
  }
  throw new Error('admitted a tx that should have been refused');
}

async function expectApp(env: ChainEnv, raw: unknown, reason: string, data?: Record<string, unknown>): Promise<AppError> {
  const before = snapshot(env);
  const err = await refusal(env, raw);
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).reason).toBe(reason);
  if (data) expect((err as AppError).data).toMatchObject(data);
  expect(snapshot(env)).toBe(before);
  return err as AppError;
}

async function expectParam(env: ChainEnv, raw: unknown, field: string): Promise<ParamError> {
  const before = snapshot(env);
  const err = await refusal(env, raw);
  expect(err).toBeInstanceOf(ParamError);
  expect((err as ParamError).field).toBe(field);
  expect(snapshot(env)).toBe(before);
  return err as ParamError;
}

const envs: ChainEnv[] = [];
async function chain(opts: ChainOptions = {}): Promise<ChainEnv> {
  const env = await openChain(opts);
  envs.push(env);
  return env;
}

afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});
afterAll(() => removeTempDirs());

describe.each<Mode>(['admit', 'admitAsync'])('TxAdmission.%s (SPEC §3 admission, in order)', (m) => {
  beforeEach(() => {
    mode = m;
  });

  it('shape: -32602 naming the field, before anything else', async () => {
    const env = await chain();
    const good = registerPatient(0);
    await expectParam(env, null, 'tx');
    await expectParam(env, [good], 'tx');
    await expectParam(env, { ...good, nonce: -1 }, 'tx.nonce');
    await expectParam(env, { ...good, nonce: 1.5 }, 'tx.nonce');
    await expectParam(env, { ...good, from: 'XY' }, 'tx.from');
    await expectParam(env, { ...good, sig: 'zz' }, 'tx.sig');
    await expectParam(env, { ...good, extra: 1 }, 'tx.extra');
    await expectParam(env, { ...good, type: 'member.promote' }, 'tx.type');
    await expectParam(env, { ...good, payload: { ...good.payload, role: 'authority' } }, 'tx.payload.role');
    await expectParam(env, { ...good, payload: { ...good.payload, nickname: 'x' } }, 'tx.payload.nickname');
    // SPEC: no name for a patient (no PHI on chain).
    await expectParam(env, tx(ADMIN, 'member.register', 0, { account: fixedKey('p').account, role: 'patient', name: 'Alice' }), 'tx.payload.name');
    // reason is required with emergency: true.
    await expectParam(env, tx(ADMIN, 'access.log', 0, { recordId: 'north:r1', action: 'read', purpose: 'TREAT', emergency: true }), 'tx.payload.reason');
    await expectParam(env, tx(ADMIN, 'access.log', 0, { recordId: 'north:r1', action: 'peek', purpose: 'TREAT' }), 'tx.payload.action');
    // A shape error wins over a wrong chain and a bad signature.
    await expectParam(env, forge(tx(ADMIN, 'member.register', 0, { account: 'nope', role: 'patient' }, 'other-chain')), 'tx.payload.account');
  });

  it('tx_too_large: JCS size over params.maxTxBytes, before chain id and signature', async () => {
    const env = await chain({ params: { maxTxBytes: 1024 } });
    const recordIds = Array.from({ length: 20 }, (_, i) => `north:Observation/${String(i).padStart(40, '0')}`);
    const big = tx(ADMIN, 'consent.grant', 0, { grantee: 'org:north', scope: { recordIds }, purpose: 'TREAT' }, 'other-chain');
    const err = await expectApp(env, forge(big), 'tx_too_large', { max: 1024 });
    expect(err.message).toMatch(/limit is 1024/);
  });

  it('wrong_chain, then duplicate, then bad_signature', async () => {
    const env = await chain();
    await expectApp(env, tx(ADMIN, 'member.register', 0, { account: fixedKey('w').account, role: 'patient' }, 'other-chain'), 'wrong_chain');
    // A wrong chain is reported even with a bad signature.
    await expectApp(env, forge(tx(ADMIN, 'member.register', 0, { account: fixedKey('w').account, role: 'patient' }, 'other-chain')), 'wrong_chain');

    const t = registerPatient(0);
    await admit(env, t);
    expect(env.mempool.size).toBe(1);
    await expectApp(env, t, 'duplicate');
    // The forged twin of a pending tx has its hash: it is a duplicate and never replaces the held one.
    await expectApp(env, forge(t), 'duplicate');
    expect(env.mempool.get(txHash(t))!.tx.sig).toBe(t.sig);

    await expectApp(env, forge(registerPatient(1)), 'bad_signature');
    // A signature by another key over the right body.
    const other = fixedKey('mallory');
    const body = registerPatient(1);
    const sigByOther = tx(other, 'member.register', 1, body.payload).sig;
    await expectApp(env, { ...body, sig: sigByOther }, 'bad_signature');
  });

  it('unknown_account and revoked_account', async () => {
    const env = await chain();
    const stranger = fixedKey('stranger');
    await expectApp(env, tx(stranger, 'consent.revoke', 0, { consentId: 'ab'.repeat(32) }), 'unknown_account', { account: stranger.account });

    const doc = fixedKey('doc');
    await admit(env, tx(ADMIN, 'member.register', 0, { account: doc.account, role: 'clinician', name: 'Dr Who' }));
    await commitNext(env);
    await admit(env, tx(ADMIN, 'member.revoke', 1, { account: doc.account }));
    await commitNext(env);
    expect(getAccount(env.chain.stateReader, doc.account)!.revoked).toBe(true);
    await expectApp(env, tx(doc, 'record.anchor', 0, { recordId: 'north:r1', patient: fixedKey('x').account, recordType: 'Observation', contentHash: `sha256:${'a'.repeat(64)}` }), 'revoked_account');
  });

  it('unauthorized with data.code: the role rule and the handler admit rules', async () => {
    const env = await chain();
    const patient = fixedKey('patient-u');
    const doc = fixedKey('doc-u');
    await admit(env, tx(ADMIN, 'member.register', 0, { account: patient.account, role: 'patient' }));
    await admit(env, tx(ADMIN, 'member.register', 1, { account: doc.account, role: 'clinician' }));
    await commitNext(env);
    const anchor = (from: typeof doc, recordId: string) =>
      tx(from, 'record.anchor', 0, { recordId, patient: patient.account, recordType: 'Observation', contentHash: `sha256:${'b'.repeat(64)}` });
    await expectApp(env, anchor(patient, 'north:r1'), 'unauthorized', { code: 'role_not_allowed' });
    await expectApp(env, anchor(doc, 'south:r1'), 'unauthorized', { code: 'record_prefix_mismatch' });
    // member.register admit: the account is already registered.
    await expectApp(env, tx(ADMIN, 'member.register', 2, { account: doc.account, role: 'clinician' }), 'unauthorized', { code: 'account_exists' });
    // An authority account may not register members.
    const authority = env.authorities[0]!;
    await expectApp(env, tx(authority, 'member.register', 0, { account: fixedKey('z').account, role: 'patient' }), 'unauthorized', { code: 'role_not_allowed' });
    // The allowed tx still goes in.
    await admit(env, anchor(doc, 'north:r1'));
    expect(env.mempool.size).toBe(1);
  });

  it('nonce_too_low for a replay of a committed tx and for a pending nonce; nonce_too_high past the gap', async () => {
    const env = await chain({ mempool: { maxNonceGap: 3 } });
    const t0 = registerPatient(0);
    await admit(env, t0);
    // Another tx with a nonce already pending.
    await expectApp(env, registerPatient(0), 'nonce_too_low', { expected: 1 });
    await commitNext(env);
    expect(env.mempool.size).toBe(0);
    // The very same tx again, after it is committed: a replay.
    await expectApp(env, t0, 'nonce_too_low', { expected: 1 });
    // next is 1: nonce 1 + 3 (gap) = 4 is the highest admitted, 5 is too high.
    await expectApp(env, registerPatient(5), 'nonce_too_high', { expected: 1 });
    await admit(env, registerPatient(4));
    expect(env.mempool.size).toBe(1);
    expect(env.mempool.readyCount).toBe(0); // waits for the gap
  });

  it('a replayed tx is nonce_too_low even when its state rules would now refuse it', async () => {
    const env = await chain();
    const p = fixedKey('p-replay');
    const t0 = tx(ADMIN, 'member.register', 0, { account: p.account, role: 'patient' });
    await admit(env, t0);
    await commitNext(env);
    // Re-executing t0 would be account_exists; a replay is reported as such.
    await expectApp(env, t0, 'nonce_too_low');
  });

  it('mempool_full: total and per-sender limits', async () => {
    const env = await chain({ mempool: { maxTotal: 2 } });
    await admit(env, registerPatient(0));
    await admit(env, registerPatient(1));
    await expectApp(env, registerPatient(2), 'mempool_full');

    const env2 = await chain({ mempool: { maxPerSender: 1 } });
    await admit(env2, registerPatient(0));
    await expectApp(env2, registerPatient(1), 'mempool_full');
  });

  it('an admitted tx is pending, verified, and changes no committed state', async () => {
    const env = await chain();
    const state = JSON.stringify([...env.chain.stateReader.map]);
    const d = await admit(env, registerPatient(0));
    expect(d.verified).toBe(true);
    expect(env.mempool.get(d.hash)?.tx.sig).toBe(d.tx.sig);
    expect(env.mempool.pendingNonce(ADMIN.account, 0)).toBe(1);
    expect(JSON.stringify([...env.chain.stateReader.map])).toBe(state);
    expect(env.chain.head.height).toBe(0);
  });
});
