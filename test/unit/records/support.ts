/**
 * A small in-memory harness for the records handlers: a Map-backed state, accounts and
 * orgs seeded directly, and `runTx` which does what chain/state's executor does for one
 * tx (payload schema with ajv + checkShape, role, admit, execute on an overlay,
 * commit on success), so these tests do not depend on the executor.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { generateKeyPair, type KeyPair } from '../../../src/chain/ed25519.js';
import type { AccountState, IndexEvent, ReadEnv, StateReader, StateValue, TxEnv } from '../../../src/chain/state/interface.js';
import { signTx, txHash } from '../../../src/chain/tx.js';
import type { AccessOutcome, Role, Tx, TxType } from '../../../src/chain/types.js';
import { recordHandlers, type RecordTxHandler } from '../../../src/records/index.js';
import { ParamError, TxRuleError } from '../../../src/util/errors.js';

export const CHAIN_ID = 'medledger-test';

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Values are frozen when stored: a handler mutating what `get` returned throws. */
export class MemState implements StateReader {
  readonly map = new Map<string, StateValue>();
  time = 1_700_000_000_000;
  height = 1;

  get(key: string): StateValue | undefined {
    return this.map.get(key);
  }

  set(key: string, value: unknown): void {
    this.map.set(key, deepFreeze(structuredClone(value)) as StateValue);
  }

  addOrg(org: string): void {
    this.set(`org/${org}`, { org, name: org, admins: [] });
  }

  /** A registered account with a fresh Ed25519 key. */
  addAccount(role: Role, org: string | null, extra: Partial<AccountState> = {}): Actor {
    const kp = generateKeyPair();
    const acct: AccountState = { account: kp.account, role, org, nonce: 0, revoked: false, height: 0, ...extra };
    this.set(`acct/${kp.account}`, acct);
    return { ...kp, role, org };
  }

  account(account: string): AccountState {
    return this.get(`acct/${account}`) as unknown as AccountState;
  }

  revoke(account: string): void {
    this.set(`acct/${account}`, { ...this.account(account), revoked: true });
  }

  /** Moves to the next block, `dt` ms later. */
  advance(dt = 1000): void {
    this.height += 1;
    this.time += dt;
  }
}

export interface Actor extends KeyPair {
  role: Role;
  org: string | null;
}

export interface RunResult {
  hash: string;
  tx: Tx;
  status: 'ok' | 'rejected';
  error?: { code: string; message: string };
  outcome?: AccessOutcome;
  events: IndexEvent[];
}

const ajv = new Ajv({ allErrors: false, strict: true });
const validators = new Map<TxType, ValidateFunction>();
export const handlerFor = (type: TxType): RecordTxHandler<any> => recordHandlers.find((h) => h.type === type) as RecordTxHandler<any>;

