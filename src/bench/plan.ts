import { createHash } from 'node:crypto';
import { generateKeyPair, type KeyPair } from '../chain/ed25519.js';
import type { TxBody } from '../chain/types.js';

/**
 * The bench's world and load, decided up front from a seed: load accounts (clinicians
 * and service accounts in every org, patients), the records and consents the setup
 * phase creates, and M load tx bodies with sequential nonces per sender. Every
 * `access.log` carries the outcome the chain must decide for it, predicted from the
 * setup state alone (load consents use purposes that no load access asks for).
 */

export type StaffRole = 'clinician' | 'service';
export type LoadKind = 'access.log' | 'record.anchor' | 'consent.grant';
export type Outcome = 'granted' | 'denied' | 'emergency';

export interface BenchAccount extends KeyPair {
  role: StaffRole | 'patient';
  /** Staff org; null for patients. */
  org: string | null;
  /** The node this sender's txs go to (index into the node list). */
  node: number;
  /** Org whose admin registers it (patients: round-robin). */
  registeredBy: string;
  /** Next nonce once the setup phase is done. */
  nonce: number;
}

export interface SetupRecord {
  recordId: string;
  patient: string;
  custodian: string;
  recordType: string;
}

export interface SetupConsent {
  patient: string;
  /** `org:<org>`: every member of that org, for TREAT, all the patient's records. */
  grantee: string;
}

export interface LoadTx {
  body: TxBody;
  node: number;
  kind: LoadKind;
  /** access.log: the outcome the chain must decide. record.anchor: new record or new version. */
  expect?: Outcome | 'new-record' | 'new-version';
}

export interface Mix {
  'access.log': number;
  'record.anchor': number;
  'consent.grant': number;
  outcomes: Record<Outcome, number>;
  anchors: { newRecord: number; newVersion: number };
}

export interface PlanOptions {
  chainId: string;
  /** Org ids that exist once setup is done (testnet orgs + the governance-added one). */
  orgs: string[];
  nodes: number;
  txs: number;
  accounts: number;
  seed: number;
  /** Now, for consent expiries. */
  time: number;
  recordsPerPatient?: number;
  keygen?: () => KeyPair;
}

export interface Plan {
  staff: BenchAccount[];
  patients: BenchAccount[];
  records: SetupRecord[];
  consents: SetupConsent[];
  load: LoadTx[];
}

const RECORD_TYPES = ['Observation', 'DiagnosticReport', 'MedicationRequest', 'Condition', 'LOINC:11506-3', 'LOINC:18842-5'];
const ACTIONS = ['read', 'read', 'read', 'query', 'update', 'export'];
const CUSTODIAN_PURPOSES = ['TREAT', 'CAREMGT', 'HOPERAT'];
/** Load consents never use HRESCH or ETREAT, the purposes of predicted denials and emergencies. */
const GRANT_PURPOSES = ['TREAT', 'CAREMGT', 'HPAYMT', 'COVERAGE', 'PATRQT', 'FAMRQT', 'PUBHLTH'];
const REASONS = ['life-threatening', 'patient-unable-to-consent', 'urgent-care', 'other'];
const DAY_MS = 86_400_000;

/** mulberry32: a small seeded PRNG, so a seed gives the same mix. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Load accounts split: ~20% patients (at least 1), the rest staff (at least 1). */
export function accountSplit(accounts: number): { staff: number; patients: number } {
  if (accounts < 2) throw new RangeError('at least 2 load accounts are needed (one staff, one patient)');
  const patients = Math.max(1, Math.round(accounts * 0.2));
  return { staff: accounts - patients, patients };
}

/** The fewest load accounts that leave one staff member for each of `orgs` orgs. */
export function minAccounts(orgs: number): number {
  let a = 2;
  while (accountSplit(a).staff < orgs) a++;
  return a;
}

/** How many of each type M txs get: ~80% access.log, ~15% record.anchor, the rest consent.grant. */
export function typeCounts(txs: number): Record<LoadKind, number> {
  const access = Math.round(txs * 0.8);
  const anchor = Math.round(txs * 0.15);
  return { 'access.log': access, 'record.anchor': anchor, 'consent.grant': txs - access - anchor };
}

