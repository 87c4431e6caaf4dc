import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../../src/chain/ed25519.js';
import { AppError, ParamError, TxRuleError } from '../../../../src/util/errors.js';
import { chainHandlers, getAccount, STATE_ERROR_CODES, type TxHandler } from '../../../../src/chain/state/index.js';
import { CHAIN_ID, TestChain, expectInadmissible, expectOk, expectRejected } from './fixtures.js';

const head = (c: TestChain) => ({ chainId: CHAIN_ID, height: c.height, time: c.time });

/** A records-like handler for machine tests: anyone but patients; behaviour chosen by payload.mode. */
const probe: TxHandler<{ mode: string; key?: string }> = {
  type: 'access.log',
  payloadSchema: { type: 'object', additionalProperties: false, properties: { mode: { type: 'string' }, key: { type: 'string' } } },
  roles: ['admin', 'clinician'],
  execute(env, p) {
    env.put(`probe/${p.key ?? 'x'}`, { v: 1 });
    env.emit({ kind: 'consent', consentId: env.hash, patient: 'p', height: env.height });
    if (p.mode === 'rule') throw new TxRuleError('probe_rule', 'probe rule broken');
    if (p.mode === 'typeerror') throw new TypeError('boom ' + Math.random());
    if (p.mode === 'string') throw 'a string';
    if (p.mode === 'mutate') (env.sender as { nonce: number }).nonce = 99; // a frozen-read mutation...
    if (p.mode === 'mutate-org') (env.get('org/north') as { admins: string[] }).admins.push('x');
    if (p.mode === 'nonjson') env.put('probe/bad', { n: Number.NaN });
    if (p.mode === 'outcome') env.setOutcome('granted');
  },
};

function withProbe(opts: ConstructorParameters<typeof TestChain>[0] = {}) {
  return new TestChain({ ...opts, handlers: [...chainHandlers, probe] });
}

describe('StateMachine.admit', () => {
  it('accepts a registered sender of an allowed role', () => {
    const c = new TestChain();
    expect(() => c.sm.admit(c.state, c.tx(c.north, 'member.register', { account: generateKeyPair().account, role: 'clinician' }), head(c))).not.toThrow();
  });
  it('wrong_chain', () => {
    const c = new TestChain();
    const t = c.tx(c.north, 'member.register', { account: generateKeyPair().account, role: 'clinician' }, { chainId: 'other' });
    expect(() => c.sm.admit(c.state, t, head(c))).toThrow(expect.objectContaining({ reason: 'wrong_chain' }));
  });
  it('unknown_account', () => {
    const c = new TestChain();
    const t = c.tx(generateKeyPair(), 'member.revoke', { account: c.north.account });
    expect(() => c.sm.admit(c.state, t, head(c))).toThrow(expect.objectContaining({ reason: 'unknown_account' }));
  });
  it('revoked_account', () => {
    const c = new TestChain();
    const a2 = generateKeyPair();
    c.block(c.tx(c.north, 'member.register', { account: a2.account, role: 'admin' }), c.tx(c.north, 'member.revoke', { account: a2.account }));
    const t = c.tx(a2, 'member.register', { account: generateKeyPair().account, role: 'clinician' });
    expect(() => c.sm.admit(c.state, t, head(c))).toThrow(expect.objectContaining({ reason: 'revoked_account' }));
  });
  it('role_not_allowed: unauthorized with the code', () => {
    const c = new TestChain();
    const t = c.tx(c.auths[0]!, 'member.register', { account: generateKeyPair().account, role: 'clinician' });
    let err: unknown;
    try { c.sm.admit(c.state, t, head(c)); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ reason: 'unauthorized', data: { code: 'role_not_allowed' } });
  });
  it("a handler's admit rule is unauthorized with the rule's code", () => {
    const c = new TestChain();
    const t = c.tx(c.north, 'member.register', { account: c.south.account, role: 'clinician' });
    expect(() => c.sm.admit(c.state, t, head(c))).toThrow(expect.objectContaining({ reason: 'unauthorized', data: { code: 'account_exists' } }));
  });
  it('a type without a handler is a ParamError on tx.type', () => {
    const c = new TestChain();
    const t = c.tx(c.north, 'record.anchor', {});
    expect(() => c.sm.admit(c.state, t, head(c))).toThrow(ParamError);
  });
  it('two handlers for one type are refused', () => {
    expect(() => new TestChain({ handlers: [...chainHandlers, chainHandlers[0]!] })).toThrow(/two handlers/);
  });
});

