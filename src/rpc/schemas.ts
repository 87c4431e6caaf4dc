/**
 * Param schema building blocks and the one function that turns ajv errors into -32602
 * messages that name the param and the problem: `height must be an integer >= 0`,
 * `unknown param "foo"`, `hash must be 64 lowercase hex characters`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema, ParamsSchema } from './interface.js';

/** Schema annotation: the phrase after "<param> must be" when the value is wrong. */
export const EXPECT = 'x-expect';

export function uint(description?: string): JsonSchema {
  return { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, [EXPECT]: 'an integer >= 0', ...(description ? { description } : {}) };
}

export function hexBytes(bytes: number, description?: string): JsonSchema {
  return {
    type: 'string',
    pattern: `^[0-9a-f]{${bytes * 2}}$`,
    [EXPECT]: `${bytes * 2} lowercase hex characters`,
    ...(description ? { description } : {}),
  };
}

export function bool(description?: string): JsonSchema {
  return { type: 'boolean', [EXPECT]: 'true or false', ...(description ? { description } : {}) };
}

export function params(properties: Record<string, JsonSchema>, required: string[] = [], extra: JsonSchema = {}): ParamsSchema {
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false, ...extra };
}

/** `{a}` xor `{b}` ...: exactly one of the named params. */
export function exactlyOneOf(...names: string[]): JsonSchema {
  return { oneOf: names.map((n) => ({ required: [n] })) };
}

export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, coerceTypes: false, useDefaults: false });
  ajv.addKeyword(EXPECT);
  return ajv;
}

export interface ParamsProblem {
  /** Dotted path of the param (`tx.payload`); `params` for the object itself. */
  field: string;
  /** Complete sentence after "invalid params: ". */
  message: string;
}

const ARTICLE: Record<string, string> = {
  object: 'an object', array: 'an array', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'a boolean', null: 'null',
};

function pathOf(instancePath: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

function describe(e: ErrorObject, schema: ParamsSchema): ParamsProblem {
  const path = pathOf(e.instancePath);
  const at = (name: string): string => (path ? `${path}.${name}` : name);
  const parent = (e.parentSchema ?? {}) as JsonSchema;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String((e.params as { additionalProperty: string }).additionalProperty);
      return path ? { field: at(name), message: `unknown field "${at(name)}"` } : { field: name, message: `unknown param "${name}"` };
    }
    case 'required': {
      const name = String((e.params as { missingProperty: string }).missingProperty);
      return { field: at(name), message: path ? `${at(name)} is required` : `missing required param "${name}"` };
    }
    case 'dependencies': {
      const { property, missingProperty } = e.params as { property: string; missingProperty: string };
      return { field: at(property), message: `${at(property)} needs "${at(missingProperty)}"` };
    }
    case 'oneOf': {
      const names = ((schema.oneOf as { required: string[] }[] | undefined) ?? []).flatMap((b) => b.required ?? []);
      return { field: path || 'params', message: `exactly one of ${names.map((n) => `"${n}"`).join(', ')} is required` };
    }
    default: {
      const field = path || 'params';
      if (typeof parent[EXPECT] === 'string') return { field, message: `${field} must be ${parent[EXPECT]}` };
      if (e.keyword === 'type') {
        const t = String((e.params as { type: string }).type);
        return { field, message: `${field} must be ${t.split(',').map((x) => ARTICLE[x] ?? x).join(' or ')}` };
      }
      if (e.keyword === 'enum') {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ');
        return { field, message: `${field} must be one of ${allowed}` };
      }
      return { field, message: `${field} ${e.message ?? 'is invalid'}` };
    }
  }
}

/**
 * Picks the most useful error: an unknown param first, then a problem with a given
 * param, then a missing param, then an unmet "exactly one of".
 */
export function describeParamsErrors(errors: ErrorObject[], schema: ParamsSchema): ParamsProblem {
  const notInBranch = errors.filter((e) => !e.schemaPath.startsWith('#/oneOf/'));
  const rank = (e: ErrorObject): number =>
    e.keyword === 'additionalProperties' ? 0 : e.instancePath !== '' ? 1 : e.keyword === 'required' ? 2 : e.keyword === 'oneOf' ? 3 : 4;
  const best = [...notInBranch].sort((a, b) => rank(a) - rank(b))[0] ?? errors[0];
  if (!best) return { field: 'params', message: 'params are invalid' };
  return describe(best, schema);
}

export type CompiledParams = ValidateFunction;
