import { privateKeyFromProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { PeerId } from '@libp2p/interface';
import type { Logger } from '../util/logger.js';
import { listenToMultiaddr, type StaticPeer } from './addr.js';
import { StaticDialer, parseStaticPeers } from './dialer.js';
import { errMessage } from './errors.js';
import { Gossip, gossipTopics } from './gossip.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, MAX_MESH_DEGREE,
  type GossipCounters, type GossipHandler, type Network, type NetworkOptions, type PeerChangeHandler,
  type ReqProtocol, type RequestHandler, type Topic,
} from './interface.js';
import { createMedledgerLibp2p, type GossipSubExt, type MedledgerLibp2p } from './libp2p-factory.js';
import { Membership } from './membership.js';
import type { PenaltyBoxOptions } from './penalty-box.js';
import { ReqResp } from './reqresp.js';

/** Test/tuning knobs that are not part of the node configuration. */
export interface NetworkInternals {
  penalties?: Partial<PenaltyBoxOptions>;
  /** first redial delay; doubles per failure up to redialCapMs */
  redialBaseMs?: number;
  redialCapMs?: number;
}

/** Built before libp2p (the gate and topic list go into its configuration). */
interface Parts {
  members: Membership;
  statics: StaticPeer[];
  topicByName: Map<string, Topic>;
  maxBytes: number;
  /** NetworkOptions.meshDegree with its default applied. */
  meshDegree: number;
  libp2p: MedledgerLibp2p;
  pubsub: GossipSubExt;
}

/**
 * The `Network` over libp2p: lifecycle, membership enforcement and connection events. The
 * static-peer dialer, gossip and request/response each live in their own module.
 */
export class Libp2pNetwork implements Network {
  readonly peerId: string;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private readonly peerHandlers: PeerChangeHandler[] = [];
  private readonly libp2p: MedledgerLibp2p;
  private readonly pubsub: GossipSubExt;
  private readonly members: Membership;
  private readonly dialer: StaticDialer;
  private readonly gossip: Gossip;
  private readonly reqresp: ReqResp;

  private constructor(opts: NetworkOptions, private readonly log: Logger, peerId: string, internals: NetworkInternals, parts: Parts) {
    this.peerId = peerId;
    const { members, libp2p, pubsub, maxBytes } = parts;
    this.libp2p = libp2p;
    this.pubsub = pubsub;
    this.members = members;
    const isRunning = (): boolean => this.state === 'running';
    const penalize = (id: string, reason: string): void => this.penalize(id, reason);
    this.dialer = new StaticDialer(
      parts.statics,
      { redialBaseMs: internals.redialBaseMs, redialCapMs: internals.redialCapMs },
      { libp2p, members, log, isRunning },
    );
    this.gossip = new Gossip(
      { chainId: opts.chainId, maxBytes, topicByName: parts.topicByName, relayMesh: parts.meshDegree > 0 },
      { pubsub, members, log, isRunning, penalize },
    );
    this.reqresp = new ReqResp(
      { chainId: opts.chainId, maxBytes, requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS },
      { libp2p, log, isRunning, penalize },
    );
    this.wireEvents();
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
    const maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const meshDegree = opts.meshDegree ?? 0;
    if (!Number.isInteger(meshDegree) || meshDegree < 0 || meshDegree > MAX_MESH_DEGREE) throw new Error(`p2p: meshDegree ${meshDegree} must be an integer 0..${MAX_MESH_DEGREE}`);
    const members = new Membership(log, opts.allowedPeers, internals.penalties);
    const topicByName = gossipTopics(opts.chainId);
    const statics = parseStaticPeers(opts.peers, peerId);
    const { libp2p, pubsub } = await createMedledgerLibp2p({
      privateKey,
      listenAddr: listenToMultiaddr(opts.listen),
      topics: [...topicByName.keys()],
      maxMessageBytes: maxBytes,
      meshDegree,
      gate: members.gate,
    });
    return new Libp2pNetwork(opts, log, peerId, internals, { members, statics, topicByName, maxBytes, meshDegree, libp2p, pubsub });
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.state === 'running') return;
    await this.libp2p.start();
    this.state = 'running';
    await this.reqresp.register();
    this.gossip.subscribeAll();
    this.log.info({ peerId: this.peerId, addrs: this.listenAddrs() }, 'p2p started');
    this.dialer.dialAll();
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    this.dialer.stop();
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

  setAllowedPeers(peerIds: Iterable<string>): void {
    this.members.setAllowed(peerIds);
    if (this.state !== 'running') return;
    for (const p of this.libp2p.getPeers()) {
      const id = p.toString();
      if (!this.members.isAllowed(id)) {
        this.log.warn({ peer: id }, 'disconnecting peer removed from the consortium');
        this.hangUp(p);
      }
    }
    this.dialer.dialIdle();
  }

  penalize(peerId: string, reason: string): void {
    if (!this.members.offend(peerId, reason)) return;
    if (this.state !== 'running') return;
    for (const p of this.libp2p.getPeers()) if (p.toString() === peerId) this.hangUp(p);
  }

  private hangUp(p: PeerId): void {
    this.libp2p.hangUp(p).catch((err: unknown) => {
      this.log.debug({ peer: p.toString(), err: errMessage(err) }, 'hang up failed');
    });
  }

  // ---------------------------------------------------------------- connection events

  private wireEvents(): void {
    this.libp2p.addEventListener('peer:connect', (evt) => {
      const id = evt.detail.toString();
      this.log.info({ peer: id }, 'peer connected');
      this.dialer.onConnect(id);
      this.notifyPeer(id, true);
    });
    this.libp2p.addEventListener('peer:disconnect', (evt) => {
      const id = evt.detail.toString();
      this.log.info({ peer: id }, 'peer disconnected');
      this.dialer.onDisconnect(id);
      this.notifyPeer(id, false);
    });
    this.pubsub.addEventListener('gossipsub:message', (evt) => {
      void this.gossip.onMessage(evt.detail);
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

  // ---------------------------------------------------------------- gossip and request/response

  gossipCounters(): GossipCounters {
    return this.gossip.countersNow();
  }

  onGossip(topic: Topic, handler: GossipHandler): void {
    this.gossip.onGossip(topic, handler);
  }

  publish(topic: Topic, data: Uint8Array): void {
    this.gossip.publish(topic, data);
  }

  handle(protocol: ReqProtocol, handler: RequestHandler): void {
    this.reqresp.handle(protocol, handler);
  }

  request(peerId: string, protocol: ReqProtocol, req: Uint8Array, timeoutMs?: number): Promise<Uint8Array> {
    return this.reqresp.request(peerId, protocol, req, timeoutMs);
  }
}

/** Build (not start) the node's network. The logger gets a `{module: 'p2p'}` child. */
export async function createNetwork(opts: NetworkOptions, logger: Logger, internals?: NetworkInternals): Promise<Network> {
  return Libp2pNetwork.create(opts, logger, internals);
}