/** ajv + checkShape as chain/state's validator applies them; throws ParamError('tx.payload.<field>'). */
export function validatePayload(type: TxType, payload: unknown): void {
  const handler = handlerFor(type);
  let validate = validators.get(type);
  if (validate === undefined) {
    validate = ajv.compile(handler.payloadSchema);
    validators.set(type, validate);
  }
  if (!validate(payload)) {
    const err = validate.errors![0]!;
    const extra = (err.params as { additionalProperty?: string; missingProperty?: string });
    const leaf = extra.additionalProperty ?? extra.missingProperty;
    // Same naming as chain/validate-tx.ts: `tx.payload.scope.recordIds[1]`.
    const path = err.instancePath.split('/').filter(Boolean).map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`)).join('');
    const field = `tx.payload${path}${leaf !== undefined ? `.${leaf}` : ''}`;
    throw new ParamError(field, err.message ?? 'is invalid');
  }
  handler.checkShape?.(payload);
}

function readEnv(st: MemState, tx: Tx, hash: string, overlay?: Map<string, StateValue | null>): ReadEnv {
  return {
    chainId: CHAIN_ID,
    height: st.height,
    time: st.time,
    tx,
    hash,
    sender: st.account(tx.from),
    get(key) {
      if (overlay?.has(key)) return overlay.get(key) ?? undefined;
      return st.get(key);
    },
  };
}

export interface RunOpts {
  /** Skip the shape check (to reach execute-time shape rules). */
  skipShape?: boolean;
  /** Only admission: run admit against state, change nothing. */
  admitOnly?: boolean;
}

/** Signs and runs one tx from `from` at the state's current height and time. */
export function runTx(st: MemState, from: KeyPair, type: TxType, payload: Record<string, unknown>, opts: RunOpts = {}): RunResult {
  const sender = st.account(from.account);
  const tx = signTx({ chainId: CHAIN_ID, type, from: from.account, nonce: sender.nonce, payload }, from.secretKey);
  const hash = txHash(tx);
  const handler = handlerFor(type);
  if (opts.skipShape !== true) validatePayload(type, payload);
  const overlay = new Map<string, StateValue | null>();
  const events: IndexEvent[] = [];
  let outcome: AccessOutcome | undefined;
  const env: TxEnv = {
    ...readEnv(st, tx, hash, overlay),
    put(key, value) {
      overlay.set(key, deepFreeze(structuredClone(value)));
    },
    del(key) {
      overlay.set(key, null);
    },
    emit(event) {
      events.push(event);
    },
    setOutcome(o) {
      outcome = o;
    },
  };
  try {
    handler.admit?.(readEnv(st, tx, hash), payload);
    if (opts.admitOnly === true) return { hash, tx, status: 'ok', events: [] };
    handler.execute(env, payload);
  } catch (e) {
    if (!(e instanceof TxRuleError)) throw e;
    st.set(`acct/${from.account}`, { ...sender, nonce: sender.nonce + 1 });
    return { hash, tx, status: 'rejected', error: { code: e.code, message: e.message }, events: [] };
  }
  for (const [k, v] of overlay) {
    if (v === null) st.map.delete(k);
    else st.map.set(k, v);
  }
  st.set(`acct/${from.account}`, { ...st.account(from.account), nonce: sender.nonce + 1 });
  return { hash, tx, status: 'ok', ...(outcome !== undefined ? { outcome } : {}), events };
}

/** Admission only (handler.admit against current state): the TxRuleError code, or null. */
export function admitCode(st: MemState, from: KeyPair, type: TxType, payload: Record<string, unknown>): string | null {
  const r = runTx(st, from, type, payload, { admitOnly: true });
  return r.status === 'ok' ? null : r.error!.code;
}

export const hash64 = (c: string): string => c.repeat(64).slice(0, 64);
export const contentHash = (c: string): string => `sha256:${hash64(c)}`;

/** A two-hospital world: north and south, with members and two patients. */
export function world() {
  const st = new MemState();
  st.addOrg('north');
  st.addOrg('south');
  return {
    st,
    northAdmin: st.addAccount('admin', 'north'),
    northDoc: st.addAccount('clinician', 'north'),
    northEhr: st.addAccount('service', 'north'),
    southDoc: st.addAccount('clinician', 'south'),
    southDoc2: st.addAccount('clinician', 'south'),
    southEhr: st.addAccount('service', 'south'),
    southAuditor: st.addAccount('auditor', 'south'),
    southAdmin: st.addAccount('admin', 'south'),
    authority: st.addAccount('authority', 'north'),
    alice: st.addAccount('patient', null, { registeredBy: 'north' }),
    bob: st.addAccount('patient', null, { registeredBy: 'south' }),
  };
}
export type World = ReturnType<typeof world>;

/** Anchors `north:<local>` for `patient` by the north clinician; returns the result. */
export function anchor(w: World, local: string, recordType = 'Observation', patient = w.alice.account): RunResult {
  return runTx(w.st, w.northDoc, 'record.anchor', { recordId: `north:${local}`, patient, recordType, contentHash: contentHash('a') });
}

export function grant(w: World, payload: Record<string, unknown>, patient: KeyPair = w.alice): RunResult {
  return runTx(w.st, patient, 'consent.grant', { scope: {}, purpose: 'TREAT', ...payload });
}

export function log(w: World, from: KeyPair, payload: Record<string, unknown>): RunResult {
  return runTx(w.st, from, 'access.log', { action: 'read', purpose: 'TREAT', ...payload });
}
