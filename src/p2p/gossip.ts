/**
 * Gossip on the chain's topics: publishing with size and subscriber checks, and async
 * validation of received messages by the registered handlers, whose combined verdict is
 * reported to gossipsub ('reject' also penalises the relaying peer).
 */
import { TopicValidatorResult, type GossipsubMessage, type Message } from '@libp2p/gossipsub';
import type { Logger } from '../util/logger.js';
import { errMessage } from './errors.js';
import { emptyGossipCounters, TOPICS, topicName, type GossipCounters, type GossipHandler, type GossipVerdict, type Topic } from './interface.js';
import type { GossipSubExt } from './libp2p-factory.js';
import type { Membership } from './membership.js';

/** A gossip handler slower than this counts as 'ignore' (gossipsub's mcache keeps ~5 s). */
const GOSSIP_VALIDATION_TIMEOUT_MS = 4_000;
/** Gossip validations in flight beyond this are ignored rather than queued without bound. */
const MAX_INFLIGHT_VALIDATIONS = 2_048;

const VERDICT_RESULT: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};

const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function isVerdict(v: unknown): v is GossipVerdict {
  return v === 'accept' || v === 'ignore' || v === 'reject';
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** Full gossipsub topic name -> topic, for every topic of `chainId`. */
export function gossipTopics(chainId: string): Map<string, Topic> {
  const out = new Map<string, Topic>();
  for (const t of TOPICS) out.set(topicName(chainId, t), t);
  return out;
}

export interface GossipOptions {
  chainId: string;
  maxBytes: number;
  /** from gossipTopics(chainId) */
  topicByName: ReadonlyMap<string, Topic>;
  /** A relay mesh is configured (NetworkOptions.meshDegree > 0). */
  relayMesh: boolean;
}

export interface GossipModules {
  pubsub: GossipSubExt;
  members: Membership;
  log: Logger;
  isRunning: () => boolean;
  penalize: (peerId: string, reason: string) => void;
}

export class Gossip {
  private readonly handlers = new Map<Topic, GossipHandler[]>();
  private inflightValidations = 0;
  private readonly counters = emptyGossipCounters();

  constructor(private readonly opts: GossipOptions, private readonly m: GossipModules) {}

  /** Subscribe to every topic (at start). */
  subscribeAll(): void {
    for (const name of this.opts.topicByName.keys()) this.m.pubsub.subscribe(name);
  }

  /** A copy of the message counters. */
  countersNow(): GossipCounters {
    const c = emptyGossipCounters();
    for (const t of TOPICS) Object.assign(c[t], this.counters[t]);
    return c;
  }

  onGossip(topic: Topic, handler: GossipHandler): void {
    const list = this.handlers.get(topic) ?? [];
    list.push(handler);
    this.handlers.set(topic, list);
  }

  publish(topic: Topic, data: Uint8Array): void {
    const { log, pubsub } = this.m;
    if (!this.m.isRunning()) {
      log.debug({ topic }, 'publish while not running: dropped');
      return;
    }
    if (data.length > this.opts.maxBytes) {
      log.warn({ topic, bytes: data.length, max: this.opts.maxBytes }, 'gossip message over maxMessageBytes: dropped');
      return;
    }
    const name = topicName(this.opts.chainId, topic);
    try {
      if (pubsub.getSubscribers(name).length === 0) {
        log.debug({ topic }, 'no peers subscribed: gossip dropped');
        return;
      }
      const c = this.counters[topic];
      c.out++;
      c.outBytes += data.length;
      pubsub.publish(name, data).then(
        (r) => log.debug({ topic, recipients: r.recipients.length }, 'gossip published'),
        (err: unknown) => log.debug({ topic, err: errMessage(err) }, 'gossip publish failed'),
      );
    } catch (err) {
      log.debug({ topic, err: errMessage(err) }, 'gossip publish failed');
    }
  }

  /**
   * Validate one received message and report the verdict to gossipsub. Never throws.
   * With a relay mesh (meshDegree > 0) it yields to I/O before validating, so the
   * IDONTWANT gossipsub queued on receipt reaches our mesh peers first, and again before
   * reporting, so the IDONTWANTs our peers sent meanwhile are read before gossipsub
   * forwards to them: that turns most relayed copies of a large message into none.
   */
  async onMessage(m: GossipsubMessage): Promise<void> {
    const source = m.propagationSource.toString();
    const topic = this.opts.topicByName.get(m.msg.topic);
    if (topic !== undefined) {
      this.counters[topic].in++;
      this.counters[topic].inBytes += m.msg.data.length;
    }
    let verdict: GossipVerdict;
    try {
      if (this.opts.relayMesh) await yieldToIo();
      verdict = await this.validate(source, m.msg);
      if (verdict === 'accept' && this.opts.relayMesh) await yieldToIo();
    } catch (err) {
      this.m.log.warn({ peer: source, err: errMessage(err) }, 'gossip validation failed');
      verdict = 'ignore';
    }
    try {
      this.m.pubsub.reportMessageValidationResult(m.msgId, source, VERDICT_RESULT[verdict]);
    } catch (err) {
      this.m.log.debug({ err: errMessage(err) }, 'reportMessageValidationResult failed');
    }
    if (verdict === 'reject') this.m.penalize(source, `gossip rejected on ${m.msg.topic}`);
  }

  private async validate(source: string, msg: Message): Promise<GossipVerdict> {
    const { log } = this.m;
    const topic = this.opts.topicByName.get(msg.topic);
    if (topic === undefined || msg.type !== 'unsigned') return 'reject';
    if (msg.data.length > this.opts.maxBytes) {
      log.debug({ peer: source, bytes: msg.data.length }, 'oversized gossip message');
      return 'reject';
    }
    // a peer removed from the consortium a moment ago: drop what it still relays, blame nobody
    if (!this.m.members.isAllowed(source)) return 'ignore';
    const handlers = this.handlers.get(topic);
    if (handlers === undefined || handlers.length === 0) return 'ignore';
    if (this.inflightValidations >= MAX_INFLIGHT_VALIDATIONS) {
      log.debug({ topic }, 'too many gossip validations in flight: ignored');
      return 'ignore';
    }
    this.inflightValidations++;
    try {
      const settled = await withTimeout(
        Promise.allSettled(handlers.map(async (h) => h(msg.data, source))),
        GOSSIP_VALIDATION_TIMEOUT_MS,
      );
      if (settled === 'timeout') {
        log.warn({ topic, peer: source }, 'gossip handler timed out: message ignored');
        return 'ignore';
      }
      let verdict: GossipVerdict = 'accept';
      for (const r of settled) {
        let v: GossipVerdict;
        if (r.status === 'rejected') {
          log.warn({ topic, peer: source, err: errMessage(r.reason) }, 'gossip handler threw: message ignored');
          v = 'ignore';
        } else {
          v = isVerdict(r.value) ? r.value : 'ignore';
        }
        if (v === 'reject') return 'reject';
        if (v === 'ignore') verdict = 'ignore';
      }
      return verdict;
    } finally {
      this.inflightValidations--;
    }
  }
}
