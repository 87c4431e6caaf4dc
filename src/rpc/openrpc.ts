/** The OpenRPC 1.2.6 document served by `rpc.discover`, generated from the method table. */
import type { JsonSchema, RpcMethod } from './interface.js';

export interface OpenRpcContentDescriptor {
  name: string;
  required?: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OpenRpcMethod {
  name: string;
  summary: string;
  paramStructure: 'by-name';
  params: OpenRpcContentDescriptor[];
  result: OpenRpcContentDescriptor;
  description?: string;
  examples?: { name: string; params: { name: string; value: unknown }[]; result?: { name: string; value: unknown } }[];
}

export interface OpenRpcDocument {
  openrpc: '1.2.6';
  info: { title: string; version: string; description: string };
  methods: OpenRpcMethod[];
}

const ERROR_NOTE =
  'Errors: -32700 parse, -32600 invalid request, -32601 unknown method, -32602 invalid params, -32603 internal; ' +
  '-32000 application errors carry a stable data.reason.';

function describeMethod(m: RpcMethod): OpenRpcMethod {
  const required = new Set(m.params.required ?? []);
  const branches = (m.params.oneOf as { required?: string[] }[] | undefined)?.flatMap((b) => b.required ?? []);
  const out: OpenRpcMethod = {
    name: m.name,
    summary: m.summary,
    paramStructure: 'by-name',
    params: Object.entries(m.params.properties).map(([name, schema]) => {
      const d: OpenRpcContentDescriptor = { name, required: required.has(name), schema };
      if (typeof schema.description === 'string') d.description = schema.description;
      return d;
    }),
    result: { name: `${m.name}Result`, schema: m.result },
  };
  if (branches?.length) out.description = `Give exactly one of: ${branches.join(', ')}.`;
  if (m.examples?.length) {
    out.examples = m.examples.map((ex) => ({
      name: ex.name,
      params: Object.entries(ex.params).map(([name, value]) => ({ name, value })),
      ...(ex.result !== undefined ? { result: { name: `${m.name}Result`, value: ex.result } } : {}),
    }));
  }
  return out;
}

export function buildOpenRpcDocument(methods: readonly RpcMethod[], version: string): OpenRpcDocument {
  return {
    openrpc: '1.2.6',
    info: {
      title: 'medledger',
      version,
      description: `JSON-RPC 2.0 API of a medledger node (POST /, named params). ${ERROR_NOTE}`,
    },
    methods: methods.map(describeMethod),
  };
}
