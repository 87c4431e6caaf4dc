/**
 * The method registry: the explicit table plus the built-in `rpc.discover`, each with
 * its params validator compiled once.
 */
import type { ValidateFunction } from 'ajv';
import type { RpcMethod } from './interface.js';
import { buildOpenRpcDocument, type OpenRpcDocument } from './openrpc.js';
import { createAjv, params } from './schemas.js';

export const DISCOVER = 'rpc.discover';
/** Namespace of `rpc.discover`: always allowed. */
export const OPEN_NAMESPACE = 'rpc';

const NAME_RE = /^[a-z]+_[A-Za-z0-9]+$/;

export interface RegisteredMethod {
  method: RpcMethod;
  namespace: string;
  validate: ValidateFunction;
}

export function namespaceOf(name: string): string {
  return name === DISCOVER ? OPEN_NAMESPACE : name.slice(0, name.indexOf('_'));
}

export class MethodRegistry {
  private readonly byName = new Map<string, RegisteredMethod>();
  readonly document: OpenRpcDocument;

  constructor(methods: readonly RpcMethod[], version: string) {
    const ajv = createAjv();
    const all: RpcMethod[] = [...methods, discoverMethod(() => this.document)];
    for (const m of all) {
      if (m.name !== DISCOVER && !NAME_RE.test(m.name)) throw new Error(`rpc: bad method name "${m.name}" (want namespace_method)`);
      if (this.byName.has(m.name)) throw new Error(`rpc: method "${m.name}" registered twice`);
      let validate: ValidateFunction;
      try {
        validate = ajv.compile(m.params);
      } catch (err) {
        throw new Error(`rpc: params schema of "${m.name}" does not compile: ${(err as Error).message}`);
      }
      this.byName.set(m.name, { method: m, namespace: namespaceOf(m.name), validate });
    }
    this.document = buildOpenRpcDocument(all, version);
  }

  get(name: string): RegisteredMethod | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}

function discoverMethod(doc: () => OpenRpcDocument): RpcMethod<Record<string, never>, OpenRpcDocument> {
  return {
    name: DISCOVER,
    summary: 'The OpenRPC 1.2.6 document of every method of this node',
    params: params({}),
    result: { $ref: 'https://raw.githubusercontent.com/open-rpc/meta-schema/master/schema.json' },
    handler: async () => doc(),
  };
}
