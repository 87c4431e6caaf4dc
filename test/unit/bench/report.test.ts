import { describe, expect, it } from 'vitest';
import { assembleReport, machineDrift, signaturesVerified, warmupReport, type NodeReport, type ReportInput } from '../../../src/bench/report.js';
import { renderSvg, escapeXml, niceTicks } from '../../../src/bench/svg.js';
import { renderHtml } from '../../../src/bench/html.js';

const node = (i: number, extra: Partial<NodeReport> = {}): NodeReport => ({
  node: i, rpc: `http://127.0.0.1:${9000 + i}`, cpuSeconds: 10, loadCpuSeconds: 8, peakRssMB: 200, txsCommitted: 1200, txsCommittedUnverified: 0, finalHash: 'ab'.repeat(32), heightPhases: null, gossip: null, store: null, ...extra,
});

/** 1000 txs submitted from t=10 s over 10 s, each committed 500 ms later in 10 blocks of 100. */
function input(): ReportInput {
  const t0 = 10_000;
  const submittedAt = Array.from({ length: 1000 }, (_, i) => t0 + i * 10);
  const committedAt = submittedAt.map((s) => Math.ceil((s + 500 - t0) / 1000) * 1000 + t0);
  const blocks = Array.from({ length: 12 }, (_, k) => ({ height: 10 + k, time: t0 + k * 1000 - 200, observedAt: t0 + k * 1000, txs: 100, loadTxs: 0 }));
  committedAt.forEach((c) => blocks[(c - t0) / 1000]!.loadTxs++);
  return {
    version: '0.1.0', startedAt: 5000, nodes: 4, txs: 1000, submittedAt, committedAt, errors: {}, blocks,
    machine: { cpus: 2, verifyPerSecPerCore: 9000, model: 'test', memoryMB: 1024, node: 'v20', platform: 'linux-x64' },
    perNode: [0, 1, 2, 3].map((i) => node(i)), finalHeight: 20,
    client: { cpuSeconds: 1, signers: 2, senders: 4 }, mix: { 'access.log': 800, 'record.anchor': 150, 'consent.grant': 50, outcomes: { granted: 500, denied: 200, emergency: 100 }, anchors: { newRecord: 75, newVersion: 75 } },
    inflight: 2000, rate: null, batch: 100, accounts: 256, blockWindowMs: 50, minBlockIntervalMs: 0, setup: { durationS: 3, txs: 400 },
  };
}

describe('report assembly', () => {
  it('has the SPEC fields and the derived ones', () => {
    const r = assembleReport(input());
    expect(r).toMatchObject({
      nodes: 4, txs: 1000, committed: 1000, failed: 0, signaturesVerified: true, sameFinalHash: true,
      machine: { cpus: 2, verifyPerSecPerCore: 9000 }, verifyLimitTps: 4500, blocks: 12, avgTxsPerBlock: 100, inflight: 2000, rate: null, blockWindowMs: 50,
    });
    expect(r.durationS).toBe(11);
    expect(r.latencyMs.p50).toBeGreaterThanOrEqual(500);
    expect(r.latencyMs.p99).toBeLessThanOrEqual(1500);
    expect(r.tps).toBeGreaterThan(90);
    expect(r.tps).toBeLessThan(110);
    expect(r.shareOfVerifyLimit).toBeCloseTo(r.tps / 4500, 3);
    expect(r.blockTimeMs).toBe(1000);
    expect(r.window.method).toBe('blocks');
    expect(r.startedAtIso).toBe(new Date(5000).toISOString());
    expect(r.timeline.reduce((a, p) => a + p.committed, 0)).toBe(1000);
    expect(r.timelineBucketS).toBe(0.1);
  });

  it('counts only committed txs and failures by reason', () => {
    const i = input();
    (i.committedAt as number[])[999] = 0;
    i.errors = { bad_signature: 1 };
    const r = assembleReport(i);
    expect(r.committed).toBe(999);
    expect(r.failed).toBe(1);
  });

  it('signaturesVerified needs every node at 0 unverified with enough commits', () => {
    expect(signaturesVerified([node(0), node(1)], 1000)).toBe(true);
    expect(signaturesVerified([node(0), node(1, { txsCommittedUnverified: 3 })], 1000)).toBe(false);
    expect(signaturesVerified([node(0), node(1, { txsCommittedUnverified: null })], 1000)).toBe(false);
    expect(signaturesVerified([node(0, { txsCommitted: 999 })], 1000)).toBe(false);
    expect(signaturesVerified([], 0)).toBe(false);
  });

  it('sameFinalHash is false when a node differs or is missing', () => {
    const i = input();
    i.perNode[2] = node(2, { finalHash: 'cd'.repeat(32) });
    expect(assembleReport(i).sameFinalHash).toBe(false);
    i.perNode[2] = node(2, { finalHash: null });
    expect(assembleReport(i).sameFinalHash).toBe(false);
  });
});

