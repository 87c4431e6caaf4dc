/**
 * The node's whole peer-to-peer surface. Nothing outside src/p2p imports libp2p: the
 * rest of the node talks to the network only through these types.
 */

export type Topic = 'tx' | 'consensus';
export type GossipVerdict = 'accept' | 'ignore' | 'reject';
export type ReqProtocol = 'status' | 'blocks' | 'proposal';

export const TOPICS: readonly Topic[] = ['tx', 'consensus'];
export const REQ_PROTOCOLS: readonly ReqProtocol[] = ['status', 'blocks', 'proposal'];

export type GossipHandler = (data: Uint8Array, from: string) => GossipVerdict | Promise<GossipVerdict>;
export type RequestHandler = (req: Uint8Array, from: string) => Promise<Uint8Array>;
export type PeerChangeHandler = (peerId: string, connected: boolean) => void;

export interface Network {
  /** This node's libp2p peer id (base58btc, `12D3Koo...`). */
  readonly peerId: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Full multiaddrs including `/p2p/<id>`, with the real port once started on port 0. */
  listenAddrs(): string[];
  /**
   * Gossip `data` on `topic`. Never throws: with no subscribed peer, or data over
   * `maxMessageBytes`, the message is dropped and logged. Messages are identified by a hash of
   * (topic, data), so publishing identical bytes again within ~2 minutes is a no-op.
   */
  publish(topic: Topic, data: Uint8Array): void;
  /**
   * Validate and receive gossip on `topic`. The verdict drives gossipsub: only 'accept' is
   * forwarded; 'reject' also penalises the peer that relayed it. `from` is that peer (gossip
   * messages carry no libp2p signature: payloads sign themselves). Several handlers may be registered: any 'reject' wins, then any 'ignore'.
   * A handler that throws or takes longer than a few seconds counts as 'ignore'.
   * Messages on a topic with no handler are ignored (not forwarded).
   */
  onGossip(topic: Topic, handler: GossipHandler): void;
  /**
   * One length-prefixed request/response exchange on `/medledger/<chainId>/<protocol>/1`.
   * Rejects with a `RequestError` (code 'timeout' | 'remote' | 'too_large' | 'unavailable' |
   * 'protocol' | 'stopped').
   */
  request(peerId: string, protocol: ReqProtocol, req: Uint8Array, timeoutMs?: number): Promise<Uint8Array>;
  /** Serve `protocol`; a later call replaces the handler. A throwing handler rejects the requester's promise. */
  handle(protocol: ReqProtocol, handler: RequestHandler): void;
  connectedPeers(): string[];
  /** Replace the consortium membership: non-members are refused and disconnected if connected. */
  setAllowedPeers(peerIds: Iterable<string>): void;
  /** Record an offence; repeated offences disconnect the peer and refuse it for a while. */
  penalize(peerId: string, reason: string): void;
  onPeerChange(handler: PeerChangeHandler): void;
  /** Gossip messages and payload bytes per topic since start (metrics). */
  gossipCounters(): GossipCounters;
}

/** Per topic: messages this node published (`out`) and received from peers before validation (`in`), and their payload bytes. */
export type GossipCounters = Record<Topic, { in: number; inBytes: number; out: number; outBytes: number }>;

export function emptyGossipCounters(): GossipCounters {
  const c = {} as GossipCounters;
  for (const t of TOPICS) c[t] = { in: 0, inBytes: 0, out: 0, outBytes: 0 };
  return c;
}

export interface NetworkOptions {
  chainId: string;
  /** "host:port" (port 0 allowed); IPv6 as "[::1]:port". */
  listen: string;
  /** Static multiaddrs "/ip4/127.0.0.1/tcp/P/p2p/<peerId>", dialed at start and redialed with backoff. */
  peers: string[];
  /** Protobuf-encoded libp2p private key (node-key.json). */
  privateKey: Uint8Array;
  /** Consortium peer ids (genesis + governance). */
  allowedPeers: string[];
  /** Gossip and request/response size cap, default 4 MiB. */
  maxMessageBytes?: number;
  /** Default timeout of `request`, default 10 s. */
  requestTimeoutMs?: number;
  /**
   * Gossipsub mesh degree: how many peers relay each message at once. 0 (default): none;
   * every node sends its own messages to every connected peer (flood publish), and a peer
   * that is not directly connected to the author gets them from a neighbour through
   * gossipsub's IHAVE/IWANT repair at the next heartbeat (~1 s). Right for a consortium in
   * which every node dials every other: a mesh would only deliver each message 2-3 times.
   * 1..12: relay through a mesh of that many peers, for nodes not all connected to each other.
   */
  meshDegree?: number;
}

export const MAX_MESH_DEGREE = 12;

export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export function topicName(chainId: string, topic: Topic): string {
  return `/medledger/${chainId}/${topic}/1`;
}

export function protocolName(chainId: string, protocol: ReqProtocol): string {
  return `/medledger/${chainId}/${protocol}/1`;
}
