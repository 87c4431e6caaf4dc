import type { ParseArgsConfig } from 'node:util';
import { ACTIONS, EMERGENCY_REASONS, PURPOSES, type TxType } from '../../chain/types.js';
import { REGISTRABLE_ROLES } from '../../chain/state/index.js';
import { CONTENT_HASH_PATTERN, GRANTEE_PATTERN, MAX_SCOPE_ITEMS, MAX_TIME_MS, ON_BEHALF_OF_PATTERN, RECORD_ID_PATTERN, RECORD_TYPE_PATTERN } from '../../records/schemas.js';
import { requireFlag, strFlag, UsageError } from '../args.js';
import { prepareAnchor } from './anchor-file.js';

export type Values = Record<string, string | boolean | undefined>;

/** A payload built from flags, plus any local step that goes with sending it. */
export interface BuiltPayload {
  payload: Record<string, unknown>;
  /** Runs just before the tx is sent (record.anchor: writes the salt file). */
  beforeSend?: () => void;
  /** Runs when the node refused the tx, so it is certainly not on chain (removes that salt file). */
  onRefused?: () => void;
  /** Fields added to the printed result (e.g. where the salt is kept). */
  extra?: Record<string, unknown>;
  /** Lines for stderr: what the operator should know. */
  notes?: string[];
}

export interface BuildContext {
  /** Current time in ms (for --expires-at checks). */
  now: number;
}

interface PayloadBuilder {
  options: NonNullable<ParseArgsConfig['options']>;
  build(values: Values, ctx: BuildContext): BuiltPayload;
}

const s = { type: 'string' } as const;
const ACCOUNT_RE = /^[0-9a-f]{64}$/;
const RECORD_ID_RE = new RegExp(RECORD_ID_PATTERN);
const RECORD_TYPE_RE = new RegExp(RECORD_TYPE_PATTERN);
const GRANTEE_RE = new RegExp(GRANTEE_PATTERN);
const CONTENT_HASH_RE = new RegExp(CONTENT_HASH_PATTERN);
const ON_BEHALF_OF_RE = new RegExp(ON_BEHALF_OF_PATTERN);

function matching(v: string | boolean | undefined, flag: string, re: RegExp, what: string, required: true): string;
function matching(v: string | boolean | undefined, flag: string, re: RegExp, what: string, required: false): string | undefined;
function matching(v: string | boolean | undefined, flag: string, re: RegExp, what: string, required: boolean): string | undefined {
  const x = required ? requireFlag(v, flag) : strFlag(v, flag);
  if (x !== undefined && !re.test(x)) throw new UsageError(`--${flag} ${what}, got "${x}"`);
  return x;
}

const account = (v: string | boolean | undefined, flag: string): string => matching(v, flag, ACCOUNT_RE, 'must be an account id (64 lowercase hex characters)', true);

function oneOf<T extends string>(v: string | boolean | undefined, flag: string, list: readonly T[]): T {
  const x = requireFlag(v, flag);
  if (!(list as readonly string[]).includes(x)) throw new UsageError(`--${flag} must be one of ${list.join(', ')}, got "${x}"`);
  return x as T;
}

const recordId = (v: string | boolean | undefined, flag = 'record-id'): string =>
  matching(v, flag, RECORD_ID_RE, 'must be <org>:<local id> (org 2-32 of [a-z0-9-], local id 1-128 of [A-Za-z0-9._/-])', true);

/** A comma-separated list flag; every item checked, duplicates dropped. */
function list(v: string | boolean | undefined, flag: string, check: (item: string) => void): string[] | undefined {
  const raw = strFlag(v, flag);
  if (raw === undefined) return undefined;
  const items = [...new Set(raw.split(',').map((x) => x.trim()))];
  if (items.some((x) => x === '')) throw new UsageError(`--${flag} has an empty item in "${raw}"`);
  if (items.length > MAX_SCOPE_ITEMS) throw new UsageError(`--${flag} may list at most ${MAX_SCOPE_ITEMS} items, got ${items.length}`);
  items.forEach(check);
  return items;
}

