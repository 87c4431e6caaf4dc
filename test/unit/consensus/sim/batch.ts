/**
 * Runs many seeded simulations and summarises them for the safety and liveness tests.
 *
 * Replay one seed:   SIM_SEED=123 SIM_N=4 npx vitest run test/unit/consensus
 * ...with a trace:   SIM_SEED=123 SIM_N=4 SIM_TRACE=1 npx vitest run test/unit/consensus
 * More seeds:        SIM_SEEDS=5000 npx vitest run test/unit/consensus
 */
import { makeScenario, runScenario, type SimResult } from './simulation.js';

/** After healing (GST and the last restart), every honest node commits the target height within this much simulated time. */
export const LIVENESS_BOUND_MS = 20_000;

/** A run's outcome without its nodes (kept only when replaying one seed: 200,000 runs' nodes exhaust the heap). */
export type RunSummary = Omit<SimResult, 'nodes'>;

export interface Batch {
  n: number;
  results: RunSummary[];
  wallMs: number;
}

export function replayCommand(seed: number, n: number): string {
  return `SIM_SEED=${seed} SIM_N=${n} SIM_TRACE=1 npx vitest run test/unit/consensus`;
}

/** The seeds to run for `n`: the configured count, or just SIM_SEED when replaying. */
export function seedsFor(n: number, count: number): number[] {
  const one = process.env.SIM_SEED;
  if (one !== undefined && one !== '') {
    const wanted = process.env.SIM_N;
    return wanted === undefined || Number(wanted) === n ? [Number(one)] : [];
  }
  const total = Number(process.env.SIM_SEEDS ?? count);
  return Array.from({ length: total }, (_, i) => i + 1);
}

export function runBatch(n: number, count: number): Batch {
  const t0 = Date.now();
  const trace = process.env.SIM_TRACE ? (line: string) => process.stdout.write(line + '\n') : undefined;
  const results = seedsFor(n, count).map((seed): RunSummary => {
    const { nodes: _nodes, ...summary } = runScenario(makeScenario(seed, n), trace);
    return summary;
  });
  return { n, results, wallMs: Date.now() - t0 };
}

export function safetyFailures(b: Batch): string[] {
  return b.results.filter((r) => r.violations.length > 0).map((r) =>
    `seed ${r.scenario.seed} (n=${b.n}): ${r.violations.slice(0, 3).join('; ')}\n  replay: ${replayCommand(r.scenario.seed, b.n)}`);
}

export function livenessFailures(b: Batch): string[] {
  return b.results.filter((r) => r.doneAt === null || r.doneAt - r.healedAt > LIVENESS_BOUND_MS).map((r) =>
    `seed ${r.scenario.seed} (n=${b.n}): committed heights ${JSON.stringify(r.heights)} of ${r.scenario.targetHeight}, `
    + `${r.doneAt === null ? 'never done' : `done ${r.doneAt - r.healedAt} ms after healing`}\n  replay: ${replayCommand(r.scenario.seed, b.n)}`);
}

/** Coverage of the interesting cases, so a harmless-looking sim cannot pass vacuously. */
export function coverage(b: Batch) {
  const rs = b.results;
  const pending = rs.filter((r) => r.doneAt === null || r.doneAt > r.healedAt);
  return {
    seeds: rs.length,
    withByzantine: rs.filter((r) => r.scenario.byzantine.length > 0).length,
    withEvidence: rs.filter((r) => r.stats.evidence > 0).length,
    withSplitLocks: rs.filter((r) => r.stats.splitLocks > 0).length,
    withLockRestore: rs.filter((r) => r.stats.lockRestores > 0).length,
    withPrivvalRefusal: rs.filter((r) => r.stats.refusals > 0).length,
    withSync: rs.filter((r) => r.stats.syncs > 0).length,
    withRoundChange: rs.filter((r) => r.stats.maxRound > 0).length,
    /** Runs not finished when the network healed: the ones the liveness bound is about. */
    unfinishedAtHeal: pending.length,
    worstAfterHealMs: Math.max(0, ...pending.map((r) => (r.doneAt ?? Infinity) - r.healedAt)),
  };
}
