import { describe, expect, it } from 'vitest';
import { HeightTiming, type HeightMark } from '../../../src/node/height-timing.js';

/** Passes the marks of one height, in order, at the given times. */
function marks(t: HeightTiming, height: number, at: Array<[HeightMark, number]>): void {
  for (const [m, when] of at) t.mark(height, m, when);
}

describe('HeightTiming', () => {
  it('splits a height from its start to its commit into the five phases, in seconds', () => {
    const t = new HeightTiming();
    t.start(5, 1_000);
    marks(t, 5, [['awake', 1_050], ['prevoted', 1_200], ['precommitted', 1_260], ['committing', 1_290], ['committed', 1_390]]);
    expect(t.heights).toBe(1);
    expect(t.secondsByPhase()).toEqual({ wait: 0.05, propose: 0.15, prevote: 0.06, precommit: 0.03, commit: 0.1 });
  });

  it('adds up heights, keeps the first time of a mark (later rounds), and ignores marks of another height', () => {
    const t = new HeightTiming();
    t.start(1, 0);
    t.mark(1, 'awake', 10);
    t.mark(1, 'prevoted', 30);
    t.mark(1, 'prevoted', 500); // round 1: not the end of the propose phase
    t.mark(2, 'precommitted', 40); // another height: ignored
    t.mark(1, 'precommitted', 600);
    t.mark(1, 'committing', 610);
    t.mark(1, 'committed', 620);
    t.start(2, 620);
    marks(t, 2, [['awake', 620], ['prevoted', 700], ['precommitted', 720], ['committing', 730], ['committed', 800]]);
    expect(t.heights).toBe(2);
    const s = t.secondsByPhase();
    expect(s.wait).toBeCloseTo(0.01);
    expect(s.propose).toBeCloseTo(0.02 + 0.08);
    expect(s.prevote).toBeCloseTo(0.57 + 0.02);
    expect(s.precommit).toBeCloseTo(0.01 + 0.01);
    expect(s.commit).toBeCloseTo(0.01 + 0.07);
  });

  it('an observer signs no votes: the time until the commit starts goes to the phase that ends there', () => {
    const t = new HeightTiming();
    t.start(3, 0);
    t.mark(3, 'awake', 100);
    t.mark(3, 'committing', 400);
    t.mark(3, 'committed', 450);
    expect(t.secondsByPhase()).toEqual({ wait: 0.1, propose: 0, prevote: 0, precommit: 0.3, commit: 0.05 });
  });

  it('a height that never commits here (a block synced from peers restarts the clock) is not counted', () => {
    const t = new HeightTiming();
    t.start(4, 0);
    t.mark(4, 'awake', 10);
    t.start(5, 900); // head moved by sync
    t.mark(4, 'committed', 950);
    expect(t.heights).toBe(0);
    expect(Object.values(t.secondsByPhase()).every((v) => v === 0)).toBe(true);
  });
});
