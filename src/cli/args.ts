import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseHostPort } from '../node/config.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict flag parsing: unknown flags and missing values are usage errors naming the flag. */
export function parse<O extends Options>(argv: string[], options: O, positionals = 0): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, strict: true, allowPositionals: positionals > 0 });
    if (r.positionals.length > positionals) throw new UsageError(`unexpected argument "${r.positionals[positionals]}"`);
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

export function intFlag(v: string | boolean | undefined, name: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${String(v)}"`);
  return n;
}

export function strFlag(v: string | boolean | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} needs a value`);
  return v;
}

export function requireFlag(v: string | boolean | undefined, name: string): string {
  const s = strFlag(v, name);
  if (s === undefined) throw new UsageError(`--${name} is required`);
  return s;
}

/** A HOST:PORT flag; a malformed value is a usage error naming the flag. */
export function hostPortFlag(v: string | boolean | undefined, name: string): { host: string; port: number } | undefined {
  const s = strFlag(v, name);
  if (s === undefined) return undefined;
  try {
    return parseHostPort(s, `--${name}`);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
