import type { RpcMethod } from '../rpc/interface.js';
import type { ChainService } from './chain-service.js';
import type { ChainStore } from '../storage/store.js';
import type { NodeApiImpl } from './api.js';
import type { Network } from '../p2p/interface.js';

export interface MethodDeps {
  chain: ChainService;
  store: ChainStore;
  api: NodeApiImpl;
  network: Network;
}

/** RPC methods beyond the chain table (records, consent, audit, proofs), added by their modules. */
export function extraMethods(_deps: MethodDeps): RpcMethod[] {
  return [];
}
