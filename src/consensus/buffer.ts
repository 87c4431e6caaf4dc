/**
 * Messages for heights we have not started yet, replayed by startHeight. Bounded three
 * ways: how far ahead, how many per author and height, how many per height. The
 * validator set of a future height is not known yet, so authors are not filtered here;
 * the per-author cap keeps one author from crowding out the others.
 */
import type { Proposal, Vote } from './types.js';

export type Buffered = { kind: 'vote'; vote: Vote } | { kind: 'proposal'; proposal: Proposal };

export interface BufferLimits {
  heightsAhead: number;
  perAuthor: number;
  perHeight: number;
}

export const DEFAULT_BUFFER_LIMITS: BufferLimits = { heightsAhead: 2, perAuthor: 16, perHeight: 1024 };

interface HeightBuffer {
  total: number;
  byAuthor: Map<string, Buffered[]>;
}

function authorOf(m: Buffered): string {
  return m.kind === 'vote' ? m.vote.validator : m.proposal.proposer;
}

function same(a: Buffered, b: Buffered): boolean {
  if (a.kind === 'vote' && b.kind === 'vote') {
    const x = a.vote, y = b.vote;
    return x.height === y.height && x.round === y.round && x.type === y.type && x.blockHash === y.blockHash;
  }
  if (a.kind === 'proposal' && b.kind === 'proposal') {
    const x = a.proposal, y = b.proposal;
    return x.height === y.height && x.round === y.round && x.blockHash === y.blockHash && x.polRound === y.polRound;
  }
  return false;
}

export class FutureBuffer {
  private readonly heights = new Map<number, HeightBuffer>();

  constructor(private readonly limits: BufferLimits = DEFAULT_BUFFER_LIMITS) {}

  /** Buffers `m` (its height is above `currentHeight`); false if dropped. */
  add(currentHeight: number, height: number, m: Buffered): boolean {
    if (height <= currentHeight || height > currentHeight + this.limits.heightsAhead) return false;
    let hb = this.heights.get(height);
    if (hb === undefined) this.heights.set(height, (hb = { total: 0, byAuthor: new Map() }));
    if (hb.total >= this.limits.perHeight) return false;
    const author = authorOf(m);
    let list = hb.byAuthor.get(author);
    if (list === undefined) hb.byAuthor.set(author, (list = []));
    if (list.length >= this.limits.perAuthor || list.some((x) => same(x, m))) return false;
    list.push(m);
    hb.total++;
    return true;
  }

  /** Removes and returns the messages for `height` (arrival order per author); drops lower heights. */
  take(height: number): Buffered[] {
    const out: Buffered[] = [];
    for (const h of [...this.heights.keys()]) {
      if (h < height) this.heights.delete(h);
      else if (h === height) {
        for (const list of this.heights.get(h)!.byAuthor.values()) out.push(...list);
        this.heights.delete(h);
      }
    }
    return out;
  }

  /** Messages held, all heights (for status and tests). */
  get size(): number {
    let n = 0;
    for (const hb of this.heights.values()) n += hb.total;
    return n;
  }
}
