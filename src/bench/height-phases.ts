import { HEIGHT_PHASES, type HeightPhase } from '../node/height-timing.js';

/**
 * Where the heights of the measured load spent their wall time, from each node's
 * /metrics (`medledger_heights_timed_total`, `medledger_height_phase_seconds_total`,
 * node/height-timing.ts) read when the load starts and when it ends.
 */
export interface PhaseSample {
  heights: number;
  seconds: Record<HeightPhase, number>;
}

export interface HeightPhases {
  /** Heights this node timed during the load. */
  heights: number;
  /** Mean wall time per height of each phase, ms. */
  ms: Record<HeightPhase, number>;
}

/** The phase counters of one parsed /metrics page; null when the node exposes none. */
export function phaseSample(metrics: ReadonlyMap<string, number>): PhaseSample | null {
  const heights = metrics.get('medledger_heights_timed_total');
  if (heights === undefined) return null;
  const seconds = {} as Record<HeightPhase, number>;
  for (const p of HEIGHT_PHASES) {
    const v = metrics.get(`medledger_height_phase_seconds_total{phase="${p}"}`);
    if (v === undefined) return null;
    seconds[p] = v;
  }
  return { heights, seconds };
}

/** Mean ms per phase over the heights timed between two samples; null without both or without a height. */
export function phasesBetween(before: PhaseSample | null, after: PhaseSample | null): HeightPhases | null {
  if (before === null || after === null) return null;
  const heights = after.heights - before.heights;
  if (heights <= 0) return null;
  const ms = {} as Record<HeightPhase, number>;
  for (const p of HEIGHT_PHASES) ms[p] = Math.round(((after.seconds[p] - before.seconds[p]) * 1000) / heights);
  return { heights, ms };
}

/** The nodes' mean of each phase (nodes without figures left out); null when no node has any. */
export function meanOverNodes(list: ReadonlyArray<HeightPhases | null>): Record<HeightPhase, number> | null {
  const have = list.filter((x): x is HeightPhases => x !== null);
  if (have.length === 0) return null;
  const ms = {} as Record<HeightPhase, number>;
  for (const p of HEIGHT_PHASES) ms[p] = Math.round(have.reduce((s, x) => s + x.ms[p], 0) / have.length);
  return ms;
}

/** "wait 0, propose 140, ..." in phase order. */
export function formatPhases(ms: Record<HeightPhase, number>): string {
  return HEIGHT_PHASES.map((p) => `${p} ${ms[p]}`).join(', ');
}
