/**
 * Seeded mutation of JSON values, for the edge fuzz tests: a valid message in, a message
 * with one to three faults out (a field dropped, added, retyped, stretched, nested deep,
 * or taken from another message), as a peer or a client could send it. Same seed, same
 * mutants: a failure names its mutant, and replays.
 */
import { Rng } from '../unit/consensus/sim/prng.js';

export { Rng };

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Field values of valid messages, by field name (`donorsOf`): faults that keep a plausible shape. */
export type Donors = ReadonlyMap<string, readonly Json[]>;

/** Every field value in `messages`, at any depth, by its field name. */
export function donorsOf(messages: readonly Json[]): Donors {
  const out = new Map<string, Json[]>();
  const visit = (v: Json): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(visit);
    for (const [k, x] of Object.entries(v)) {
      let list = out.get(k);
      if (list === undefined) out.set(k, (list = []));
      list.push(structuredClone(x));
      visit(x);
    }
  };
  messages.forEach(visit);
  return out;
}

/** Values that break a field's type, range, length or encoding. */
function oddValue(rng: Rng, donors: Donors): Json {
  switch (rng.int(0, 17)) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return rng.pick([0, -1, 1, 1.5, -0.5, 2 ** 31, 2 ** 53, -(2 ** 53), 1e21, Number.MAX_VALUE, 5e-324]);
    case 3: return '';
    case 4: return 'x'.repeat(rng.int(1, 70_000));
    case 5: return rng.pick(['\u0000', 'é', '😀', '\ud800', '<script>', ' ', '\n', 'null', 'true', '-1', '1e3', 'org:', ':', '!', '/', '..']);
    case 6: return rng.pick(['a', 'f', '0', 'F']).repeat(rng.pick([63, 64, 65, 127, 128, 129]));
    case 7: return [];
    case 8: return {};
    case 9: return [null, 1, 'a'];
    case 10: return { '': 1, 'a b': [] };
    case 11: return deep(rng.int(50, 2000), rng.chance(0.5));
    case 12: return Array.from({ length: rng.pick([2, 100, 1_001, 20_000]) }, (_, i) => (rng.chance(0.5) ? i : 'a'));
    case 13: return structuredClone(rng.pick(rng.pick([...donors.values()])));
    case 14: return rng.pick(['TREAT', 'ETREAT', 'HRESCH', 'read', 'granted', 'patient', 'admin', 'org:lab', 'sha256:' + 'a'.repeat(64)]);
    case 15: return rng.pick(['access.log', 'record.anchor', 'consent.grant', 'consent.revoke', 'member.register', 'member.revoke', 'gov.vote', 'nope']);
    case 16: return Number.MAX_SAFE_INTEGER + rng.int(0, 3);
    default: return rng.pick(['prevote', 'precommit', 'vote', 'proposal', 'x']);
  }
}

/** A value nested `depth` levels deep, in arrays or in objects. */
function deep(depth: number, arrays: boolean): Json {
  let v: Json = 1;
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
  return v;
}

/** The containers (objects and arrays) in the top `depth` levels of `v`, the root included: a deep value stays one opaque fault. */
function containers(v: Json, depth = 12, out: Array<Json[] | { [k: string]: Json }> = []): Array<Json[] | { [k: string]: Json }> {
  if (v !== null && typeof v === 'object' && depth > 0) {
    out.push(v);
    for (const x of Array.isArray(v) ? v : Object.values(v)) containers(x, depth - 1, out);
  }
  return out;
}

/** One fault in place somewhere in `root` (a container). */
function mutateOnce(root: Json, rng: Rng, donors: Donors): void {
  const c = rng.pick(containers(root));
  if (Array.isArray(c)) {
    const op = c.length === 0 ? 0 : rng.int(0, 3);
    if (op === 0) c.push(oddValue(rng, donors));
    else if (op === 1) c.splice(rng.int(0, c.length - 1), 1);
    else if (op === 2) c[rng.int(0, c.length - 1)] = oddValue(rng, donors);
    else c.push(...c.slice(0, rng.int(1, c.length))); // repeats
    return;
  }
  const keys = Object.keys(c);
  // Often a field takes another valid message's value for the same field: still well formed,
  // it reaches the state rules (another actor, record, patient, purpose, scope or nonce).
  const swappable = keys.filter((k) => donors.has(k));
  if (swappable.length > 0 && rng.chance(0.5)) {
    const k = rng.pick(swappable);
    c[k] = structuredClone(rng.pick(donors.get(k)!));
    return;
  }
  const op = keys.length === 0 ? 0 : rng.int(0, 3);
  if (op === 0) c[rng.pick(['extra', 'sig', 'nonce', 'payload', 'type', 'scope', 'reason', 'constructor', 'toString', 'height'])] = oddValue(rng, donors);
  else if (op === 1) delete c[rng.pick(keys)];
  else c[rng.pick(keys)] = oddValue(rng, donors);
}

/**
 * A mutant of `base` (not modified) as a JSON text: one to three faults, and sometimes an
 * own `__proto__` member in one of its objects (JSON.parse makes it an own property, as
 * from a peer; an assignment would set the prototype instead).
 */
export function mutantText(base: Json, rng: Rng, donors: Donors): string {
  const v = structuredClone(base);
  const faults = rng.int(1, 3);
  for (let i = 0; i < faults; i++) mutateOnce(v, rng, donors);
  if (rng.chance(0.05)) {
    const objects = containers(v).filter((c) => !Array.isArray(c));
    if (objects.length > 0) {
      Object.defineProperty(rng.pick(objects), '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
    }
  }
  return JSON.stringify(v);
}

/** An error a parser throws on purpose (its own class, or JSON's SyntaxError), not a crash inside it. */
export function isCrash(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || !(err instanceof Error) || err.message === '';
}

/** A mutant for a failure message: its number and text (cut at 400 characters). */
export function showMutant(i: number, text: string): string {
  return `mutant ${i}: ${text.length > 400 ? `${text.slice(0, 400)}... (${text.length} chars)` : text}`;
}

export interface ParserFuzz {
  seed: number;
  mutants: number;
  /** Parses one mutant (given parsed and as text); returns normally when it accepts it. */
  parse: (raw: unknown, text: string) => unknown;
  /** Whether a throw is the parser's own refusal (checked after `isCrash`). */
  refusal: (err: unknown) => boolean;
  /** Skip mutants equal to the base (a field swapped for its own value). */
  skipUnchanged?: boolean;
}

/**
 * `mutants` mutants of `base` through `parse`: every throw must be a refusal, not a crash
 * (else this throws, naming the mutant). Returns how many were accepted and refused.
 */
export function fuzzParser(base: Json, o: ParserFuzz): { accepted: number; refused: number } {
  const rng = new Rng(o.seed);
  const donors = donorsOf([base]);
  const unchanged = JSON.stringify(base);
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < o.mutants; i++) {
    const text = mutantText(base, rng, donors);
    if (o.skipUnchanged === true && text === unchanged) continue;
    try {
      o.parse(JSON.parse(text), text);
      accepted++;
    } catch (err) {
      if (isCrash(err) || !o.refusal(err)) throw new Error(`${showMutant(i, text)}\nthrew ${String(err)}`);
      refused++;
    }
  }
  return { accepted, refused };
}
