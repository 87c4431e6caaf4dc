import type { RpcMethod } from '../rpc/interface.js';
import type { ChainService } from './chain-service.js';
import type { ChainStore } from '../storage/store.js';
import type { Network } from '../p2p/interface.js';
import { recordMethods } from '../records/index.js';
import { IndexQueries } from '../storage/queries.js';
import { proofMethod } from './proof.js';

export interface MethodDeps {
  chain: ChainService;
  store: ChainStore;
  network: Network;
  /** This node's org (node list, else its authority's org): the FHIR AuditEvent source site. */
  org: string;
}

/** RPC methods beyond the chain table (records, consent, audit, proofs), added by their modules. */
export function extraMethods(deps: MethodDeps): RpcMethod[] {
  const { chain, store, network, org } = deps;
  return [
    ...recordMethods({
      state: { get: (key) => chain.stateReader.get(key) },
      headTime: () => chain.head.header.time,
      index: new IndexQueries(store),
      source: { nodeId: network.peerId, org },
    }),
    proofMethod(store),
  ];
}
