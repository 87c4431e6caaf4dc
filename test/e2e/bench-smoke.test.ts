import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/node-proc.js';

/** `medledger bench` end to end on two node processes; shape and correctness only, never speed. */
describe('medledger bench (smoke)', () => {
  const out = tempDir('ml-bench-');
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs 300 txs after a 100-tx warm-up on 2 nodes and writes report.json, report.svg and report.html', async () => {
    const r = await runCli(['bench', '--nodes', '2', '--txs', '300', '--warmup', '100', '--block-window', '80', '--out', out], { timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/tps [\d.]+/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ nodes: 2, txs: 300, committed: 300, failed: 0, signaturesVerified: true, sameFinalHash: true, inflight: 2000, rate: null, blockWindowMs: 80 });
    expect(r.stdout).toMatch(/LevelDB during the load \(mean of nodes\): \d+ s of flushes and compactions, \d+ MB read, \d+ MB written; \d+ MB of tables at the end/);
    expect(report.warmup).toMatchObject({ txs: 100, committed: 100 });
    expect(r.stdout).toMatch(/warm-up 100 txs/);
    for (const k of ['durationS', 'tps', 'blockTimeMs', 'verifyLimitTps', 'shareOfVerifyLimit', 'blocks', 'avgTxsPerBlock', 'finalHeight', 'startedAt']) {
      expect(typeof report[k], k).toBe('number');
      expect(Number.isFinite(report[k]), k).toBe(true);
    }
    for (const p of ['p50', 'p95', 'p99']) expect(typeof report.latencyMs[p]).toBe('number');
    expect(report.latencyMs.p50).toBeLessThanOrEqual(report.latencyMs.p99);
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.machine.verifyPerSecPerCore).toBeGreaterThan(0);
    expect(report.verifyLimitTps).toBeCloseTo((report.machine.cpus * report.machine.verifyPerSecPerCore) / 2, 0);
    expect(report.perNode).toHaveLength(2);
    expect(r.stdout).toMatch(/height phases, ms per height \(mean of nodes\): wait \d+, propose \d+, prevote \d+, precommit \d+, commit \d+/);
    for (const n of report.perNode) {
      expect(n.txsCommittedUnverified).toBe(0);
      expect(n.txsCommitted).toBeGreaterThanOrEqual(400);
      expect(n.finalHash).toBe(report.perNode[0].finalHash);
      expect(n.finalHash).toMatch(/^[0-9a-f]{64}$/);
      // Each node timed the load's heights (from /metrics): where a height's wall time went.
      expect(n.heightPhases.heights).toBeGreaterThan(0);
      expect(Object.keys(n.heightPhases.ms)).toEqual(['wait', 'propose', 'prevote', 'precommit', 'commit']);
      for (const v of Object.values(n.heightPhases.ms)) expect(v).toBeGreaterThanOrEqual(0);
      // LevelDB's flushes and compactions during the load (from /metrics).
      expect(Object.keys(n.store)).toEqual(['compactionSeconds', 'compactionReadMB', 'compactionWrittenMB', 'tableMB']);
      for (const v of Object.values(n.store)) expect(v).toBeGreaterThanOrEqual(0);
      if (process.platform === 'linux') {
        expect(n.cpuSeconds).toBeGreaterThan(0);
        expect(n.peakRssMB).toBeGreaterThan(0);
      }
    }
    expect(report.mix['access.log'] + report.mix['record.anchor'] + report.mix['consent.grant']).toBe(300);
    expect(report.receiptSample).toMatchObject({ rejected: 0, outcomeMismatches: 0 });
    expect(report.receiptSample.checked).toBeGreaterThan(0);
    const svg = readFileSync(join(out, 'report.svg'), 'utf8');
    expect(svg).toContain('<svg');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<svg');
  }, 120_000);
});