/** Tags balance (a cheap well-formedness check): every open tag closed in order. */
function balanced(xml: string): boolean {
  const stack: string[] = [];
  for (const m of xml.replace(/<\?xml[^>]*\?>/, '').replace(/<!DOCTYPE[^>]*>/i, '').matchAll(/<(\/?)([A-Za-z][\w:-]*)([^>]*?)(\/?)>/g)) {
    const [, close, name, , self] = m;
    if (self || ['meta', 'br'].includes(name!.toLowerCase())) continue;
    if (close) { if (stack.pop() !== name) return false; } else stack.push(name!);
  }
  return stack.length === 0;
}

describe('chart and html', () => {
  it('renders a complete SVG with axes, legend and data', () => {
    const r = assembleReport(input());
    const svg = renderSvg(r);
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(balanced(svg)).toBe(true);
    expect(svg).toContain('txs per second');
    expect(svg).toContain('commit latency (ms)');
    expect(svg).toContain('p99 latency');
    expect((svg.match(/<polyline/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('renders an empty run without NaN', () => {
    const i = input();
    i.submittedAt = [];
    i.committedAt = [];
    i.txs = 0;
    i.blocks = [];
    const svg = renderSvg(assembleReport(i));
    expect(balanced(svg)).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('html embeds the svg and the tables', () => {
    const r = assembleReport(input());
    const html = renderHtml(r, renderSvg(r));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toContain('<?xml');
    expect(html).toContain('<svg');
    expect(html).toContain('Per node');
    expect(html).toContain('<tr><th>warm-up (not counted)</th><td>none</td></tr>');
    const warmed = assembleReport({ ...input(), warmup: { txs: 500, committed: 500, durationS: 1.5, tps: 333 } });
    expect(warmed.warmup).toEqual({ txs: 500, committed: 500, durationS: 1.5, tps: 333 });
    expect(renderHtml(warmed, renderSvg(warmed))).toContain('<tr><th>warm-up (not counted)</th><td>500 txs in 1.5 s (333 tx/s)</td></tr>');
    expect(renderSvg(warmed)).toContain('after 500 warm-up txs (not shown)');
    expect(r.warmup).toBeNull();
    expect(balanced(html)).toBe(true);
  });

  it('escapes and ticks', () => {
    expect(escapeXml(`<a & "b" 'c'>`)).toBe('&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;');
    expect(niceTicks(95)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(1234).at(-1)).toBeGreaterThanOrEqual(1234);
  });
});

describe('machine drift', () => {
  it('warns when the verify rate after the load is more than 15% away from the one before', () => {
    expect(machineDrift({ verifyPerSecPerCore: 10_000 })).toEqual([]);
    expect(machineDrift({ verifyPerSecPerCore: 10_000, verifyPerSecPerCoreAfter: 8_600 })).toEqual([]);
    expect(machineDrift({ verifyPerSecPerCore: 10_000, verifyPerSecPerCoreAfter: 11_500 })).toEqual([]);
    expect(machineDrift({ verifyPerSecPerCore: 10_000, verifyPerSecPerCoreAfter: 8_000 })[0]).toMatch(/from 10000\/s before the run to 8000\/s after it \(-20%\)/);
    expect(machineDrift({ verifyPerSecPerCore: 10_000, verifyPerSecPerCoreAfter: 16_000 })[0]).toMatch(/\(\+60%\)/);
  });

  it('the html report names both measurements', () => {
    const r = assembleReport({ ...input(), machine: { ...input().machine, verifyPerSecPerCoreAfter: 7000 } });
    expect(renderHtml(r, '<svg/>')).toContain('9000/s before the run, 7000/s after');
  });
});

describe('warm-up figures', () => {
  it('counts the warm-up txs committed and their rate', () => {
    expect(warmupReport({ committedAt: [5, 6, 7, 8], startedAt: 1000, endedAt: 3000, errors: {}, stalled: false })).toEqual({ txs: 4, committed: 4, durationS: 2, tps: 2 });
  });

  it('refuses to go on when a warm-up tx did not commit, saying what was refused and whether the chain stalled', () => {
    expect(() => warmupReport({ committedAt: [5, 0, 7, 0], startedAt: 0, endedAt: 2000, errors: { nonce_too_low: 1 }, stalled: true }))
      .toThrow('warm-up: only 2 of 4 txs were committed (refused: 1 nonce_too_low); the chain stopped committing; not starting the measured load');
    expect(() => warmupReport({ committedAt: [0], startedAt: 0, endedAt: 0, errors: {}, stalled: false })).toThrow(/^warm-up: only 0 of 1 txs were committed; not starting/);
  });
});