export function buildPlan(o: PlanOptions): Plan {
  if (o.orgs.length < 2) throw new RangeError('the plan needs at least two orgs');
  const rnd = prng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const keygen = o.keygen ?? generateKeyPair;
  const split = accountSplit(o.accounts);
  if (split.staff < o.orgs.length) throw new RangeError(`${o.accounts} load accounts leave ${split.staff} staff for ${o.orgs.length} orgs; every org needs one (use more accounts)`);
  let senderNo = 0;
  const mk = (role: BenchAccount['role'], org: string | null, registeredBy: string): BenchAccount =>
    ({ ...keygen(), role, org, registeredBy, node: senderNo++ % o.nodes, nonce: 0 });

  const staff = Array.from({ length: split.staff }, (_, i) => {
    const org = o.orgs[i % o.orgs.length]!;
    return mk(Math.floor(i / o.orgs.length) % 3 === 2 ? 'service' : 'clinician', org, org);
  });
  const patients = Array.from({ length: split.patients }, (_, i) => mk('patient', null, o.orgs[i % o.orgs.length]!));
  const staffByOrg = new Map<string, BenchAccount[]>(o.orgs.map((g) => [g, staff.filter((s) => s.org === g)]));
  const cursor = new Map<string, number>();
  /** Round-robin over an org's staff (every org has some: staff >= orgs). */
  const staffOf = (org: string): BenchAccount => {
    const list = staffByOrg.get(org)!;
    const i = cursor.get(org) ?? 0;
    cursor.set(org, i + 1);
    return list[i % list.length]!;
  };

  // Setup: each patient has records at several custodians and consents to one more org for TREAT.
  const perPatient = o.recordsPerPatient ?? 3;
  const records: SetupRecord[] = [];
  const consents: SetupConsent[] = [];
  patients.forEach((p, i) => {
    for (let j = 0; j < perPatient; j++) {
      const custodian = o.orgs[(i + j) % o.orgs.length]!;
      records.push({ recordId: `${custodian}:${RECORD_TYPES[j % RECORD_TYPES.length]!.replace(':', '-')}/p${i}-r${j}`, patient: p.account, custodian, recordType: RECORD_TYPES[j % RECORD_TYPES.length]! });
    }
    consents.push({ patient: p.account, grantee: `org:${o.orgs[(i + perPatient) % o.orgs.length]!}` });
    p.nonce = 1; // the setup consent
  });
  const consentOrg = new Map(consents.map((c) => [c.patient, c.grantee.slice(4)]));
  const recordsOf = new Map<string, SetupRecord[]>(patients.map((p) => [p.account, []]));
  for (const r of records) recordsOf.get(r.patient)!.push(r);

  const counts = typeCounts(o.txs);
  const kinds: LoadKind[] = [];
  for (const k of Object.keys(counts) as LoadKind[]) for (let i = 0; i < counts[k]; i++) kinds.push(k);
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }

  const load: LoadTx[] = [];
  let patientCursor = 0;
  let newRecords = 0;
  const tx = (from: BenchAccount, type: LoadKind, payload: Record<string, unknown>, expect?: LoadTx['expect']): LoadTx => ({
    body: { chainId: o.chainId, type, from: from.account, nonce: from.nonce++, payload }, node: from.node, kind: type, ...(expect ? { expect } : {}),
  });
  const otherOrg = (not: readonly string[]): string | undefined => {
    const candidates = o.orgs.filter((g) => !not.includes(g));
    return candidates.length ? pick(candidates) : undefined;
  };

  for (const kind of kinds) {
    if (kind === 'access.log') {
      const rec = pick(records);
      const r = rnd();
      let outcome: Outcome = r < 0.6 ? 'granted' : r < 0.85 ? 'denied' : 'emergency';
      let actorOrg: string;
      let purpose: string;
      const consented = consentOrg.get(rec.patient)!;
      if (outcome === 'granted') {
        const viaConsent = rnd() < 0.5 && consented !== rec.custodian;
        actorOrg = viaConsent ? consented : rec.custodian;
        purpose = viaConsent ? 'TREAT' : pick(CUSTODIAN_PURPOSES);
      } else {
        // Neither the custodian nor consented for this purpose: HRESCH and ETREAT are never granted.
        const other = otherOrg([rec.custodian]);
        if (other === undefined) outcome = 'granted';
        actorOrg = other ?? rec.custodian;
        purpose = outcome === 'emergency' ? 'ETREAT' : 'HRESCH';
      }
      const actor = staffOf(actorOrg);
      const payload: Record<string, unknown> = { recordId: rec.recordId, action: pick(ACTIONS), purpose };
      if (outcome === 'emergency') Object.assign(payload, { emergency: true, reason: pick(REASONS) });
      if (actor.role === 'service' && rnd() < 0.7) payload.onBehalfOf = `staff-${Math.floor(rnd() * 5000)}`;
      load.push(tx(actor, kind, payload, outcome));
    } else if (kind === 'record.anchor') {
      const version = rnd() < 0.5;
      const contentHash = `sha256:${createHash('sha256').update(`bench-${o.seed}-${load.length}`).digest('hex')}`;
      if (version) {
        const rec = pick(records);
        load.push(tx(staffOf(rec.custodian), kind, { recordId: rec.recordId, patient: rec.patient, recordType: rec.recordType, contentHash }, 'new-version'));
      } else {
        const actor = pick(staff);
        const recordType = pick(RECORD_TYPES);
        load.push(tx(actor, kind, { recordId: `${actor.org!}:${recordType.replace(':', '-')}/bench-${newRecords++}`, patient: pick(patients).account, recordType, contentHash }, 'new-record'));
      }
    } else {
      const p = patients[patientCursor++ % patients.length]!;
      const grantee = rnd() < 0.5 ? `org:${pick(o.orgs)}` : pick(staff).account;
      const own = recordsOf.get(p.account)!;
      const scope = rnd() < 0.5 ? { recordTypes: [pick(RECORD_TYPES)] } : { recordIds: own.length ? [pick(own).recordId] : [] };
      const payload: Record<string, unknown> = { grantee, scope, purpose: pick(GRANT_PURPOSES) };
      if (rnd() < 0.5) payload.expiresAt = o.time + 365 * DAY_MS;
      load.push(tx(p, kind, payload));
    }
  }
  return { staff, patients, records, consents, load };
}

/** The mix of some load txs (the whole load, or the measured part after a warm-up). */
export function mixOf(load: readonly LoadTx[]): Mix {
  const mix: Mix = { 'access.log': 0, 'record.anchor': 0, 'consent.grant': 0, outcomes: { granted: 0, denied: 0, emergency: 0 }, anchors: { newRecord: 0, newVersion: 0 } };
  for (const t of load) {
    mix[t.kind]++;
    if (t.expect === 'granted' || t.expect === 'denied' || t.expect === 'emergency') mix.outcomes[t.expect]++;
    else if (t.expect === 'new-record') mix.anchors.newRecord++;
    else if (t.expect === 'new-version') mix.anchors.newVersion++;
  }
  return mix;
}
