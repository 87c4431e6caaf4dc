/** The safety / liveness test pair for one authority-set size, shared by the simulation test files. */
import { beforeAll, describe, expect, it } from 'vitest';
import { coverage, LIVENESS_BOUND_MS, livenessFailures, runBatch, safetyFailures, type Batch } from './batch.js';

export function simulationSuite(n: number, seeds: number, opts: { checkCoverage: boolean }): void {
  describe(`simulation n=${n}`, () => {
    let batch: Batch;
    beforeAll(() => {
      batch = runBatch(n, seeds);
    });

    it(`safety: no two honest nodes commit different blocks at one height (${seeds} seeds)`, () => {
      const failures = safetyFailures(batch);
      expect(failures, `${failures.length} of ${batch.results.length} seeds broke safety:\n${failures.slice(0, 20).join('\n')}`).toEqual([]);
      if (opts.checkCoverage && batch.results.length === seeds) {
        const c = coverage(batch);
        // The seeds must exercise what could break safety, or this test proves nothing.
        expect(c.withByzantine).toBeGreaterThan(seeds / 2);
        expect(c.withEvidence).toBeGreaterThan(seeds / 4);
        expect(c.withSplitLocks).toBeGreaterThan(seeds / 50);
        expect(c.withLockRestore).toBeGreaterThan(seeds / 10);
        expect(c.withPrivvalRefusal).toBeGreaterThan(0);
        expect(c.withSync).toBeGreaterThan(seeds / 10);
        expect(c.withRoundChange).toBeGreaterThan(seeds / 2);
      }
    });

    it(`liveness: once healed, every honest node commits the target height within ${LIVENESS_BOUND_MS / 1000} s of simulated time`, () => {
      const failures = livenessFailures(batch);
      expect(failures, `${failures.length} of ${batch.results.length} seeds missed the bound:\n${failures.slice(0, 20).join('\n')}`).toEqual([]);
      if (opts.checkCoverage && batch.results.length === seeds) {
        expect(coverage(batch).unfinishedAtHeal).toBeGreaterThan(seeds / 2); // most runs still had work when the network healed
      }
    });
  });
}
