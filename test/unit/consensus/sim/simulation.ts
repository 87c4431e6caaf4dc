/**
 * Deterministic discrete-event simulation of n authorities running the consensus engine.
 * One seed fixes everything: scenario, delays, drops, the Byzantine node's choices.
 * Simulated time only (ms); no timers, no real clock.
 *
 * Network model: before GST messages may be dropped, delayed up to `preGstMaxDelayMs`
 * (so reordered), and cut by a partition; from GST on every message between live nodes
 * arrives within `postGstMaxDelayMs`. Nodes re-gossip what they signed every `gossipMs`.
 */
import type { Timeouts } from '../../../../src/consensus/index.js';
import { accounts } from './fixtures.js';
import { ByzantineNode, SimNode, type Msg, type SimStats, type World } from './node.js';
import { Rng } from './prng.js';
import { EventQueue } from './queue.js';

export interface Scenario {
  seed: number;
  n: number;
  /** Indices of equivocating authorities (at most f). */
  byzantine: number[];
  /** Stop once every honest node has committed this many heights. */
  targetHeight: number;
  gstMs: number;
  dropRate: number;
  preGstMaxDelayMs: number;
  postGstMaxDelayMs: number;
  /** Partition schedule before GST: from `at`, nodes talk only within their group (null = none). */
  partitions: { at: number; groups: number[] | null }[];
  /** Honest nodes crash at `at` and restart at `restartAt` (both before GST). */
  crashes: { node: number; at: number; restartAt: number }[];
  /** Targeted fault: this honest node crashes right after its first non-nil precommit, down for `downMs`. */
  crashOnLock: { node: number; downMs: number } | null;
  /** Nodes whose mempool stays empty (they wake on peers' messages). */
  noTxs: boolean[];
  gossipMs: number;
  /** A crash loses the messages received in the last `walLagMs` (lazy WAL fsync). */
  walLagMs: number;
  /** Whether a restarted node feeds its own signed votes back first; if not, its privval must refuse. */
  replayOwnVotes: boolean;
  /**
   * Nodes restart and gossip as medledger's host does (src/node/consensus-host.ts), not as
   * CometBFT's: no log of received messages (a crash loses them all), no replay of what it
   * signed but the signer's lock (proposal and proof-of-lock), resume in the round after
   * the last one signed, re-send only what this incarnation signed plus `votesToShare`,
   * and relay a peer's message only within gossipsub's history window.
   */
  hostLike: boolean;
  /** Extra latency of block sync (fetching blocks + certificates is slow). */
  syncLagMs: number;
  maxTimeMs: number;
  timeouts: Timeouts;
}

export const SIM_TIMEOUTS: Timeouts = { proposeMs: 300, prevoteMs: 150, precommitMs: 150, deltaMs: 100 };

export function makeScenario(seed: number, n: number): Scenario {
  const rng = new Rng(seed ^ 0x9e3779b9);
  const f = Math.floor((n - 1) / 3);
  const nByz = f === 0 ? 0 : rng.chance(0.75) ? rng.int(1, f) : 0;
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const byzantine = order.slice(0, nByz).sort((a, b) => a - b);
  const honest = order.slice(nByz);
  const gstMs = rng.int(300, 8000);
  const partitions: Scenario['partitions'] = [];
  for (let at = 0; at < gstMs; at += rng.int(300, 1500)) {
    partitions.push({ at, groups: rng.chance(0.5) ? Array.from({ length: n }, () => rng.int(0, 1)) : null });
  }
  const crashes = Array.from({ length: rng.pick([0, 0, 1, 1, 2, 3]) }, () => {
    const at = rng.int(0, gstMs);
    return { node: rng.pick(honest), at, restartAt: Math.min(gstMs, at + rng.int(20, 2000)) };
  });
  const crashOnLock = rng.chance(0.4) ? { node: rng.pick(honest), downMs: rng.int(0, 1500) } : null;
  const noTxs = Array.from({ length: n }, () => rng.chance(0.3));
  noTxs[honest[0]!] = false; // someone honest always has work, or nothing ever starts
  const scenario: Omit<Scenario, 'hostLike'> = {
    seed, n, byzantine, targetHeight: 4, gstMs,
    dropRate: rng.pick([0, 0.05, 0.2, 0.4]),
    preGstMaxDelayMs: rng.pick([20, 200, 600]),
    postGstMaxDelayMs: 40,
    partitions, crashes, crashOnLock, noTxs, gossipMs: 250, syncLagMs: rng.pick([0, 300, 1000, 3000]), walLagMs: rng.pick([0, 100, 500]), replayOwnVotes: rng.chance(0.5), maxTimeMs: gstMs + 60_000, timeouts: SIM_TIMEOUTS,
  };
  // Drawn last, so every other choice a seed made before this knob existed stays the same.
  return { ...scenario, hostLike: rng.chance(0.5) };
}

export interface SimResult {
  scenario: Scenario;
  violations: string[];
  /** When every honest node had committed `targetHeight`; null if it never did. */
  doneAt: number | null;
  /** GST, or the last restart if later: from here all honest nodes are up and connected. */
  healedAt: number;
  /** Chain length per honest node at the end. */
  heights: number[];
  stats: SimStats;
  events: number;
  /** The nodes at the end of the run (for debugging a seed). */
  nodes: SimNode[];
}

type Ev =
  | { kind: 'deliver'; from: number; to: number; msg: Msg }
  | { kind: 'call'; node: SimNode; inc: number; fn: () => void }
  | { kind: 'gossip' }
  | { kind: 'crash'; node: number }
  | { kind: 'restart'; node: number };

