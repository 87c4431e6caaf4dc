import type { AccessEvent } from '../../chain/state/interface.js';
import type { AccessAction } from '../../chain/types.js';
import { EMERGENCY_REASON_EXTENSION, SYSTEM, accountRef, coding, concept, fhirInstant, orgRef, patientRef, purposeCoding, recordRef, type Coding } from './codes.js';
import type { FhirResource } from './consent.js';

/** The node serving the query: the AuditEvent's source observer. */
export interface AuditSource {
  nodeId: string;
  org: string;
}

/** SPEC §3: create, read, update, delete, query, export -> C, R, U, D, E, R. */
const ACTION_CODE: Record<AccessAction, string> = { create: 'C', read: 'R', update: 'U', delete: 'D', query: 'E', export: 'R' };

/** FHIR restful-interaction of each action; export is the bulk `$export` operation. */
const INTERACTION: Record<AccessAction, string> = {
  create: 'create',
  read: 'read',
  update: 'update',
  delete: 'delete',
  query: 'search-type',
  export: 'operation',
};

/** The person's part: recipient of the information (R/E) or performer of the change (C/U/D). */
function userRole(action: AccessAction): Coding {
  return action === 'create' || action === 'update' || action === 'delete'
    ? coding(SYSTEM.participationType, 'PRF', 'performer')
    : coding(SYSTEM.participationType, 'IRCP', 'information recipient');
}

function outcomeDesc(e: AccessEvent): string {
  switch (e.outcome) {
    case 'granted':
      return e.consentId !== undefined ? 'granted: patient consent' : 'granted: custodian org';
    case 'emergency':
      return `emergency access (break the glass): ${e.reason ?? 'other'}`;
    case 'denied':
      return 'denied: not the custodian and no active consent for this record and purpose';
  }
}

function agents(e: AccessEvent): Record<string, unknown>[] {
  const actor: Record<string, unknown> = {
    type: concept(e.onBehalfOf !== undefined ? coding(SYSTEM.dicom, '110150', 'Application') : userRole(e.action)),
    who: accountRef(e.actor, e.actorOrg),
    requestor: true,
  };
  if (e.consentId !== undefined) actor.policy = [`${SYSTEM.consent}:${e.consentId}`];
  const list = [actor];
  if (e.onBehalfOf !== undefined) {
    list.push({
      type: concept(userRole(e.action)),
      who: { identifier: { system: SYSTEM.staff, value: e.onBehalfOf, assigner: orgRef(e.actorOrg) } },
      requestor: false,
    });
  }
  return list;
}

/**
 * One access event -> FHIR R4 AuditEvent in the IHE BALP style (id = tx hash).
 *
 * - type DCM 110110 Patient Record; subtype the FHIR restful interaction plus the
 *   medledger action code; action C/R/U/D/E; recorded = block time;
 * - outcome `0` for granted and emergency, `4` for denied, with outcomeDesc;
 * - purposeOfEvent: the declared purpose (v3-ActReason); an `emergency` outcome also
 *   carries v3-ActReason BTG (break the glass: the access happened without consent),
 *   and any emergency reason code travels in the extension EMERGENCY_REASON_EXTENSION;
 * - agent 1: the signing account (assigner = its org), requestor: the chain
 *   authenticates only this account, so it is the accountable initiator. When it acts
 *   for a staff member (onBehalfOf), its type is DCM 110150 Application and agent 2 is
 *   the staff id (`urn:medledger:staff`, assigner = the org), requestor false (FHIR
 *   allows one initiator). A consent that granted the access is in agent 1's `policy`;
 * - source: the serving node (identifier `urn:medledger:node`), site = its org, type 4;
 * - entity: the patient (type 1 Person, role 1 Patient) and the record (type 2 System
 *   Object, role 4 Domain Resource), both identifier references.
 */
export function toFhirAuditEvent(e: AccessEvent, source: AuditSource): FhirResource {
  const purposeOfEvent = [concept(purposeCoding(e.purpose))];
  if (e.outcome === 'emergency') purposeOfEvent.push(concept(coding(SYSTEM.actReason, 'BTG', 'break the glass')));
  const ev: FhirResource = {
    resourceType: 'AuditEvent',
    id: e.txHash,
    type: coding(SYSTEM.dicom, '110110', 'Patient Record'),
    subtype: [coding(SYSTEM.restfulInteraction, INTERACTION[e.action]), coding(SYSTEM.accessAction, e.action)],
    action: ACTION_CODE[e.action],
    recorded: fhirInstant(e.time),
    outcome: e.outcome === 'denied' ? '4' : '0',
    outcomeDesc: outcomeDesc(e),
    purposeOfEvent,
    agent: agents(e),
    source: {
      site: source.org,
      observer: { type: 'Device', identifier: { system: SYSTEM.node, value: source.nodeId } },
      type: [coding(SYSTEM.sourceType, '4', 'Application Server')],
    },
    entity: [
      { what: patientRef(e.patient), type: coding(SYSTEM.auditEntityType, '1', 'Person'), role: coding(SYSTEM.objectRole, '1', 'Patient') },
      { what: recordRef(e.recordId), type: coding(SYSTEM.auditEntityType, '2', 'System Object'), role: coding(SYSTEM.objectRole, '4', 'Domain Resource') },
    ],
  };
  if (e.reason !== undefined) ev.extension = [{ url: EMERGENCY_REASON_EXTENSION, valueCode: e.reason }];
  return ev;
}

/**
 * Access events (already filtered and ordered by the caller, e.g. audit_trail newest
 * first) -> FHIR R4 Bundle of type searchset. `total`, when the caller knows it, is the
 * number of matches over every page.
 */
export function toFhirAuditEventBundle(events: readonly AccessEvent[], source: AuditSource, opts: { total?: number } = {}): FhirResource {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(opts.total !== undefined ? { total: opts.total } : {}),
    entry: events.map((e) => ({ resource: toFhirAuditEvent(e, source), search: { mode: 'match' } })),
  };
}
