import { lpStream } from '@libp2p/utils';
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { TopicValidatorResult, type GossipsubMessage, type Message } from '@libp2p/gossipsub';
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import type { Logger } from '../util/logger.js';
import { listenToMultiaddr, parseStaticPeer, type StaticPeer } from './addr.js';
import { RequestError } from './errors.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, REQ_PROTOCOLS, TOPICS, protocolName, topicName,
  type GossipHandler, type GossipVerdict, type Network, type NetworkOptions, type PeerChangeHandler,
  type ReqProtocol, type RequestHandler, type Topic,
} from './interface.js';
import { createMedledgerLibp2p, type GossipSubExt, type MedledgerLibp2p, type PeerGate } from './libp2p-factory.js';
import { isPeerId } from './node-key.js';
import { PenaltyBox, backoffDelay, type PenaltyBoxOptions } from './penalty-box.js';

/** A gossip handler slower than this counts as 'ignore' (gossipsub's mcache keeps ~5 s). */
const GOSSIP_VALIDATION_TIMEOUT_MS = 4_000;
/** Gossip validations in flight beyond this are ignored rather than queued without bound. */
const MAX_INFLIGHT_VALIDATIONS = 2_048;
/** A connection shorter than this does not reset the redial backoff (flapping peers back off). */
const STABLE_CONNECTION_MS = 10_000;
const DIAL_TIMEOUT_MS = 10_000;
const REFUSAL_LOG_INTERVAL_MS = 60_000;
const MAX_REMOTE_ERROR_CHARS = 200;
const MAX_STREAMS_PER_PROTOCOL = 64;
/**
 * lpStream limits. A declared length over the cap must surface as InvalidDataLengthError (so
 * the server can answer "too large"): allow varints up to 8 bytes, and let the byte buffer hold
 * the cap plus one yamux frame so an oversized body arriving in one chunk does not reset the
 * stream before the length prefix is even checked.
 */
const MAX_LENGTH_LENGTH = 8;
const BUFFER_SLACK_BYTES = 256 * 1024;

/** Response frame = one status byte + body. */
const STATUS_OK = 0;
const STATUS_ERROR = 1;       // body: utf8 error message
const STATUS_TOO_LARGE = 2;   // the request exceeded the server's cap; body: utf8 message

/** Test/tuning knobs that are not part of the node configuration. */
export interface NetworkInternals {
  penalties?: Partial<PenaltyBoxOptions>;
  /** first redial delay; doubles per failure up to redialCapMs */
  redialBaseMs?: number;
  redialCapMs?: number;
}

interface StaticState extends StaticPeer {
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  connectedAt: number | undefined;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

function frame(status: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = status;
  out.set(body, 1);
  return out;
}

const VERDICT_RESULT: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};

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

export class Libp2pNetwork implements Network {
  readonly peerId: string;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private allowed: Set<string>;
  private readonly penalties: PenaltyBox;
  private penaltyCalls = 0;
  private readonly gossipHandlers = new Map<Topic, GossipHandler[]>();
  private readonly reqHandlers = new Map<ReqProtocol, RequestHandler>();
  private readonly peerHandlers: PeerChangeHandler[] = [];
  private readonly statics = new Map<string, StaticState>();
  private readonly refusalLogged = new Map<string, number>();
  private readonly topicByName = new Map<string, Topic>();
  private inflightValidations = 0;
  private readonly maxBytes: number;
  private readonly requestTimeoutMs: number;
  private readonly redialBaseMs: number;
  private readonly redialCapMs: number;
  private libp2p!: MedledgerLibp2p;
  private pubsub!: GossipSubExt;

  private constructor(
    private readonly opts: NetworkOptions,
    private readonly log: Logger,
    peerId: string,
    internals: NetworkInternals,
  ) {
    this.peerId = peerId;
    this.maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.redialBaseMs = internals.redialBaseMs ?? 500;
    this.redialCapMs = internals.redialCapMs ?? 30_000;
    this.penalties = new PenaltyBox(internals.penalties);
    // lenient like setAllowedPeers: the list comes from chain state, and one bad entry there
    // must not stop the node from ever starting again
    this.allowed = this.validPeerIds(opts.allowedPeers, 'allowedPeers');
    for (const t of TOPICS) this.topicByName.set(topicName(opts.chainId, t), t);
    for (const addr of opts.peers) {
      const sp = parseStaticPeer(addr);
      if (sp.peerId === peerId) continue;
      this.statics.set(sp.peerId, { ...sp, attempt: 0, timer: undefined, connectedAt: undefined });
    }
  }

