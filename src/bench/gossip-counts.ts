import { TOPICS, type GossipCounters, type Topic } from '../p2p/interface.js';

/*
 * Gossip traffic of one node during the measured load, from its /metrics
 * (`medledger_gossip_messages_total`, `medledger_gossip_bytes_total`, by topic and
 * direction) read when the load starts and when it ends, in the node's own shape
 * (p2p GossipCounters).
 */

/** The gossip counters of one parsed /metrics page; null when the node exposes none. */
export function gossipSample(metrics: ReadonlyMap<string, number>): GossipCounters | null {
  const out = {} as GossipCounters;
  for (const t of TOPICS) {
    const v = (name: string, dir: 'in' | 'out'): number | undefined => metrics.get(`${name}{topic="${t}",direction="${dir}"}`);
    const c = { in: v('medledger_gossip_messages_total', 'in'), out: v('medledger_gossip_messages_total', 'out'), inBytes: v('medledger_gossip_bytes_total', 'in'), outBytes: v('medledger_gossip_bytes_total', 'out') };
    if (c.in === undefined || c.out === undefined || c.inBytes === undefined || c.outBytes === undefined) return null;
    out[t] = c as GossipCounters[Topic];
  }
  return out;
}

/** What was gossiped between two samples; null without both. */
export function gossipBetween(before: GossipCounters | null, after: GossipCounters | null): GossipCounters | null {
  if (before === null || after === null) return null;
  const out = {} as GossipCounters;
  for (const t of TOPICS) {
    const a = after[t];
    const b = before[t];
    out[t] = { in: a.in - b.in, out: a.out - b.out, inBytes: a.inBytes - b.inBytes, outBytes: a.outBytes - b.outBytes };
  }
  return out;
}
