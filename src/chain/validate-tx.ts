import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { TX_TYPES, type DecodedTx, type Tx } from './types.js';
import { canonicalBytes } from './jcs.js';
import { decodeTx } from './tx.js';
import { AppError, ParamError } from '../util/errors.js';
import { ACCOUNT_PATTERN, CHAIN_ID_PATTERN, PATTERN_PROBLEMS, SIG_PATTERN, type TxHandler } from './state/index.js';
import { isObject } from '../util/json.js';

/**
 * The edge check of a wire tx (SPEC §3 admission, first step): the exact envelope, the
 * payload schema of its type, then the handler's `checkShape`, then the JCS size limit.
 * Run on every tx from tx_send AND on every tx of a peer's block; the state machine
 * trusts shapes. One ajv validator per type (envelope + payload) is compiled at
 * construction; validation stops at the first error (no allErrors), which becomes a
 * ParamError naming the field (`tx.payload.purpose`) and the problem.
 */
export type TxValidator = (raw: unknown) => Tx;
export type TxDecoder = (raw: unknown) => DecodedTx;

export interface TxValidatorOptions {
  /** Max JCS bytes of the full wire tx (genesis params.maxTxBytes). */
  maxTxBytes: number;
}

/** Validates and returns the tx (the same object). Throws ParamError or AppError('tx_too_large'). */
export function createTxValidator(handlers: readonly TxHandler[], opts: TxValidatorOptions): TxValidator {
  const shape = createShapeCheck(handlers);
  return (raw) => {
    const tx = shape(raw);
    checkSize(canonicalBytes(tx).length, opts.maxTxBytes);
    return tx;
  };
}

/** Like createTxValidator, returning the DecodedTx (hash and wire bytes computed once). */
export function createTxDecoder(handlers: readonly TxHandler[], opts: TxValidatorOptions): TxDecoder {
  const shape = createShapeCheck(handlers);
  return (raw) => {
    const d = decodeTx(shape(raw));
    checkSize(d.wire.length, opts.maxTxBytes);
    return d;
  };
}

function checkSize(size: number, max: number): void {
  if (size > max) throw new AppError('tx_too_large', `tx is ${size} bytes (JCS), the limit is ${max}`, { size, max });
}

function envelopeSchema(payload: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['chainId', 'type', 'from', 'nonce', 'payload', 'sig'],
    properties: {
      chainId: { type: 'string', pattern: CHAIN_ID_PATTERN },
      type: { enum: [...TX_TYPES] },
      from: { type: 'string', pattern: ACCOUNT_PATTERN },
      nonce: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      payload,
      sig: { type: 'string', pattern: SIG_PATTERN },
    },
  };
}

function createShapeCheck(handlers: readonly TxHandler[]): (raw: unknown) => Tx {
  const ajv = new Ajv({
    allErrors: false, verbose: true, messages: false, discriminator: true,
    strictSchema: true, strictNumbers: true, strictTypes: false, strictTuples: false, strictRequired: false, logger: false,
  });
  const envelope = ajv.compile(envelopeSchema({ type: 'object' }));
  const perType = new Map<string, { validate: ValidateFunction; handler: TxHandler }>();
  const problems: Record<string, string> = { ...PATTERN_PROBLEMS };
  for (const h of handlers) Object.assign(problems, h.patternProblems);
  const toParamError = (errors: ErrorObject[] | null | undefined): ParamError => paramErrorOf(errors, problems);
  for (const h of handlers) {
    if (perType.has(h.type)) throw new Error(`validate-tx: two handlers for ${h.type}`);
    assertClosed(h.payloadSchema, `${h.type} payloadSchema`, true);
    perType.set(h.type, { validate: ajv.compile(envelopeSchema(h.payloadSchema)), handler: h });
  }
  return (raw) => {
    const type = isObject(raw) ? raw.type : undefined;
    const entry = typeof type === 'string' ? perType.get(type) : undefined;
    if (entry === undefined) {
      if (!envelope(raw)) throw toParamError(envelope.errors);
      throw new ParamError('tx.type', 'is not supported by this node');
    }
    if (!entry.validate(raw)) throw toParamError(entry.validate.errors);
    const tx = raw as unknown as Tx;
    entry.handler.checkShape?.(tx.payload);
    return tx;
  };
}


