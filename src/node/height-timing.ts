/**
 * Where a height's wall time goes, as seen by one node: the phases between the marks its
 * consensus loop passes (a proposer builds the block, a validator receives it; an
 * observer signs nothing). Totals since start, for /metrics: an operator (or the bench)
 * divides the growth of a phase's seconds by the growth of the height count.
 *
 *   wait       height start -> the height leaves idle (batching window, no txs at all, or
 *              for a validator without txs of its own: until the proposal or a vote wakes it)
 *   propose    -> this node's prevote is signed (block built, or received and validated)
 *   prevote    -> its precommit is signed (a quorum of prevotes arrived)
 *   precommit  -> the commit starts (a quorum of precommits arrived)
 *   commit     -> the block takes effect (its certificate checked; its synced LevelDB batch is
 *              written behind the next height, see ChainService) and the next height starts
 *
 * A mark not reached at a height (an observer's votes, a block synced from peers) merges
 * its phase into the next one reached; only the first time of each mark counts.
 */
export const HEIGHT_PHASES = ['wait', 'propose', 'prevote', 'precommit', 'commit'] as const;
export type HeightPhase = (typeof HEIGHT_PHASES)[number];

/** The mark that ends each phase, in order. */
export type HeightMark = 'awake' | 'prevoted' | 'precommitted' | 'committing' | 'committed';
const MARKS: readonly HeightMark[] = ['awake', 'prevoted', 'precommitted', 'committing', 'committed'];

export class HeightTiming {
  private height = -1;
  private startedAt = 0;
  private readonly at = new Map<HeightMark, number>();
  private readonly totals = new Map<HeightPhase, number>(HEIGHT_PHASES.map((p) => [p, 0]));
  /** Heights timed from their start to their commit. */
  heights = 0;

  /** A height starts (after the previous commit, or at boot). */
  start(height: number, now: number): void {
    this.height = height;
    this.startedAt = now;
    this.at.clear();
  }

  /** This height passed `mark`; later passes of the same mark (other rounds) do not move it. */
  mark(height: number, mark: HeightMark, now: number): void {
    if (height !== this.height || this.at.has(mark)) return;
    this.at.set(mark, now);
    if (mark === 'committed') this.close();
  }

  /** Seconds spent in each phase over every timed height. */
  secondsByPhase(): Record<HeightPhase, number> {
    return Object.fromEntries(HEIGHT_PHASES.map((p) => [p, this.totals.get(p)! / 1000])) as Record<HeightPhase, number>;
  }

  private close(): void {
    let from = this.startedAt;
    MARKS.forEach((m, i) => {
      const t = this.at.get(m);
      if (t === undefined || t < from) return;
      const phase = HEIGHT_PHASES[i]!;
      this.totals.set(phase, this.totals.get(phase)! + (t - from));
      from = t;
    });
    this.heights++;
    this.height = -1;
  }
}
