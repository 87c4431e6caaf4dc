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

const healthy: HealthSnapshot = { height: 10, round: 0, step: 'idle', reachable: 4, quorum: 3, authorities: 4, pendingTxs: 0, lastBlockAgeMs: 1_000, syncing: false };

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

  it('warns when a height stalls with txs waiting, not when idle or syncing', () => {
    const { lines, log } = recorder();
    const snaps: HealthSnapshot[] = [
      { ...healthy, lastBlockAgeMs: 120_000 },
      { ...healthy, lastBlockAgeMs: 120_000, pendingTxs: 5, syncing: true },
      { ...healthy, lastBlockAgeMs: 20_000, pendingTxs: 5, round: 3, step: 'prevote' },
    ];
    let i = 0;
    const w = new HealthWatch({ intervalMs: 1000, stallMs: 15_000, repeatMs: 60_000 }, () => snaps[i]!, log, () => 0);
    w.check();
    i = 1;
    w.check();
    expect(lines).toHaveLength(0);
    i = 2;
    w.check();
    expect(lines).toEqual([{ level: 'warn', msg: 'height 11 not finalised for 20 s with 5 txs waiting (round 3, step prevote)' }]);
  });
});