  static async create(opts: NetworkOptions, logger: Logger, internals: NetworkInternals = {}): Promise<Libp2pNetwork> {
    if (!/^[A-Za-z0-9._-]+$/.test(opts.chainId)) throw new Error(`p2p: chainId "${opts.chainId}" must match [A-Za-z0-9._-]+`);
    let privateKey;
    try {
      privateKey = privateKeyFromProtobuf(opts.privateKey);
    } catch (err) {
      throw new Error(`p2p: privateKey is not a protobuf libp2p private key: ${errMessage(err)}`);
    }
    const peerId = peerIdFromPrivateKey(privateKey).toString();
    const log = logger.child({ module: 'p2p' });
    const net = new Libp2pNetwork(opts, log, peerId, internals);
    const { libp2p, pubsub } = await createMedledgerLibp2p({
      privateKey,
      listenAddr: listenToMultiaddr(opts.listen),
      topics: [...net.topicByName.keys()],
      maxMessageBytes: net.maxBytes,
      gate: net.gate,
    });
    net.libp2p = libp2p;
    net.pubsub = pubsub;
    net.wireEvents();
    return net;
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.state === 'running') return;
    await this.libp2p.start();
    this.state = 'running';
    for (const p of REQ_PROTOCOLS) {
      await this.libp2p.handle(protocolName(this.opts.chainId, p), (stream, connection) => {
        void this.serve(p, stream, connection);
      }, { maxInboundStreams: MAX_STREAMS_PER_PROTOCOL, maxOutboundStreams: MAX_STREAMS_PER_PROTOCOL, force: true });
    }
    for (const name of this.topicByName.keys()) this.pubsub.subscribe(name);
    this.log.info({ peerId: this.peerId, addrs: this.listenAddrs() }, 'p2p started');
    for (const id of this.statics.keys()) void this.dialStatic(id);
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    for (const s of this.statics.values()) {
      clearTimeout(s.timer);
      s.timer = undefined;
    }
    await this.libp2p.stop();
    this.log.info('p2p stopped');
  }

  listenAddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((ma) => {
      const s = ma.toString();
      return s.includes('/p2p/') ? s : `${s}/p2p/${this.peerId}`;
    });
  }

  connectedPeers(): string[] {
    return this.libp2p.getPeers().map((p) => p.toString());
  }

  onPeerChange(handler: PeerChangeHandler): void {
    this.peerHandlers.push(handler);
  }

  // ---------------------------------------------------------------- membership and penalties

  /** Called by the connection gater (after Noise, so the id is authenticated) and before dials. */
  private readonly gate: PeerGate = {
    refuse: (peerId, stage) => {
      let why: string | undefined;
      if (!this.allowed.has(peerId)) why = 'not a consortium member';
      else if (this.penalties.isBanned(peerId)) why = 'backed off after repeated offences';
      if (why === undefined) return false;
      if (stage === 'dial') this.log.debug({ peer: peerId, why }, 'not dialing peer');
      else this.logRefusal(peerId, stage, why);
      return true;
    },
  };

  private logRefusal(peerId: string, direction: string, why: string): void {
    const now = Date.now();
    const last = this.refusalLogged.get(peerId);
    if (last !== undefined && now - last < REFUSAL_LOG_INTERVAL_MS) {
      this.log.debug({ peer: peerId, direction, why }, 'refused connection');
      return;
    }
    if (this.refusalLogged.size > 1_000) {
      for (const [id, t] of this.refusalLogged) if (now - t >= REFUSAL_LOG_INTERVAL_MS) this.refusalLogged.delete(id);
    }
    this.refusalLogged.set(peerId, now);
    this.log.warn({ peer: peerId, direction, why }, 'refused connection');
  }

  private validPeerIds(ids: Iterable<string>, what: string): Set<string> {
    const out = new Set<string>();
    for (const id of ids) {
      if (isPeerId(id)) out.add(id);
      else this.log.warn({ peer: String(id) }, `ignoring invalid peer id in ${what}`);
    }
    return out;
  }

  setAllowedPeers(peerIds: Iterable<string>): void {
    this.allowed = this.validPeerIds(peerIds, 'allowed peers');
    if (this.state !== 'running') return;
    for (const p of this.libp2p.getPeers()) {
      const id = p.toString();
      if (!this.allowed.has(id)) {
        this.log.warn({ peer: id }, 'disconnecting peer removed from the consortium');
        this.hangUp(p);
      }
    }
    for (const [id, s] of this.statics) {
      if (this.allowed.has(id) && s.timer === undefined && s.connectedAt === undefined) void this.dialStatic(id);
    }
  }

  penalize(peerId: string, reason: string): void {
    const r = this.penalties.offend(peerId);
    if (++this.penaltyCalls % 256 === 0) this.penalties.prune();
    if (!r.banned) {
      this.log.debug({ peer: peerId, reason, score: r.score }, 'peer penalised');
      return;
    }
    this.log.warn({ peer: peerId, reason, banMs: r.banMs }, 'peer backed off after repeated offences');
    if (this.state !== 'running') return;
    for (const p of this.libp2p.getPeers()) if (p.toString() === peerId) this.hangUp(p);
  }

  private hangUp(p: PeerId): void {
    this.libp2p.hangUp(p).catch((err: unknown) => {
      this.log.debug({ peer: p.toString(), err: errMessage(err) }, 'hang up failed');
    });
  }

  // ---------------------------------------------------------------- connections and redial

  private wireEvents(): void {
    this.libp2p.addEventListener('peer:connect', (evt) => {
      const id = evt.detail.toString();
      this.log.info({ peer: id }, 'peer connected');
      const s = this.statics.get(id);
      if (s !== undefined) {
        clearTimeout(s.timer);
        s.timer = undefined;
        s.connectedAt = Date.now();
      }
      this.notifyPeer(id, true);
    });
    this.libp2p.addEventListener('peer:disconnect', (evt) => {
      const id = evt.detail.toString();
      this.log.info({ peer: id }, 'peer disconnected');
      const s = this.statics.get(id);
      if (s !== undefined) {
        const lasted = s.connectedAt === undefined ? 0 : Date.now() - s.connectedAt;
        s.connectedAt = undefined;
        if (lasted >= STABLE_CONNECTION_MS) s.attempt = 0;
        else s.attempt += 1;
        this.scheduleRedial(id);
      }
      this.notifyPeer(id, false);
    });
    this.pubsub.addEventListener('gossipsub:message', (evt) => {
      void this.onGossipMessage(evt.detail);
    });
  }

  private notifyPeer(id: string, connected: boolean): void {
    for (const h of this.peerHandlers) {
      try {
        h(id, connected);
      } catch (err) {
        this.log.warn({ peer: id, err: errMessage(err) }, 'peer change handler threw');
      }
    }
  }

  private isConnected(id: string): boolean {
    return this.libp2p.getPeers().some((p) => p.toString() === id);
  }

  private scheduleRedial(id: string): void {
    const s = this.statics.get(id);
    if (s === undefined || this.state !== 'running' || s.timer !== undefined) return;
    if (!this.allowed.has(id) || this.isConnected(id)) return;
    const delay = Math.max(
      backoffDelay(Math.max(0, s.attempt - 1), this.redialBaseMs, this.redialCapMs),
      this.penalties.banRemainingMs(id) + 100,
    );
    this.log.debug({ peer: id, delayMs: delay, attempt: s.attempt }, 'redial scheduled');
    s.timer = setTimeout(() => {
      s.timer = undefined;
      void this.dialStatic(id);
    }, delay);
    s.timer.unref();
  }

  private async dialStatic(id: string): Promise<void> {
    const s = this.statics.get(id);
    if (s === undefined || this.state !== 'running' || this.isConnected(id)) return;
    if (!this.allowed.has(id)) return; // dialed again when governance re-admits it
    if (this.penalties.isBanned(id)) {
      this.scheduleRedial(id);
      return;
    }
    try {
      await this.libp2p.dial(s.addr, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
    } catch (err) {
      s.attempt += 1;
      this.log.debug({ peer: id, attempt: s.attempt, err: errMessage(err) }, 'dial failed');
      this.scheduleRedial(id);
    }
  }

  // ---------------------------------------------------------------- gossip

  onGossip(topic: Topic, handler: GossipHandler): void {
    const list = this.gossipHandlers.get(topic) ?? [];
    list.push(handler);
    this.gossipHandlers.set(topic, list);
  }

  publish(topic: Topic, data: Uint8Array): void {
    if (this.state !== 'running') {
      this.log.debug({ topic }, 'publish while not running: dropped');
      return;
    }
    if (data.length > this.maxBytes) {
      this.log.warn({ topic, bytes: data.length, max: this.maxBytes }, 'gossip message over maxMessageBytes: dropped');
      return;
    }
    const name = topicName(this.opts.chainId, topic);
    try {
      if (this.pubsub.getSubscribers(name).length === 0) {
        this.log.debug({ topic }, 'no peers subscribed: gossip dropped');
        return;
      }
      this.pubsub.publish(name, data).then(
        (r) => this.log.debug({ topic, recipients: r.recipients.length }, 'gossip published'),
        (err: unknown) => this.log.debug({ topic, err: errMessage(err) }, 'gossip publish failed'),
      );
    } catch (err) {
      this.log.debug({ topic, err: errMessage(err) }, 'gossip publish failed');
    }
  }

  private async onGossipMessage(m: GossipsubMessage): Promise<void> {
    const source = m.propagationSource.toString();
    let verdict: GossipVerdict;
    try {
      verdict = await this.validateGossip(source, m.msg);
    } catch (err) {
      this.log.warn({ peer: source, err: errMessage(err) }, 'gossip validation failed');
      verdict = 'ignore';
    }
    try {
      this.pubsub.reportMessageValidationResult(m.msgId, source, VERDICT_RESULT[verdict]);
    } catch (err) {
      this.log.debug({ err: errMessage(err) }, 'reportMessageValidationResult failed');
    }
    if (verdict === 'reject') this.penalize(source, `gossip rejected on ${m.msg.topic}`);
  }

  private async validateGossip(source: string, msg: Message): Promise<GossipVerdict> {
    const topic = this.topicByName.get(msg.topic);
    if (topic === undefined || msg.type !== 'signed') return 'reject';
    const author = msg.from.toString();
    if (msg.data.length > this.maxBytes) {
      this.log.debug({ peer: source, author, bytes: msg.data.length }, 'oversized gossip message');
      return 'reject';
    }
    // relayed from a member but written by a non-member (e.g. just removed): drop, blame nobody
    if (!this.allowed.has(author)) return 'ignore';
    const handlers = this.gossipHandlers.get(topic);
    if (handlers === undefined || handlers.length === 0) return 'ignore';
    if (this.inflightValidations >= MAX_INFLIGHT_VALIDATIONS) {
      this.log.debug({ topic }, 'too many gossip validations in flight: ignored');
      return 'ignore';
    }
    this.inflightValidations++;
    try {
      const settled = await withTimeout(
        Promise.allSettled(handlers.map(async (h) => h(msg.data, author))),
        GOSSIP_VALIDATION_TIMEOUT_MS,
      );
      if (settled === 'timeout') {
        this.log.warn({ topic, author }, 'gossip handler timed out: message ignored');
        return 'ignore';
      }
      let verdict: GossipVerdict = 'accept';
      for (const r of settled) {
        let v: GossipVerdict;
        if (r.status === 'rejected') {
          this.log.warn({ topic, author, err: errMessage(r.reason) }, 'gossip handler threw: message ignored');
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

  // ---------------------------------------------------------------- request / response

  handle(protocol: ReqProtocol, handler: RequestHandler): void {
    this.reqHandlers.set(protocol, handler);
  }

  async request(peerId: string, protocol: ReqProtocol, req: Uint8Array, timeoutMs = this.requestTimeoutMs): Promise<Uint8Array> {
    if (this.state !== 'running') throw new RequestError('stopped', 'network is not running');
    if (req.length > this.maxBytes) {
      throw new RequestError('too_large', `request of ${req.length} bytes exceeds maxMessageBytes ${this.maxBytes}`);
    }
    let pid: PeerId;
    try {
      pid = peerIdFromString(peerId);
    } catch {
      throw new RequestError('unavailable', `invalid peer id "${peerId}"`);
    }
    const signal = AbortSignal.timeout(timeoutMs);
    const timeout = () => new RequestError('timeout', `${protocol} request to ${peerId} timed out after ${timeoutMs} ms`);
    let stream: Stream;
    try {
      stream = await this.libp2p.dialProtocol(pid, protocolName(this.opts.chainId, protocol), { signal });
    } catch (err) {
      if (signal.aborted) throw timeout();
      throw new RequestError('unavailable', `cannot open ${protocol} stream to ${peerId}: ${errMessage(err)}`);
    }
    try {
      const lp = lpStream(stream, {
        maxDataLength: this.maxBytes + 1, maxLengthLength: MAX_LENGTH_LENGTH, maxBufferSize: this.maxBytes + BUFFER_SLACK_BYTES,
      });
      await lp.write(req, { signal });
      await stream.close({ signal });
      const res = (await lp.read({ signal })).subarray();
      if (res.length === 0) throw new RequestError('protocol', `empty ${protocol} response from ${peerId}`);
      const body = res.subarray(1);
      if (res[0] === STATUS_OK) return body;
      if (res[0] === STATUS_ERROR || res[0] === STATUS_TOO_LARGE) {
        const why = new TextDecoder().decode(body).slice(0, MAX_REMOTE_ERROR_CHARS);
        throw new RequestError(res[0] === STATUS_ERROR ? 'remote' : 'too_large', `${protocol} request failed at ${peerId}: ${why}`);
      }
      throw new RequestError('protocol', `bad ${protocol} response status ${res[0]} from ${peerId}`);
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      if (err instanceof RequestError) {
        if (err.code === 'protocol') this.penalize(peerId, err.message);
        throw err;
      }
      if (signal.aborted) throw timeout();
      if (errName(err) === 'InvalidDataLengthError' || errName(err) === 'StreamBufferError') {
        this.penalize(peerId, `oversized ${protocol} response`);
        throw new RequestError('too_large', `${protocol} response from ${peerId} exceeds maxMessageBytes ${this.maxBytes}`);
      }
      throw new RequestError('protocol', `${protocol} request to ${peerId} failed: ${errMessage(err)}`);
    }
  }

  /** Serve one inbound request stream. Never throws. */
  private async serve(protocol: ReqProtocol, stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString();
    try {
      const lp = lpStream(stream, {
        maxDataLength: this.maxBytes, maxLengthLength: MAX_LENGTH_LENGTH, maxBufferSize: this.maxBytes + BUFFER_SLACK_BYTES,
      });
      let req: Uint8Array;
      try {
        req = (await lp.read({ signal: AbortSignal.timeout(this.requestTimeoutMs) })).subarray();
      } catch (err) {
        if (errName(err) === 'InvalidDataLengthError') {
          // only the length prefix was read: say why, then drop the rest
          this.penalize(from, `oversized ${protocol} request`);
          const msg = new TextEncoder().encode(`request exceeds maxMessageBytes ${this.maxBytes}`);
          try {
            const signal = AbortSignal.timeout(1_000);
            await stream.closeRead({ signal }); // discard the body still arriving
            await lp.write(frame(STATUS_TOO_LARGE, msg), { signal });
            await stream.close({ signal });
            return;
          } catch {
            // fall through to abort
          }
        } else if (errName(err) === 'StreamBufferError') {
          this.penalize(from, `oversized ${protocol} request`);
        } else {
          this.log.debug({ peer: from, protocol, err: errMessage(err) }, 'bad inbound request');
        }
        stream.abort(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      let res: Uint8Array;
      const handler = this.reqHandlers.get(protocol);
      if (handler === undefined) {
        res = frame(STATUS_ERROR, new TextEncoder().encode(`no ${protocol} handler`));
      } else {
        try {
          const body: unknown = await handler(req, from);
          if (!(body instanceof Uint8Array)) throw new Error(`${protocol} handler returned ${typeof body}, not Uint8Array`);
          if (body.length > this.maxBytes) throw new Error(`${protocol} response of ${body.length} bytes exceeds maxMessageBytes`);
          res = frame(STATUS_OK, body);
        } catch (err) {
          this.log.warn({ peer: from, protocol, err: errMessage(err) }, 'request handler failed');
          res = frame(STATUS_ERROR, new TextEncoder().encode(errMessage(err).slice(0, MAX_REMOTE_ERROR_CHARS)));
        }
      }
      const signal = AbortSignal.timeout(this.requestTimeoutMs);
      await lp.write(res, { signal });
      await stream.close({ signal });
    } catch (err) {
      this.log.debug({ peer: from, protocol, err: errMessage(err) }, 'inbound request stream failed');
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** Build (not start) the node's network. The logger gets a `{module: 'p2p'}` child. */
export async function createNetwork(opts: NetworkOptions, logger: Logger, internals?: NetworkInternals): Promise<Network> {
  return Libp2pNetwork.create(opts, logger, internals);
}
