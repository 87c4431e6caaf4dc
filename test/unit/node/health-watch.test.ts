import { describe, expect, it } from 'vitest';
import { HealthWatch, type HealthSnapshot } from '../../../src/node/health-watch.js';
import type { Logger } from '../../../src/util/logger.js';

function recorder() {
  const lines: Array<{ level: string; msg: string }> = [];
  const log = {
    warn: (_o: unknown, msg: string) => lines.push({ level: 'warn', msg }),
    info: (_o: unknown, msg: string) => lines.push({ level: 'info', msg }),
    child: () => log,
  };
  return { lines, log: log as unknown as Logger };
}

const healthy: HealthSnapshot = { height: 10, round: 0, step: 'idle', reachable: 4, quorum: 3, authorities: 4, pendingTxs: 0, syncing: false };

describe('HealthWatch', () => {
  it('warns once when a quorum is unreachable, repeats at most once per repeat interval, and says when it recovers', () => {
    const { lines, log } = recorder();
    let now = 0;
    let snap = { ...healthy, reachable: 2 };
    const w = new HealthWatch({ intervalMs: 1000, stallMs: 15_000, repeatMs: 60_000 }, () => snap, log, () => now);
    w.check();
    now = 30_000;
    w.check();
    expect(lines).toEqual([{ level: 'warn', msg: expect.stringMatching(/cannot reach a quorum of authorities \(2 of 4 reachable, 3 needed\)/) }]);
    now = 61_000;
    w.check();
    expect(lines).toHaveLength(2);
    snap = healthy;
    w.check();
    expect(lines[2]).toEqual({ level: 'info', msg: 'quorum of authorities reachable again' });
    w.check();
    expect(lines).toHaveLength(3);
  });

  it('warns when txs wait at one height for the stall time, not when idle, syncing, or when blocks keep coming', () => {
    const { lines, log } = recorder();
    let now = 0;
    let snap: HealthSnapshot = healthy;
    const w = new HealthWatch({ intervalMs: 1000, stallMs: 15_000, repeatMs: 60_000 }, () => snap, log, () => now);
    w.check(); // idle chain: an old last block is not a stall
    snap = { ...healthy, pendingTxs: 5, syncing: true };
    now = 30_000;
    w.check();
    snap = { ...healthy, pendingTxs: 5, round: 3, step: 'prevote' };
    now = 40_000;
    w.check(); // txs first seen waiting at height 10
    now = 50_000;
    w.check();
    snap = { ...snap, height: 11 }; // a block came: the clock restarts
    now = 54_000;
    w.check();
    expect(lines).toHaveLength(0);
    now = 69_000;
    w.check();
    expect(lines).toEqual([{ level: 'warn', msg: 'height 12 not finalised for 15 s with 5 txs waiting (round 3, step prevote)' }]);
    snap = { ...snap, pendingTxs: 0 };
    w.check();
    expect(lines[1]).toEqual({ level: 'info', msg: 'blocks are being finalised again' });
  });
});