/** `--expires-at`: ms since the epoch, or an ISO-8601 date-time with a zone (2026-01-31T00:00:00Z). */
export function parseExpiresAt(raw: string, now: number): number {
  let ms: number;
  if (/^\d+$/.test(raw)) ms = Number(raw);
  else if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(raw)) ms = Date.parse(raw);
  else throw new UsageError(`--expires-at must be milliseconds since the epoch or an ISO-8601 time like 2030-01-31T00:00:00Z, got "${raw}"`);
  if (!Number.isSafeInteger(ms) || ms > MAX_TIME_MS) throw new UsageError(`--expires-at is not a valid time up to 9999-12-31T23:59:59.999Z: "${raw}"`);
  if (ms <= now) throw new UsageError(`--expires-at ${raw} is in the past (${new Date(ms).toISOString()}); the consent would never be active`);
  return ms;
}

function json(v: string, flag: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    throw new UsageError(`--${flag} must be JSON`);
  }
}

/** Per-type flags for `medledger tx`; each builds the SPEC §3 payload, checked client-side. */
export const payloadBuilders: Record<TxType, PayloadBuilder> = {
  'member.register': {
    options: { account: s, role: s, name: s },
    build: (v) => {
      const p: Record<string, unknown> = { account: account(v.account, 'account'), role: oneOf(v.role, 'role', REGISTRABLE_ROLES) };
      const name = strFlag(v.name, 'name');
      if (name !== undefined && p.role === 'patient') throw new UsageError('--name is not allowed for a patient (no PHI on chain)');
      if (name !== undefined && name.length > 128) throw new UsageError('--name may be at most 128 characters');
      if (name !== undefined) p.name = name;
      return { payload: p };
    },
  },
  'member.revoke': { options: { account: s }, build: (v) => ({ payload: { account: account(v.account, 'account') } }) },
  'gov.vote': {
    options: { proposal: s },
    build: (v) => {
      const proposal = json(requireFlag(v.proposal, 'proposal'), 'proposal');
      if (typeof proposal !== 'object' || proposal === null || Array.isArray(proposal)) throw new UsageError('--proposal must be a JSON object like {"action":"addOrg",...}');
      return { payload: { proposal } };
    },
  },
  'record.anchor': {
    options: { 'record-id': s, patient: s, 'record-type': s, file: s, 'salt-file': s, 'content-hash': s },
    build: (v) => {
      const id = recordId(v['record-id']);
      const payload: Record<string, unknown> = {
        recordId: id,
        patient: account(v.patient, 'patient'),
        recordType: matching(v['record-type'], 'record-type', RECORD_TYPE_RE, 'must be a FHIR resource type (Observation) or a code like LOINC:11506-3', true),
      };
      const file = strFlag(v.file, 'file');
      const given = matching(v['content-hash'], 'content-hash', CONTENT_HASH_RE, 'must be sha256: followed by 64 lowercase hex characters', false);
      const saltFile = strFlag(v['salt-file'], 'salt-file');
      if (given !== undefined) {
        if (file !== undefined || saltFile !== undefined) throw new UsageError('--content-hash anchors a precomputed commitment: give it without --file and --salt-file');
        payload.contentHash = given;
        return { payload };
      }
      if (file === undefined) throw new UsageError('--file is required (or --content-hash for a precomputed commitment)');
      const prepared = prepareAnchor({ documentPath: file, recordId: id, ...(saltFile !== undefined ? { saltFile } : {}) });
      payload.contentHash = prepared.contentHash;
      const notes = [
        prepared.reused
          ? `salt reused from ${prepared.saltPath}; the document and its salt stay off chain`
          : `salt kept beside the document in ${prepared.saltPath} (mode 0600); the document and its salt stay off chain. Keep the salt with the document: whoever receives the document needs it to check the commitment`,
      ];
      if (prepared.warning) notes.unshift(`warning: ${prepared.warning}`);
      return { payload, beforeSend: prepared.persist, onRefused: prepared.discard, extra: { saltFile: prepared.saltPath }, notes };
    },
  },
  'consent.grant': {
    options: { grantee: s, purpose: s, 'record-types': s, 'record-ids': s, 'expires-at': s },
    build: (v, ctx) => {
      const scope: Record<string, string[]> = {};
      const types = list(v['record-types'], 'record-types', (x) => {
        if (!RECORD_TYPE_RE.test(x)) throw new UsageError(`--record-types: "${x}" must be a FHIR resource type (Observation) or a code like LOINC:11506-3`);
      });
      const ids = list(v['record-ids'], 'record-ids', (x) => {
        if (!RECORD_ID_RE.test(x)) throw new UsageError(`--record-ids: "${x}" must be <org>:<local id>`);
      });
      if (types) scope.recordTypes = types;
      if (ids) scope.recordIds = ids;
      const payload: Record<string, unknown> = {
        grantee: matching(v.grantee, 'grantee', GRANTEE_RE, 'must be an account id (64 lowercase hex) or org:<orgId>', true),
        scope,
        purpose: oneOf(v.purpose, 'purpose', PURPOSES),
      };
      const exp = strFlag(v['expires-at'], 'expires-at');
      if (exp !== undefined) payload.expiresAt = parseExpiresAt(exp, ctx.now);
      const notes = !types && !ids ? ['no --record-types or --record-ids: the consent covers all of the patient\'s records'] : [];
      return { payload, notes };
    },
  },
  'consent.revoke': {
    options: { 'consent-id': s },
    build: (v) => ({ payload: { consentId: matching(v['consent-id'], 'consent-id', ACCOUNT_RE, 'must be the consent.grant tx hash (64 lowercase hex characters)', true) } }),
  },
  'access.log': {
    options: { 'record-id': s, action: s, purpose: s, emergency: { type: 'boolean' }, reason: s, 'on-behalf-of': s },
    build: (v) => {
      const payload: Record<string, unknown> = { recordId: recordId(v['record-id']), action: oneOf(v.action, 'action', ACTIONS), purpose: oneOf(v.purpose, 'purpose', PURPOSES) };
      const emergency = v.emergency === true;
      if (emergency && v.reason === undefined) throw new UsageError(`--emergency needs --reason, one of ${EMERGENCY_REASONS.join(', ')}`);
      if (!emergency && v.reason !== undefined) throw new UsageError('--reason is allowed only with --emergency');
      if (emergency) {
        payload.emergency = true;
        payload.reason = oneOf(v.reason, 'reason', EMERGENCY_REASONS);
      }
      const obo = matching(v['on-behalf-of'], 'on-behalf-of', ON_BEHALF_OF_RE, 'must be an opaque staff id of 1-64 characters of [A-Za-z0-9._-]', false);
      if (obo !== undefined) payload.onBehalfOf = obo;
      return { payload };
    },
  },
};

