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

  // SIM_SEEDS=30000 (session 17): a node crashed right after it locked and lost the prevotes
  // behind its lock, one of them a Byzantine prevote no one else held, or held by a node that
  // had moved on; re-proposed with that polRound, the block was never justified again. The
  // lock's proof-of-lock is now persisted with it and re-sent while a height is stuck.
  it.each([[13291, 4], [13996, 4], [14690, 4], [27355, 4], [15662, 5], [19698, 5], [29998, 5]])('%i (n=%i): a lock whose proof-of-lock a crash lost', (seed, n) => {
    const r = runScenario(makeScenario(seed, n));
    expect(r.violations).toEqual([]);
    expect(r.doneAt).not.toBeNull();
  });

  // Host-like restarts (session 18, SIM_SEEDS=30000): a Byzantine precommit that ended round 1
  // reached one honest node only; it moved on, the other two waited in round 1 for a third
  // precommit forever. Votes of the current and previous round are now re-sent while stuck.
  it('3827: the precommits that ended a round, held by one honest node only', () => {
    const r = runScenario(makeScenario(3827, 4));
    expect(r.scenario.hostLike).toBe(true);
    expect(r.violations).toEqual([]);
    expect(r.doneAt).not.toBeNull();
  });
});
