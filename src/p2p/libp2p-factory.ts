/**
 * The one place libp2p is configured: TCP + Noise + Yamux, identify, gossipsub (StrictNoSign,
 * async validation, content-hash message ids, small-network mesh degrees) and the
 * membership connection gater. No discovery (no mDNS, DHT or bootstrap): peers come from the
 * static list and inbound dials by members. Three adjustments of the installed stack, each
 * measured and tested on it: one writev per frame (coalesce-writes.ts), no exception per
 * received chunk in Noise (noise-frames.ts), yamux window updates at half the window
 * (yamux-window.ts).
 */
import { createHash } from 'node:crypto';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { withCoalescedWrites } from './coalesce-writes.js';
import { withQuietNoiseFrames } from './noise-frames.js';
import { installHalfWindowUpdates } from './yamux-window.js';
import { yamux } from '@libp2p/yamux';
import { identify, type Identify } from '@libp2p/identify';
import { gossipsub, StrictNoSign, type GossipSub, type GossipsubOpts, type Message, type TopicValidatorResult } from '@libp2p/gossipsub';
import type { ConnectionGater, PeerId, PrivateKey } from '@libp2p/interface';

/** Headroom for gossipsub RPC framing (signature, key, seqno, topic, control) above the data cap. */
const RPC_OVERHEAD_BYTES = 64 * 1024;

/**
 * Decides who may connect. Called after the Noise handshake (so the peer id is
 * authenticated) in both directions, and before dialing.
 */
export interface PeerGate {
  /** Return true to refuse `peerId`. */
  refuse(peerId: string, stage: 'inbound' | 'outbound' | 'dial'): boolean;
}

export interface Libp2pFactoryOptions {
  privateKey: PrivateKey;
  /** listen multiaddr, e.g. /ip4/127.0.0.1/tcp/0 */
  listenAddr: string;
  /** full gossipsub topic names */
  topics: string[];
  maxMessageBytes: number;
  /** NetworkOptions.meshDegree */
  meshDegree: number;
  gate: PeerGate;
}

/** The most connections a node keeps (libp2p connectionManager.maxConnections). */
const MAX_CONNECTIONS = 64;

/**
 * Gossipsub's degree parameters for a mesh of `d` peers. d = 0: no mesh, nothing relayed
 * at once, and IHAVE gossip to every connected peer at each heartbeat (the only repair
 * path). d > 0: keep between d/2 and 1.5 d peers, d/2 of them by score, one outbound,
 * and IHAVE gossip to 3 of the others.
 */
export function meshParams(d: number): Pick<GossipsubOpts, 'D' | 'Dlo' | 'Dhi' | 'Dscore' | 'Dout' | 'Dlazy'> {
  if (d === 0) return { D: 0, Dlo: 0, Dhi: 0, Dscore: 0, Dout: 0, Dlazy: MAX_CONNECTIONS };
  const Dlo = Math.max(1, d >> 1);
  return { D: d, Dlo, Dhi: d + (d >> 1), Dscore: d >> 1, Dout: Math.min(1, Dlo - 1), Dlazy: 3 };
}

/** The parts of the gossipsub class we use that its exported interface does not declare. */
export interface GossipSubExt extends GossipSub {
  reportMessageValidationResult(msgId: string, propagationSource: string, acceptance: TopicValidatorResult): void;
}

export type MedledgerLibp2p = Libp2p<{ identify: Identify; pubsub: GossipSub }>;

const TOPIC_SEP = new Uint8Array([0]);

/** The id computed for a payload, reused: gossipsub asks for the fast id and then the full id of the same bytes. */
const idCache = new WeakMap<Uint8Array, { topic: string; id: Uint8Array }>();

/** Message id = SHA-256(topic || 0x00 || data): identical content is one message, whoever publishes it. */
export function contentMessageId(topic: string, data: Uint8Array | undefined): Uint8Array {
  if (data === undefined) return createHash('sha256').update(topic).update(TOPIC_SEP).digest();
  const hit = idCache.get(data);
  if (hit !== undefined && hit.topic === topic) return hit.id;
  const id = createHash('sha256').update(topic).update(TOPIC_SEP).update(data).digest();
  idCache.set(data, { topic, id });
  return id;
}

type FastMsgIdFn = GossipsubOpts['fastMsgIdFn'];

export async function createMedledgerLibp2p(o: Libp2pFactoryOptions): Promise<{ libp2p: MedledgerLibp2p; pubsub: GossipSubExt }> {
  const gater: ConnectionGater = {
    denyDialPeer: (peerId: PeerId) => o.gate.refuse(peerId.toString(), 'dial'),
    denyInboundEncryptedConnection: (peerId: PeerId) => o.gate.refuse(peerId.toString(), 'inbound'),
    denyOutboundEncryptedConnection: (peerId: PeerId) => o.gate.refuse(peerId.toString(), 'outbound'),
  };

  // Hash before signature verification so duplicates skip it (the fast id is the real id).
  const fastMsgIdFn: FastMsgIdFn = (rpcMsg) => Buffer.from(contentMessageId(rpcMsg.topic, rpcMsg.data)).toString('base64');

  // Window updates at half the window (p2p/yamux-window.ts); a yamux without the expected
  // internals keeps its own behaviour, which is correct, only slower.
  installHalfWindowUpdates();
  const libp2p = await createLibp2p({
    start: false,
    privateKey: o.privateKey,
    nodeInfo: { name: 'medledger' },
    addresses: { listen: [o.listenAddr] },
    transports: [tcp()],
    connectionEncrypters: [withQuietNoiseFrames(withCoalescedWrites(noise()))],
    streamMuxers: [yamux()],
    connectionGater: gater,
    connectionManager: {
      maxConnections: MAX_CONNECTIONS,
      // a consortium is a handful of nodes; keep libp2p's own keep-alive reconnect out of the
      // way of ours (static peers are redialed by the network layer)
      reconnectRetries: 0,
    },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        // Every payload signs itself (txs by their accounts, consensus messages by authorities)
        // and the relaying peer is authenticated by Noise and admitted by the membership gater:
        // a libp2p signature per message would only add a sign and a verify (Lodestar does the same).
        globalSignaturePolicy: StrictNoSign,
        allowedTopics: o.topics,
        fallbackToFloodsub: false,
        emitSelf: false,
        // Own messages go to every subscribed peer; relaying through a mesh only where
        // configured (NetworkOptions.meshDegree); IHAVE/IWANT gossip to non-mesh peers
        // repairs what a peer did not get directly.
        ...meshParams(o.meshDegree),
        floodPublish: true,
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        asyncValidation: true,
        msgIdFn: (msg: Message) => contentMessageId(msg.topic, msg.data),
        fastMsgIdFn,
        maxInboundDataLength: o.maxMessageBytes + RPC_OVERHEAD_BYTES,
        doPX: false,
      }),
    },
  });

  const pubsub = libp2p.services.pubsub as GossipSubExt;
  if (typeof pubsub.reportMessageValidationResult !== 'function') {
    throw new Error('@libp2p/gossipsub lacks reportMessageValidationResult: incompatible version');
  }
  return { libp2p, pubsub };
}