/**
 * Refuses (at construction) a payload schema that lets unknown fields through: every
 * schema with `properties` must set `additionalProperties: false`, every other object
 * schema must say what it allows (`additionalProperties`, or oneOf/anyOf/allOf branches,
 * checked in turn), and the payload itself must be an object schema.
 */
function assertClosed(schema: unknown, where: string, top = false): void {
  if (!isObject(schema)) return;
  if (top && schema.type !== 'object') throw new Error(`${where}: must be {type: "object", ...}`);
  if (schema.properties !== undefined && schema.additionalProperties !== false) {
    throw new Error(`${where}: an object schema with properties must set additionalProperties: false`);
  }
  const branched = schema.oneOf !== undefined || schema.anyOf !== undefined || schema.allOf !== undefined;
  if (schema.type === 'object' && schema.additionalProperties === undefined && !branched) {
    throw new Error(`${where}: an object schema must set additionalProperties (false, or a schema for a map)`);
  }
  const subs: unknown[] = [schema.items, schema.then, schema.else, schema.additionalProperties];
  for (const k of ['properties', 'patternProperties'] as const) {
    if (isObject(schema[k])) subs.push(...Object.values(schema[k]));
  }
  for (const k of ['oneOf', 'anyOf', 'allOf', 'prefixItems'] as const) {
    if (Array.isArray(schema[k])) subs.push(...(schema[k] as unknown[]));
  }
  for (const s of subs) assertClosed(s, where);
}

/** JSON pointer "/payload/scope/recordIds/0" -> "tx.payload.scope.recordIds[0]". */
function fieldOf(instancePath: string): string {
  let out = 'tx';
  if (instancePath === '') return out;
  for (const raw of instancePath.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^(0|[1-9][0-9]*)$/.test(seg) ? `[${seg}]` : `.${seg}`;
  }
  return out;
}

const ARTICLE: Record<string, string> = {
  string: 'a string', integer: 'an integer', number: 'a number', object: 'an object', array: 'an array', boolean: 'a boolean', null: 'null',
};

const list = (values: unknown[]): string => values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');

function paramErrorOf(errors: ErrorObject[] | null | undefined, problems: Readonly<Record<string, string>>): ParamError {
  if (!errors || errors.length === 0) return new ParamError('tx', 'is invalid');
  // A failed oneOf/anyOf is reported last, after its branches' errors: report it.
  const last = errors[errors.length - 1]!;
  const e = last.keyword === 'oneOf' || last.keyword === 'anyOf' ? last : errors[0]!;
  const field = fieldOf(e.instancePath);
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'required': return new ParamError(`${field}.${p.missingProperty}`, 'is required');
    case 'additionalProperties': return new ParamError(`${field}.${p.additionalProperty}`, 'unknown field');
    case 'type': return new ParamError(field, `must be ${String(p.type).split(',').map((t) => ARTICLE[t] ?? t).join(' or ')}`);
    case 'enum': return new ParamError(field, `must be one of ${list(p.allowedValues)}`);
    case 'const': return new ParamError(field, `must be ${list([p.allowedValue])}`);
    case 'pattern': return new ParamError(field, problems[p.pattern] ?? `must match the pattern ${p.pattern}`);
    case 'minLength': return new ParamError(field, `must be at least ${p.limit} character${p.limit === 1 ? '' : 's'}`);
    case 'maxLength': return new ParamError(field, `must be at most ${p.limit} characters`);
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
      return new ParamError(field, `must be ${p.comparison} ${p.limit}`);
    case 'minItems': return new ParamError(field, `must have at least ${p.limit} item${p.limit === 1 ? '' : 's'}`);
    case 'maxItems': return new ParamError(field, `must have at most ${p.limit} items`);
    case 'uniqueItems': return new ParamError(field, 'must not contain duplicates');
    case 'minProperties': return new ParamError(field, 'must not be empty');
    case 'discriminator': {
      if (p.error === 'tag') return new ParamError(`${field}.${p.tag}`, 'must be a string');
      const branches = ((e.parentSchema as { oneOf?: Array<{ properties?: Record<string, { const?: unknown }> }> })?.oneOf ?? []);
      const tags = branches.map((b) => b.properties?.[p.tag]?.const).filter((t) => t !== undefined);
      return new ParamError(`${field}.${p.tag}`, `must be one of ${list(tags)}`);
    }
    case 'oneOf': case 'anyOf': return new ParamError(field, 'does not match any allowed form');
    default: return new ParamError(field, `is invalid (${e.keyword})`);
  }
}
