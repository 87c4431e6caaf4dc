import { describe, expect, it } from 'vitest';
import { MethodRegistry, namespaceOf } from '../../../src/rpc/registry.js';
import { describeParamsErrors, params, uint, hexBytes } from '../../../src/rpc/schemas.js';
import { RpcMetrics } from '../../../src/rpc/metrics.js';
import { method } from './support.js';

describe('method registry', () => {
  it('namespace is the part before "_"; rpc.discover is "rpc"', () => {
    expect(namespaceOf('chain_getBlock')).toBe('chain');
    expect(namespaceOf('records_byPatient')).toBe('records');
    expect(namespaceOf('rpc.discover')).toBe('rpc');
  });

  it('refuses duplicate names, bad names and uncompilable schemas', () => {
    const ok = method('chain_x', async () => 1);
    expect(() => new MethodRegistry([ok, ok], '1')).toThrow(/registered twice/);
    expect(() => new MethodRegistry([method('chainx', async () => 1)], '1')).toThrow(/bad method name/);
    expect(() => new MethodRegistry([method('chain_y', async () => 1, { type: 'object', properties: { a: { type: 'nope' } }, additionalProperties: false } as any)], '1'))
      .toThrow(/params schema of "chain_y" does not compile/);
  });
});

describe('params error messages', () => {
  const schema = params({ tx: { type: 'object', properties: { nonce: uint() }, required: ['nonce'], additionalProperties: false }, id: hexBytes(4), tags: { type: 'array', items: { enum: ['a', 'b'] } } });
  const reg = new MethodRegistry([method('test_m', async () => 1, schema)], '1');
  const msg = (p: unknown): string => {
    const v = reg.get('test_m')!.validate;
    expect(v(p)).toBe(false);
    return describeParamsErrors(v.errors!, schema).message;
  };

  it('nested paths are dotted', () => {
    expect(msg({ tx: { nonce: -1 } })).toBe('tx.nonce must be an integer >= 0');
    expect(msg({ tx: {} })).toBe('tx.nonce is required');
    expect(msg({ tx: { nonce: 1, x: 1 } })).toBe('unknown field "tx.x"');
    expect(msg({ tags: ['a', 'c'] })).toBe('tags[1] must be one of "a", "b"');
    expect(msg({ id: '0102' })).toBe('id must be 8 lowercase hex characters');
    expect(msg({ tx: 1 })).toBe('tx must be an object');
  });

  it('unknown params are reported before other problems', () => {
    expect(msg({ zzz: 1, tx: 1 })).toBe('unknown param "zzz"');
  });
});

describe('RpcMetrics', () => {
  it('escapes label values and counts buckets cumulatively', () => {
    const m = new RpcMetrics();
    m.observe('a"b\\c', 'ok', 0.003);
    m.observe('a"b\\c', 'ok', 0.2);
    const text = m.render();
    expect(text).toContain('medledger_rpc_requests_total{method="a\\"b\\\\c",code="ok"} 2');
    expect(text).toContain('medledger_rpc_request_duration_seconds_bucket{method="a\\"b\\\\c",le="0.005"} 1');
    expect(text).toContain('medledger_rpc_request_duration_seconds_bucket{method="a\\"b\\\\c",le="0.25"} 2');
    expect(text.endsWith('\n')).toBe(true);
  });
});
