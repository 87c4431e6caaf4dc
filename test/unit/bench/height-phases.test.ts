import { describe, expect, it } from 'vitest';
import { formatPhases, meanOverNodes, phaseSample, phasesBetween } from '../../../src/bench/height-phases.js';
import { parsePrometheus } from '../../../src/bench/rpc.js';

const page = (heights: number, s: [number, number, number, number, number]): string => [
  '# TYPE medledger_heights_timed_total counter', `medledger_heights_timed_total ${heights}`,
  '# TYPE medledger_height_phase_seconds_total counter',
  ...['wait', 'propose', 'prevote', 'precommit', 'commit'].map((p, i) => `medledger_height_phase_seconds_total{phase="${p}"} ${s[i]}`),
].join('\n');

describe('bench height phases', () => {
  it('reads the counters of a /metrics page, and none from a node without them', () => {
    expect(phaseSample(parsePrometheus(page(7, [1, 2, 3, 4, 5])))).toEqual({ heights: 7, seconds: { wait: 1, propose: 2, prevote: 3, precommit: 4, commit: 5 } });
    expect(phaseSample(parsePrometheus('medledger_chain_height 3\n'))).toBeNull();
    expect(phaseSample(parsePrometheus('medledger_heights_timed_total 3\n'))).toBeNull(); // phases missing
  });

  it('gives the mean ms per height of each phase between two samples', () => {
    const a = phaseSample(parsePrometheus(page(10, [1, 2, 3, 4, 5])));
    const b = phaseSample(parsePrometheus(page(30, [1.2, 6, 4, 4.6, 7])));
    expect(phasesBetween(a, b)).toEqual({ heights: 20, ms: { wait: 10, propose: 200, prevote: 50, precommit: 30, commit: 100 } });
    expect(phasesBetween(a, a)).toBeNull(); // no height timed in between
    expect(phasesBetween(null, b)).toBeNull();
  });

  it('averages the nodes that have figures, and formats them in phase order', () => {
    const one = { heights: 5, ms: { wait: 0, propose: 100, prevote: 40, precommit: 20, commit: 80 } };
    const two = { heights: 5, ms: { wait: 10, propose: 200, prevote: 60, precommit: 20, commit: 120 } };
    const mean = meanOverNodes([one, null, two]);
    expect(mean).toEqual({ wait: 5, propose: 150, prevote: 50, precommit: 20, commit: 100 });
    expect(formatPhases(mean!)).toBe('wait 5, propose 150, prevote 50, precommit 20, commit 100');
    expect(meanOverNodes([null])).toBeNull();
  });
});