describe('block execution: inadmissible txs', () => {
  it('nonce_too_high and nonce_too_low, nothing written', () => {
    const c = new TestChain();
    const { applied, result } = c.run([
      c.tx(c.north, 'member.register', { account: generateKeyPair().account, role: 'clinician' }, { nonce: 1 }),
    ]);
    expectInadmissible(applied[0]!, 'nonce_too_high');
    expect(result.writes.size).toBe(0);
    expect(result.results).toHaveLength(0);
    c.block(c.tx(c.north, 'member.register', { account: generateKeyPair().account, role: 'clinician' }));
    const again = c.run([c.tx(c.north, 'member.register', { account: generateKeyPair().account, role: 'clinician' }, { nonce: 0 })]);
    expectInadmissible(again.applied[0]!, 'nonce_too_low');
  });
  it('the nonce is checked against the block so far', () => {
    const c = new TestChain();
    const { applied } = c.run([
      c.tx(c.north, 'member.register', { account: generateKeyPair().account, role: 'clinician' }, { nonce: 0 }),
      c.tx(c.north, 'member.register', { account: generateKeyPair().account, role: 'clinician' }, { nonce: 0 }),
      c.tx(c.north, 'member.register', { account: generateKeyPair().account, role: 'clinician' }, { nonce: 1 }),
    ]);
    expectOk(applied[0]!);
    expectInadmissible(applied[1]!, 'nonce_too_low');
    expectOk(applied[2]!);
  });
  it('unknown_account', () => {
    const c = new TestChain();
    expectInadmissible(c.run([c.tx(generateKeyPair(), 'member.revoke', { account: c.north.account })]).applied[0]!, 'unknown_account');
  });
  it('wrong_chain', () => {
    const c = new TestChain();
    const t = c.tx(c.north, 'member.revoke', { account: c.south.account }, { chainId: 'elsewhere', nonce: 0 });
    expectInadmissible(c.run([t]).applied[0]!, 'wrong_chain');
  });
  it('revoked_account', () => {
    const c = new TestChain();
    const a2 = generateKeyPair();
    c.block(c.tx(c.north, 'member.register', { account: a2.account, role: 'admin' }), c.tx(c.north, 'member.revoke', { account: a2.account }));
    expectInadmissible(c.run([c.tx(a2, 'member.revoke', { account: c.north.account })]).applied[0]!, 'revoked_account');
  });
  it('revoked mid-block: the sender is inadmissible after its revocation in the same block', () => {
    const c = new TestChain();
    const a2 = generateKeyPair();
    c.block(c.tx(c.north, 'member.register', { account: a2.account, role: 'admin' }));
    const before = c.tx(a2, 'member.register', { account: generateKeyPair().account, role: 'clinician' });
    const revoke = c.tx(c.north, 'member.revoke', { account: a2.account });
    const after = c.tx(a2, 'member.register', { account: generateKeyPair().account, role: 'clinician' });
    const { applied } = c.run([before, revoke, after]);
    expectOk(applied[0]!);
    expectOk(applied[1]!);
    expectInadmissible(applied[2]!, 'revoked_account');
  });
});

