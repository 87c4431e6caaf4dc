import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../src/chain/ed25519.js';
import { decodeTx, signTx } from '../../../src/chain/tx.js';
import { canonicalBytes } from '../../../src/chain/jcs.js';
import { createTxDecoder, createTxValidator } from '../../../src/chain/validate-tx.js';
import { chainHandlers, type TxHandler } from '../../../src/chain/state/index.js';
import { AppError, ParamError } from '../../../src/util/errors.js';

const k = generateKeyPair();
const member = generateKeyPair().account;

function good(): any {
  return signTx({ chainId: 'medledger-dev', type: 'member.register', from: k.account, nonce: 3, payload: { account: member, role: 'clinician' } }, k.secretKey);
}

/** A records-like handler exercising nested objects, arrays, enums and checkShape. */
const listy: TxHandler<{ items: string[]; scope?: { ids?: string[] }; emergency?: boolean; reason?: string }> = {
  type: 'consent.grant',
  payloadSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['items'],
    properties: {
      items: { type: 'array', maxItems: 3, items: { type: 'string', enum: ['a', 'b'] } },
      scope: { type: 'object', additionalProperties: false, properties: { ids: { type: 'array', items: { type: 'string', pattern: '^[a-z]+$' } } } },
      emergency: { type: 'boolean' },
      reason: { type: 'string' },
    },
  },
  roles: ['patient'],
  patternProblems: { '^[a-z]+$': 'must be lowercase letters' },
  checkShape(p) {
    if (p.emergency === true && p.reason === undefined) throw new ParamError('tx.payload.reason', 'is required when emergency is true');
  },
  execute() {},
};

const validate = createTxValidator([...chainHandlers, listy], { maxTxBytes: 65536 });

function paramErr(raw: unknown, v = validate): ParamError {
  try {
    v(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ParamError);
    return e as ParamError;
  }
  throw new Error('expected a ParamError');
}

function withField(field: string, value: unknown): any {
  const t = good();
  if (value === undefined) delete t[field];
  else t[field] = value;
  return t;
}

describe('createTxValidator: envelope', () => {
  it('accepts a real signed tx and returns it', () => {
    const t = good();
    expect(validate(t)).toBe(t);
  });
  it('not an object', () => {
    for (const v of [null, 5, 'tx', [good()]]) expect(paramErr(v)).toMatchObject({ field: 'tx', problem: 'must be an object' });
  });
  it('every missing field is named', () => {
    for (const f of ['chainId', 'type', 'from', 'nonce', 'payload', 'sig']) {
      expect(paramErr(withField(f, undefined))).toMatchObject({ field: `tx.${f}`, problem: 'is required' });
    }
  });
  it('every field of the wrong type is named', () => {
    expect(paramErr(withField('chainId', 1))).toMatchObject({ field: 'tx.chainId', problem: 'must be a string' });
    expect(paramErr(withField('type', 1))).toMatchObject({ field: 'tx.type' });
    expect(paramErr(withField('from', 1))).toMatchObject({ field: 'tx.from', problem: 'must be a string' });
    expect(paramErr(withField('nonce', '3'))).toMatchObject({ field: 'tx.nonce', problem: 'must be an integer' });
    expect(paramErr(withField('payload', []))).toMatchObject({ field: 'tx.payload', problem: 'must be an object' });
    expect(paramErr(withField('payload', 'x'))).toMatchObject({ field: 'tx.payload', problem: 'must be an object' });
    expect(paramErr(withField('sig', true))).toMatchObject({ field: 'tx.sig', problem: 'must be a string' });
  });
  it('formats: hex, chain id, nonce range, type list', () => {
    expect(paramErr(withField('from', k.account.toUpperCase()))).toMatchObject({ field: 'tx.from', problem: 'must be 64 lowercase hex characters' });
    expect(paramErr(withField('from', k.account.slice(2)))).toMatchObject({ field: 'tx.from', problem: 'must be 64 lowercase hex characters' });
    expect(paramErr(withField('sig', 'ab'))).toMatchObject({ field: 'tx.sig', problem: 'must be 128 lowercase hex characters' });
    expect(paramErr(withField('chainId', ''))).toMatchObject({ field: 'tx.chainId', problem: 'must be 1-64 characters of [A-Za-z0-9._-]' });
    expect(paramErr(withField('nonce', -1))).toMatchObject({ field: 'tx.nonce', problem: 'must be >= 0' });
    expect(paramErr(withField('nonce', 1.5))).toMatchObject({ field: 'tx.nonce', problem: 'must be an integer' });
    expect(paramErr(withField('nonce', 2 ** 53))).toMatchObject({ field: 'tx.nonce', problem: `must be <= ${Number.MAX_SAFE_INTEGER}` });
    expect(paramErr(withField('type', 'member.delete'))).toMatchObject({
      field: 'tx.type',
      problem: 'must be one of member.register, member.revoke, record.anchor, consent.grant, consent.revoke, access.log, gov.vote',
    });
  });
  it('unknown fields, top level and in the payload', () => {
    expect(paramErr(withField('extra', 1))).toMatchObject({ field: 'tx.extra', problem: 'unknown field' });
    expect(paramErr(withField('hash', 'ab'))).toMatchObject({ field: 'tx.hash', problem: 'unknown field' });
    const t = good();
    t.payload.note = 'x';
    expect(paramErr(t)).toMatchObject({ field: 'tx.payload.note', problem: 'unknown field' });
  });
  it('a listed type this node has no handler for', () => {
    expect(paramErr(withField('type', 'record.anchor'))).toMatchObject({ field: 'tx.type', problem: 'is not supported by this node' });
  });
});

