import { describe, expect, it } from 'vitest';
import { proposerOf } from '../../../src/consensus/params.js';
import { MAX_PROPOSALS_PER_ROUND } from '../../../src/consensus/proposals.js';
import type { WireProposal } from '../../../src/consensus/messages.js';
import { MAX_FUTURE_PROPOSALS, MAX_ROUNDS_AHEAD, ProposalGate } from '../../../src/node/proposal-gate.js';

const validators = ['a', 'b', 'c', 'd'];
const at = { height: 5, round: 0, validators };

/** The fields the gate reads; the rest of a proposal was checked before it. */
const wire = (height: number, round: number, blockHash: string, proposer = proposerOf(validators, height, round)): WireProposal =>
  ({ height, round, blockHash, proposer }) as unknown as WireProposal;

describe('ProposalGate', () => {
  it('admits the round proposer\'s proposal for the next height, rejects anyone else\'s', () => {
    const g = new ProposalGate();
    expect(g.admit(wire(5, 0, 'x'), 'peer', at)).toBe('now');
    const other = validators.find((v) => v !== proposerOf(validators, 5, 1))!;
    expect(g.admit(wire(5, 1, 'y', other), 'peer', at)).toBe('reject');
  });

  it('ignores rounds too far ahead of ours', () => {
    const g = new ProposalGate();
    expect(g.admit(wire(5, MAX_ROUNDS_AHEAD, 'x'), 'peer', at)).toBe('now');
    expect(g.admit(wire(5, MAX_ROUNDS_AHEAD + 1, 'x'), 'peer', at)).toBe('ignore');
    expect(g.admit(wire(5, MAX_ROUNDS_AHEAD + 1, 'x'), 'peer', { ...at, round: 1 })).toBe('now');
  });

  it('lets at most MAX_PROPOSALS_PER_ROUND blocks per round through; a repeat of one of them still passes; a new height starts over', () => {
    const g = new ProposalGate();
    for (let i = 0; i < MAX_PROPOSALS_PER_ROUND; i++) expect(g.admit(wire(5, 0, `b${i}`), 'peer', at)).toBe('now');
    expect(g.admit(wire(5, 0, 'one-too-many'), 'peer', at)).toBe('ignore');
    expect(g.admit(wire(5, 0, 'b0'), 'peer', at)).toBe('now');
    expect(g.admit(wire(5, 1, 'other-round'), 'peer', at)).toBe('now');
    g.startHeight(6);
    expect(g.admit(wire(6, 0, 'c0'), 'peer', { ...at, height: 6 })).toBe('now');
  });

  it('keeps proposals for later heights (the last MAX_FUTURE_PROPOSALS) and hands each over when its height starts', () => {
    const g = new ProposalGate();
    expect(g.admit(wire(6, 0, 'six'), 'p6', at)).toBe('kept');
    expect(g.admit(wire(7, 0, 'seven'), 'p7', at)).toBe('kept');
    expect(g.startHeight(6).map((k) => [k.p.blockHash, k.from])).toEqual([['six', 'p6']]);
    expect(g.startHeight(6)).toEqual([]);
    expect(g.startHeight(7).map((k) => k.p.blockHash)).toEqual(['seven']);
    for (let i = 0; i < MAX_FUTURE_PROPOSALS + 2; i++) g.admit(wire(9, 0, `f${i}`), 'peer', at);
    const kept = g.startHeight(9).map((k) => k.p.blockHash);
    expect(kept).toHaveLength(MAX_FUTURE_PROPOSALS);
    expect(kept[0]).toBe('f2');
  });

  it('drops kept proposals for heights that passed', () => {
    const g = new ProposalGate();
    g.admit(wire(6, 0, 'six'), 'peer', at);
    expect(g.startHeight(8)).toEqual([]);
    expect(g.startHeight(6)).toEqual([]);
  });
});