export const TX_FLAGS: Record<TxType, string> = {
  'member.register': '--account HEX --role admin|clinician|service|auditor|patient [--name NAME]',
  'member.revoke': '--account HEX',
  'gov.vote': "--proposal '{\"action\":\"addOrg\",...}'",
  'record.anchor': '--record-id ORG:LOCAL --patient HEX --record-type TYPE (--file DOCUMENT [--salt-file FILE] | --content-hash sha256:HEX)',
  'consent.grant': '--grantee HEX|org:ID --purpose CODE [--record-types A,B] [--record-ids X,Y] [--expires-at ISO-8601|MS]',
  'consent.revoke': '--consent-id HEX',
  'access.log': '--record-id ID --action ACTION --purpose CODE [--emergency --reason CODE] [--on-behalf-of STAFFID]',
};

/** Extra help lines: code lists and what record.anchor does with the document. */
export const TX_NOTES = `Codes:
  --purpose   ${PURPOSES.join(', ')}
  --action    ${ACTIONS.join(', ')}
  --reason    ${EMERGENCY_REASONS.join(', ')}
record.anchor --file: draws a fresh 32-byte salt, anchors contentHash = "sha256:" + hex(sha256(salt || documentBytes))
  and writes the salt to DOCUMENT.salt.json (mode 0600, never overwritten). Neither the document nor the
  salt is sent to the chain. Re-anchor the same document with --salt-file DOCUMENT.salt.json.`;