describe('createTxValidator: payloads', () => {
  const tx = (payload: unknown): any => ({ ...good(), type: 'consent.grant', payload });
  it('paths into nested objects and arrays', () => {
    expect(paramErr(tx({}))).toMatchObject({ field: 'tx.payload.items', problem: 'is required' });
    expect(paramErr(tx({ items: ['a', 'c'] }))).toMatchObject({ field: 'tx.payload.items[1]', problem: 'must be one of a, b' });
    expect(paramErr(tx({ items: ['a', 'a', 'a', 'a'] }))).toMatchObject({ field: 'tx.payload.items', problem: 'must have at most 3 items' });
    expect(paramErr(tx({ items: [], scope: { ids: ['ok', 'NO'] } }))).toMatchObject({ field: 'tx.payload.scope.ids[1]', problem: 'must be lowercase letters' });
    expect(paramErr(tx({ items: [], scope: { other: 1 } }))).toMatchObject({ field: 'tx.payload.scope.other', problem: 'unknown field' });
    expect(paramErr(tx({ items: [], emergency: 'yes' }))).toMatchObject({ field: 'tx.payload.emergency', problem: 'must be a boolean' });
  });
  it('a pattern without a known problem is reported as the pattern', () => {
    const v = createTxValidator([{ ...listy, patternProblems: undefined }], { maxTxBytes: 65536 });
    expect(paramErr(tx({ items: [], scope: { ids: ['NO'] } }), v)).toMatchObject({ field: 'tx.payload.scope.ids[0]', problem: 'must match the pattern ^[a-z]+$' });
  });
  it('checkShape runs after the schema', () => {
    expect(paramErr(tx({ items: [], emergency: true }))).toMatchObject({ field: 'tx.payload.reason', problem: 'is required when emergency is true' });
    expect(() => validate(tx({ items: [], emergency: true, reason: 'x' }))).not.toThrow();
  });
});

describe('size and decoding', () => {
  it('tx_too_large above maxTxBytes (JCS bytes of the wire tx)', () => {
    const t = good();
    const size = canonicalBytes(t).length;
    expect(() => createTxValidator(chainHandlers, { maxTxBytes: size })(t)).not.toThrow();
    let err: unknown;
    try { createTxValidator(chainHandlers, { maxTxBytes: size - 1 })(t); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ reason: 'tx_too_large', data: { size, max: size - 1 } });
  });
  it('createTxDecoder returns the decoded tx', () => {
    const t = good();
    expect(createTxDecoder(chainHandlers, { maxTxBytes: 65536 })(t)).toEqual(decodeTx(t));
    expect(() => createTxDecoder(chainHandlers, { maxTxBytes: 100 })(t)).toThrow(expect.objectContaining({ reason: 'tx_too_large' }));
  });
});

describe('construction', () => {
  const open = (schema: Record<string, unknown>): TxHandler => ({ type: 'record.anchor', payloadSchema: schema, roles: ['clinician'], execute() {} });
  it('refuses payload schemas that let unknown fields through', () => {
    expect(() => createTxValidator([open({ type: 'object', properties: { a: { type: 'string' } } })], { maxTxBytes: 1000 })).toThrow(/additionalProperties/);
    expect(() => createTxValidator([open({
      type: 'object', additionalProperties: false, properties: { a: { type: 'object', properties: {} } },
    })], { maxTxBytes: 1000 })).toThrow(/additionalProperties/);
    expect(() => createTxValidator([open({ properties: {}, additionalProperties: false })], { maxTxBytes: 1000 })).toThrow(/type/);
    expect(() => createTxValidator([open({
      type: 'object', additionalProperties: false, properties: { meta: { type: 'object' } },
    })], { maxTxBytes: 1000 })).toThrow(/additionalProperties/);
    // A map with typed values is explicit, hence allowed.
    expect(() => createTxValidator([open({
      type: 'object', additionalProperties: false, properties: { meta: { type: 'object', additionalProperties: { type: 'string' } } },
    })], { maxTxBytes: 1000 })).not.toThrow();
  });
  it('refuses two handlers for one type and unknown schema keywords', () => {
    expect(() => createTxValidator([chainHandlers[0]!, chainHandlers[0]!], { maxTxBytes: 1000 })).toThrow(/two handlers/);
    expect(() => createTxValidator([open({ type: 'object', additionalProperties: false, properties: { a: { type: 'string', fromat: 'x' } } })], { maxTxBytes: 1000 })).toThrow();
  });
});
