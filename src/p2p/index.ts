export type {
  Topic, GossipVerdict, ReqProtocol, Network, NetworkOptions, GossipHandler, RequestHandler, PeerChangeHandler,
} from './interface.js';
export { TOPICS, REQ_PROTOCOLS, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, topicName, protocolName } from './interface.js';
export { createNetwork, type NetworkInternals } from './network.js';
export { RequestError, type RequestErrorCode } from './errors.js';
export {
  generateNodeKey, nodeKeyFromProtobuf, peerIdFromNodeKey, loadOrCreateNodeKey, parseNodeKeyFile, serializeNodeKey, isPeerId,
  type NodeKey,
} from './node-key.js';
