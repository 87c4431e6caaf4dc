import { describe, expect, it } from 'vitest';
import { createTxDecoder } from '../../../src/chain/validate-tx.js';
import { accountSplit, buildPlan, mixOf, prng, typeCounts } from '../../../src/bench/plan.js';
import { buildWorld, CHAIN_ID, HANDLERS, T0 } from '../../../bench/support.js';

let n = 0;
const fakeKeys = () => {
  const h = (n++).toString(16).padStart(64, '0');
  return { account: h, secretKey: h };
};

describe('bench plan', () => {
  it('splits accounts and types as documented', () => {
    expect(accountSplit(256)).toEqual({ staff: 205, patients: 51 });
    expect(accountSplit(2)).toEqual({ staff: 1, patients: 1 });
    expect(() => accountSplit(1)).toThrow(/at least 2/);
    expect(typeCounts(20_000)).toEqual({ 'access.log': 16_000, 'record.anchor': 3000, 'consent.grant': 1000 });
    const c = typeCounts(7);
    expect(c['access.log'] + c['record.anchor'] + c['consent.grant']).toBe(7);
  });

  it('is deterministic for a seed', () => {
    const a = prng(42);
    const b = prng(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    const x = buildPlan({ chainId: CHAIN_ID, orgs: ['a1', 'b1', 'c1'], nodes: 2, txs: 200, accounts: 20, seed: 7, time: T0, keygen: fakeKeys });
    const y = buildPlan({ chainId: CHAIN_ID, orgs: ['a1', 'b1', 'c1'], nodes: 2, txs: 200, accounts: 20, seed: 7, time: T0, keygen: fakeKeys });
    expect(y.load.map((t) => [t.kind, t.expect, t.body.payload.purpose])).toEqual(x.load.map((t) => [t.kind, t.expect, t.body.payload.purpose]));
  });

  it('gives the default run >= 200 senders, the mix, per-sender sequential nonces on one node', () => {
    const p = buildPlan({ chainId: CHAIN_ID, orgs: ['org0', 'org1', 'org2', 'org3', 'lab'], nodes: 4, txs: 20_000, accounts: 256, seed: 1, time: T0, keygen: fakeKeys });
    const senders = new Map<string, { next: number; node: number }>();
    for (const a of [...p.staff, ...p.patients]) expect(a.node).toBeLessThan(4);
    const kinds: Record<string, number> = {};
    for (const t of p.load) {
      kinds[t.kind] = (kinds[t.kind] ?? 0) + 1;
      const s = senders.get(t.body.from);
      if (s === undefined) {
        const patient = p.patients.some((x) => x.account === t.body.from);
        expect(t.body.nonce).toBe(patient ? 1 : 0);
        senders.set(t.body.from, { next: t.body.nonce + 1, node: t.node });
      } else {
        expect(t.body.nonce).toBe(s.next);
        expect(t.node).toBe(s.node);
        s.next++;
      }
    }
    expect(senders.size).toBeGreaterThanOrEqual(200);
    expect(kinds).toEqual({ 'access.log': 16_000, 'record.anchor': 3000, 'consent.grant': 1000 });
    const mix = mixOf(p.load);
    expect([mix['access.log'], mix['record.anchor'], mix['consent.grant']]).toEqual([16_000, 3000, 1000]);
    expect(mix.outcomes.granted + mix.outcomes.denied + mix.outcomes.emergency).toBe(16_000);
    for (const o of ['granted', 'denied', 'emergency'] as const) expect(mix.outcomes[o]).toBeGreaterThan(1000);
    expect(mix.anchors.newRecord + mix.anchors.newVersion).toBe(3000);
    expect(mix.anchors.newRecord).toBeGreaterThan(1000);
    // A warm-up takes the first txs of the load; the measured part keeps the mix.
    const rest = mixOf(p.load.slice(10_000));
    expect(rest['access.log'] + rest['record.anchor'] + rest['consent.grant']).toBe(10_000);
    expect(rest.outcomes.granted + rest.outcomes.denied + rest.outcomes.emergency).toBe(rest['access.log']);
    expect(rest.anchors.newRecord + rest.anchors.newVersion).toBe(rest['record.anchor']);
    expect(rest['access.log'] / 10_000).toBeCloseTo(0.8, 1);
  });

  it('refuses too few staff for the orgs', () => {
    expect(() => buildPlan({ chainId: CHAIN_ID, orgs: ['org0', 'org1', 'org2', 'org3', 'lab'], nodes: 4, txs: 10, accounts: 5, seed: 1, time: T0, keygen: fakeKeys })).toThrow(/every org needs one/);
  });

  it('setup and load execute on the real state machine: every tx ok, every access.log with its predicted outcome', () => {
    const w = buildWorld({ nodes: 4, txs: 1500, accounts: 64, seed: 3 });
    const decode = createTxDecoder(HANDLERS, { maxTxBytes: 65_536 });
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < w.load.length; i += 500) {
      const slice = w.load.slice(i, i + 500);
      for (const d of slice) expect(decode(JSON.parse(JSON.stringify(d.tx))).hash).toBe(d.hash);
      const { applied } = w.block(slice);
      applied.forEach((a, k) => {
        if ('inadmissible' in a) throw a.inadmissible;
        expect(a.receipt).toMatchObject({ status: 'ok' });
        const expected = w.plan.load[i + k]!.expect;
        if (expected === 'granted' || expected === 'denied' || expected === 'emergency') {
          expect(a.receipt.outcome).toBe(expected);
          outcomes[expected] = (outcomes[expected] ?? 0) + 1;
        }
      });
    }
    expect(outcomes).toEqual(mixOf(w.plan.load).outcomes);
  });

  it('works with the smallest network (1 node: two orgs)', () => {
    const w = buildWorld({ nodes: 1, txs: 200, accounts: 16 });
    const { applied } = w.block(w.load);
    for (const a of applied) expect('inadmissible' in a ? a.inadmissible.message : a.receipt.status).toBe('ok');
  });
});
