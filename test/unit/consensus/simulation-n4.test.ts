// Deterministic simulation, n = 4 (f = 1). Harness: ./sim; replay a failing seed with the command it prints.
import { describe, expect, it } from 'vitest';
import { makeScenario, runScenario } from './sim/simulation.js';
import { simulationSuite } from './sim/suite.js';

simulationSuite(4, 600, { checkCoverage: true });

describe('simulation n=4, seeds that once failed', () => {
  it('9161 (SIM_SEEDS=10000): two honest nodes locked on the Byzantine proposer\'s block lose it in a crash; kept with the lock (as the node\'s signer keeps it), the height ends', () => {
    const r = runScenario(makeScenario(9161, 4));
    expect(r.violations).toEqual([]);
    expect(r.doneAt).not.toBeNull();
  });
});
