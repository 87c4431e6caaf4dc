/** Public face of the RPC module: other folders import only from here. */
export type {
  AccountView, BlockView, CommittedTxView, HealthBody, HealthReport, JsonSchema, NodeApi, NodeInfo, ParamsSchema,
  PendingTxView, RpcContext, RpcExample, RpcMethod, SendTxResult, TxView, ValidatorsView,
} from './interface.js';
export { defaultRpcOptions, resolveRpcOptions, TOKEN_NAMESPACES, type RpcOptions, type RpcTlsOptions } from './options.js';
export { createRpcServer, type RpcAddress, type RpcServer, type RpcServerDeps } from './server.js';
export { chainMethods } from './methods/chain.js';
export { bool, exactlyOneOf, hexBytes, params, uint, EXPECT } from './schemas.js';
export { RpcCode } from './errors.js';
export type { OpenRpcDocument } from './openrpc.js';