function groupAt(s: Scenario, t: number): number[] | null {
  let g: number[] | null = null;
  for (const p of s.partitions) if (p.at <= t) g = p.groups;
  return g;
}

export function runScenario(s: Scenario, trace?: (line: string) => void): SimResult {
  const rng = new Rng(s.seed);
  const queue = new EventQueue<Ev>();
  const validators = accounts(s.n, `sim-${s.seed}`);
  const violations: string[] = [];
  const committed = new Map<number, string>();
  const stats: SimStats = { messages: 0, refusals: 0, evidence: 0, syncs: 0, missing: 0, maxRound: 0, splitLocks: 0, lockRestores: 0 };
  const locks = new Map<number, string>();
  let now = 0;
  const nodes: SimNode[] = [];

  const world: World = {
    get now() { return now; },
    rng, validators, timeouts: s.timeouts, stats, hostLike: s.hostLike,
    send(from, to, msg) {
      stats.messages++;
      const lag = msg.kind === 'syncResp' ? s.syncLagMs : 0;
      if (now < s.gstMs) {
        const groups = groupAt(s, now);
        if (groups !== null && groups[from] !== groups[to]) return;
        if (rng.chance(s.dropRate)) return;
        queue.push(now + lag + rng.int(1, s.preGstMaxDelayMs), { kind: 'deliver', from, to, msg });
      } else queue.push(now + lag + rng.int(1, s.postGstMaxDelayMs), { kind: 'deliver', from, to, msg });
    },
    later(node, delayMs, fn) {
      queue.push(now + delayMs, { kind: 'call', node, inc: node.inc, fn });
    },
    hasTxs: (node) => !s.noTxs[node],
    noteLock(height, hash) {
      const prev = locks.get(height);
      if (prev === undefined) locks.set(height, hash);
      else if (prev !== hash && stats.splitLocks === 0) stats.splitLocks = 1;
    },
    recordCommit(node, height, hash, via) {
      trace?.(`${now} node ${node} commits ${height} ${hash.slice(0, 8)} via ${via}`);
      const prev = committed.get(height);
      if (prev === undefined) committed.set(height, hash);
      else if (prev !== hash) violations.push(`SAFETY: node ${node} committed ${hash} at height ${height}, another honest node committed ${prev}`);
    },
    violation(what) {
      violations.push(what);
    },
  };

  for (let i = 0; i < s.n; i++) {
    const node = s.byzantine.includes(i) ? new ByzantineNode(i, validators[i]!, world) : new SimNode(i, validators[i]!, world);
    node.onEvidence = (v) => {
      if (!s.byzantine.includes(v)) violations.push(`node ${i} reported evidence against honest validator ${v}`);
    };
    nodes.push(node);
  }
  const honest = nodes.filter((x) => !x.byzantine);
  for (const node of nodes) node.boot();
  queue.push(s.gossipMs, { kind: 'gossip' });
  for (const c of s.crashes) {
    queue.push(c.at, { kind: 'crash', node: c.node });
    queue.push(c.restartAt, { kind: 'restart', node: c.node });
  }
  if (s.crashOnLock !== null) {
    const { node, downMs } = s.crashOnLock;
    let fired = false;
    nodes[node]!.onLock = () => {
      if (fired) return;
      fired = true;
      queue.push(now, { kind: 'crash', node });
      queue.push(now + downMs, { kind: 'restart', node });
    };
  }

  let events = 0;
  let lastRestart = 0;
  let doneAt: number | null = null;
  const done = () => honest.every((x) => x.chain.length >= s.targetHeight);
  for (let ev = queue.pop(); ev !== undefined && ev.time <= s.maxTimeMs; ev = queue.pop()) {
    now = ev.time;
    events++;
    const e = ev.item;
    switch (e.kind) {
      case 'deliver': {
        const to = nodes[e.to]!;
        if (trace && e.msg.kind !== 'syncResp' && e.msg.kind !== 'status') trace(`${now} ${e.from}->${e.to} ${describe(e.msg)}`);
        to.receive(e.from, e.msg);
        break;
      }
      case 'call':
        if (e.node.inc === e.inc && e.node.alive) e.fn();
        break;
      case 'gossip':
        for (const x of nodes) x.gossip();
        queue.push(now + s.gossipMs, { kind: 'gossip' });
        break;
      case 'crash':
        if (!nodes[e.node]!.alive) break;
        trace?.(`${now} node ${e.node} CRASH`);
        nodes[e.node]!.crash(s.hostLike ? Infinity : s.walLagMs);
        break;
      case 'restart':
        if (nodes[e.node]!.alive) break;
        trace?.(`${now} node ${e.node} RESTART`);
        lastRestart = now;
        nodes[e.node]!.boot(s.replayOwnVotes);
        break;
    }
    if (done()) {
      doneAt = now;
      break;
    }
  }
  const healedAt = Math.max(s.gstMs, lastRestart);
  return { scenario: s, violations, doneAt, healedAt, heights: honest.map((x) => x.chain.length), stats, events, nodes };
}

function describe(m: Msg): string {
  switch (m.kind) {
    case 'proposal': return `proposal ${m.p.height}/${m.p.round} pol=${m.p.polRound} ${m.p.blockHash.slice(0, 8)}`;
    case 'vote': return `${m.v.type} ${m.v.height}/${m.v.round} ${m.v.blockHash?.slice(0, 8) ?? 'nil'} by ${m.v.validator.slice(0, 6)}`;
    case 'status': return `status ${m.committed}`;
    case 'syncReq': return `syncReq from ${m.fromHeight}`;
    case 'syncResp': return `syncResp ${m.entries.length}`;
  }
}
