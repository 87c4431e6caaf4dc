/**
 * Seeded mutation fuzzing of the JSON-RPC edge (SPEC §5 and §7): every method of a real
 * node (chain, tx, account, records, consent, audit, FHIR, proofs) over a chain that holds
 * a clinician, a patient, a record in two versions, a consent and an access event, called
 * with mutated requests through the dispatcher. Every answer is a result or a JSON-RPC
 * error that says what is wrong (invalid request or params, not found, unauthorized...),
 * never an internal error (-32603), and no call moves the chain.
 * A longer search: FUZZ_MUTANTS=20000 FUZZ_SEED=7 npx vitest run test/unit/node/rpc-fuzz.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { txHash } from '../../../src/chain/tx.js';
import type { Tx } from '../../../src/chain/types.js';
import { NodeApiImpl } from '../../../src/node/api.js';
import { extraMethods } from '../../../src/node/methods.js';
import type { Network } from '../../../src/p2p/interface.js';
import { OPEN_GRANT } from '../../../src/rpc/auth.js';
import { Dispatcher } from '../../../src/rpc/dispatch.js';
import { RpcCode } from '../../../src/rpc/errors.js';
import { chainMethods } from '../../../src/rpc/methods/chain.js';
import { RpcMetrics } from '../../../src/rpc/metrics.js';
import { MethodRegistry } from '../../../src/rpc/registry.js';
import { silentLogger } from '../../../src/util/logger.js';
import { donorsOf, mutantText, Rng, showMutant, type Json } from '../../support/mutate.js';
import { ADMIN, commitNext, fixedKey, openChain, removeTempDirs, tx, type ChainEnv } from './support.js';

const MUTANTS = Number(process.env.FUZZ_MUTANTS ?? 1_500);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const TIMEOUT_MS = Math.max(60_000, MUTANTS * 20);

let env: ChainEnv;
let dispatcher: Dispatcher;
const bases: Json[] = [];

beforeAll(async () => {
  env = await openChain();
  const clinician = fixedKey('fuzz-clinician');
  const patient = fixedKey('fuzz-patient');
  const recordId = 'north:doc-1';
  const contentHash = `sha256:${'ab'.repeat(32)}`;
  const send = (t: Tx): string => {
    env.admission.admit(t);
    return txHash(t);
  };
  send(tx(ADMIN, 'member.register', 0, { account: clinician.account, role: 'clinician', name: 'Fuzz Clinician' }));
  send(tx(ADMIN, 'member.register', 1, { account: patient.account, role: 'patient' }));
  await commitNext(env);
  const anchor = send(tx(clinician, 'record.anchor', 0, { recordId, patient: patient.account, recordType: 'Observation', contentHash }));
  await commitNext(env);
  const consentId = send(tx(patient, 'consent.grant', 0, { grantee: clinician.account, scope: { recordTypes: ['Observation'] }, purpose: 'TREAT' }));
  send(tx(clinician, 'record.anchor', 1, { recordId, patient: patient.account, recordType: 'Observation', contentHash: `sha256:${'cd'.repeat(32)}` }));
  const block = await commitNext(env);
  send(tx(clinician, 'access.log', 2, { recordId, action: 'read', purpose: 'TREAT' }));
  await commitNext(env);
  await env.chain.flush();

  const api = new NodeApiImpl({
    chain: env.chain, store: env.store, mempool: env.mempool, admission: env.admission, network: null, authority: null, org: 'north',
    gossipTx: () => {}, syncing: () => false, consensusRound: () => 0,
  });
  const network = { peerId: '12D3KooWfuzz' } as unknown as Network;
  const registry = new MethodRegistry([...chainMethods(api), ...extraMethods({ chain: env.chain, store: env.store, network, org: 'north' })], '0.0.0');
  // A short deadline: a mutant may ask chain_head or tx_send to wait.
  dispatcher = new Dispatcher({ registry, metrics: new RpcMetrics(), log: silentLogger(), maxBatch: 100, callTimeoutMs: 200 });

  const next = tx(clinician, 'access.log', 3, { recordId, action: 'query', purpose: 'CAREMGT' });
  const calls: Array<[string, Record<string, Json>]> = [
    ['node_info', {}],
    ['chain_head', {}], ['chain_head', { after: 3, waitMs: 10 }],
    ['chain_getBlock', { height: 3 }], ['chain_getBlock', { hash: block.hash, txs: 'hashes' }],
    ['chain_getTx', { hash: anchor }], ['chain_getTxProof', { hash: consentId }],
    ['chain_validators', { height: 2 }],
    ['tx_send', { tx: next as unknown as Json }],
    ['account_get', { account: clinician.account }],
    ['records_get', { recordId }], ['records_history', { recordId }],
    ['records_byPatient', { patient: patient.account, limit: 10 }], ['records_verify', { recordId, contentHash }],
    ['consent_get', { consentId }], ['consent_list', { patient: patient.account }],
    ['consent_check', { patient: patient.account, grantee: clinician.account, recordId, purpose: 'TREAT' }],
    ['audit_trail', { recordId, limit: 5 }], ['audit_trail', { actor: clinician.account, fromHeight: 1, toHeight: 4 }],
    ['fhir_consent', { consentId }], ['fhir_auditEvents', { patient: patient.account }],
    ['rpc.discover', {}],
  ];
  calls.forEach(([method, params], id) => bases.push({ jsonrpc: '2.0', id, method, params }));
});

afterAll(async () => {
  await env?.close();
  removeTempDirs();
});


describe('JSON-RPC edge under mutation', () => {
  it('every unmutated call succeeds (the mutants start from working calls)', async () => {
    for (const b of bases) {
      const out = await dispatcher.handle(JSON.stringify(b), OPEN_GRANT, new AbortController().signal);
      expect(out.status).toBe(200);
      const body = JSON.parse((out as { body: string }).body) as { error?: unknown };
      expect(body.error, JSON.stringify(b)).toBeUndefined();
    }
  });

  it(`answers every mutated request with a result or an error naming the problem, never an internal error (${MUTANTS} mutants)`, async () => {
    const rng = new Rng(SEED);
    const donors = donorsOf(bases);
    const head = env.chain.head;
    const codes = new Map<number, number>();
    let results = 0;
    for (let i = 0; i < MUTANTS; i++) {
      const text = mutantText(rng.pick(bases), rng, donors);
      const out = await dispatcher.handle(text, OPEN_GRANT, new AbortController().signal);
      if (out.status === 204) continue; // a notification (the id was dropped): no answer is due
      const body = JSON.parse(out.body) as { jsonrpc?: string; result?: unknown; error?: { code: number; message: string } };
      expect(body.jsonrpc, showMutant(i, text)).toBe('2.0');
      if (body.error === undefined) {
        results++;
        continue;
      }
      expect(body.error.code, `${showMutant(i, text)}\n${out.body.slice(0, 400)}`).not.toBe(RpcCode.internal);
      expect(body.error.message.length).toBeGreaterThan(0);
      codes.set(body.error.code, (codes.get(body.error.code) ?? 0) + 1);
    }
    if (process.env.FUZZ_MUTANTS) console.info({ results, codes: Object.fromEntries(codes) });
    expect(env.chain.head).toBe(head);
    // Both kinds of answer, and errors of several kinds (invalid request, params, not found...).
    expect(results).toBeGreaterThan(MUTANTS / 20);
    expect(codes.size).toBeGreaterThan(3);
  }, TIMEOUT_MS);
});