describe('block execution: receipts', () => {
  it('a rejected tx consumes its nonce and changes nothing else', () => {
    const c = new TestChain();
    const { result } = c.run([c.tx(c.north, 'member.register', { account: c.south.account, role: 'clinician' })]);
    expectRejected(result.results[0]!, 'account_exists');
    expect([...result.writes.keys()]).toEqual([`acct/${c.north.account}`]);
    expect(result.writes.get(`acct/${c.north.account}`)).toEqual({ ...c.account(c.north), nonce: 1 });
  });
  it('role_not_allowed: a block tx from a role the type does not allow is rejected', () => {
    const c = new TestChain();
    expectRejected(c.one(c.tx(c.auths[0]!, 'member.register', { account: generateKeyPair().account, role: 'clinician' })), 'role_not_allowed');
    expect(c.account(c.auths[0]!)!.nonce).toBe(1);
  });
  it('unknown_type: a tx whose type this machine has no handler for is rejected', () => {
    const c = new TestChain();
    expectRejected(c.one(c.tx(c.north, 'record.anchor', {})), 'unknown_type');
  });
  it('a TxRuleError drops the writes and events of the tx', () => {
    const c = withProbe();
    const r = c.one(c.tx(c.north, 'access.log', { mode: 'rule' }));
    expect(r.receipt).toEqual({ status: 'rejected', error: { code: 'probe_rule', message: 'probe rule broken' } });
    expect(r.events).toEqual([]);
    expect(c.state.get('probe/x')).toBeUndefined();
  });
  it('success keeps writes and events; the outcome goes into the receipt', () => {
    const c = withProbe();
    const r = c.one(c.tx(c.north, 'access.log', { mode: 'outcome' }));
    expect(r.receipt).toEqual({ status: 'ok', outcome: 'granted' });
    expect(r.events).toHaveLength(1);
    expect(c.state.get('probe/x')).toEqual({ v: 1 });
  });
  it('internal: any other exception is a deterministic rejection, reported to onInternalError', () => {
    const seen: unknown[] = [];
    const c = withProbe();
    const sm = new (c.sm.constructor as typeof import('../../../../src/chain/state/index.js').StateMachine)(
      [...chainHandlers, probe], { onInternalError: (e) => { seen.push(e); throw new Error('observer fails too'); } },
    );
    const ex = sm.begin(c.state, c.root, { chainId: CHAIN_ID, height: 1, time: c.time + 1 });
    const modes = ['typeerror', 'string', 'mutate', 'mutate-org', 'nonjson'];
    const results = modes.map((mode) => ex.apply(c.tx(c.north, 'access.log', { mode, key: mode })));
    for (const r of results) {
      expect('inadmissible' in r).toBe(false);
      expect((r as { receipt: unknown }).receipt).toEqual({ status: 'rejected', error: { code: 'internal', message: 'internal error executing access.log' } });
    }
    expect(seen).toHaveLength(modes.length);
    const fin = ex.finish();
    expect([...fin.writes.keys()]).toEqual([`acct/${c.north.account}`]);
    expect(getAccount(c.state, c.north.account)!.nonce).toBe(0);
    expect((c.state.get('org/north') as { admins: string[] }).admins).toEqual([c.north.account]);
  });
  it('finish is idempotent and apply after finish throws', () => {
    const c = new TestChain();
    const ex = c.sm.begin(c.state, c.root, { chainId: CHAIN_ID, height: 1, time: c.time + 1 });
    const a = ex.finish();
    expect(ex.finish()).toBe(a);
    expect(() => ex.apply(c.tx(c.north, 'member.revoke', { account: c.south.account }))).toThrow(/after finish/);
    expect(a.nextAuthorities).toBeNull();
  });
  it('begin refuses a malformed prevStateRoot', () => {
    const c = new TestChain();
    expect(() => c.sm.begin(c.state, 'xyz', { chainId: CHAIN_ID, height: 1, time: 1 })).toThrow();
  });
  it('every listed code is a distinct snake_case string', () => {
    expect(new Set(STATE_ERROR_CODES).size).toBe(STATE_ERROR_CODES.length);
    for (const code of STATE_ERROR_CODES) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });
});

describe('stateRoot determinism', () => {
  it('the same block on two fresh states gives the same root', () => {
    const c = new TestChain();
    const txs = [
      c.tx(c.north, 'member.register', { account: generateKeyPair().account, role: 'clinician', name: 'Dr A' }),
      c.tx(c.south, 'member.register', { account: generateKeyPair().account, role: 'patient' }),
    ];
    const s1 = c.freshGenesisState();
    const s2 = c.freshGenesisState();
    const ra = c.run(txs, s1).result;
    const rb = c.run(txs, s2).result;
    expect(ra.stateRoot).toBe(rb.stateRoot);
    expect([...ra.writes]).toEqual([...rb.writes]);
    expect(ra.results).toEqual(rb.results);
    s1.apply(ra.writes);
    s2.apply(rb.writes);
    expect([...s1.map].sort()).toEqual([...s2.map].sort());
  });
  it('a different order of conflicting txs gives a different root', () => {
    const c = new TestChain();
    const x = generateKeyPair().account;
    const t1 = c.tx(c.north, 'member.register', { account: x, role: 'clinician' });
    const t2 = c.tx(c.south, 'member.register', { account: x, role: 'clinician' });
    const r12 = c.run([t1, t2]).result;
    const r21 = c.run([t2, t1]).result;
    expectOk(r12.results[0]!);
    expectRejected(r12.results[1]!, 'account_exists');
    expect(r12.stateRoot).not.toBe(r21.stateRoot);
  });
  it('an empty block still advances the root (it hashes the previous one)', () => {
    const c = new TestChain();
    const r = c.run([]).result;
    expect(r.stateRoot).not.toBe(c.root);
    expect(r.stateRoot).toBe(c.run([]).result.stateRoot);
  });
});
