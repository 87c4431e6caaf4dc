import type { Authority } from '../types.js';
import { internedKey } from './interned-keys.js';
import type { AccountState, StateReader, StateValue } from './interface.js';

/**
 * The chain/state key layout (other modules read these keys; keep them exactly):
 *   acct/<account>     -> AccountState
 *   org/<org>          -> OrgState
 *   authorities        -> Authority[] sorted by account (the set that signs the next block)
 *   nodes              -> NodeEntry[] sorted by nodeId (peers allowed to connect)
 *   gov/<proposalId>   -> Tally (open proposals)
 */
/** Built through internedKey: read at admission and execution of every tx (interned-keys.ts). */
export const accountKey: (account: string) => string = internedKey('acct/');
export const orgKey = (org: string): string => `org/${org}`;
export const AUTHORITIES_KEY = 'authorities';
export const NODES_KEY = 'nodes';
export const tallyKey = (proposalId: string): string => `gov/${proposalId}`;

export interface OrgState {
  org: string;
  name: string;
  /** Active (registered, non-revoked) admin accounts, in registration order. */
  admins: string[];
}

export interface NodeEntry {
  nodeId: string;
  org: string;
}

export type Proposal =
  | { action: 'addOrg'; org: string; name: string; admin: string }
  | { action: 'addAuthority'; org: string; account: string; nodeId: string }
  | { action: 'removeAuthority'; account: string }
  | { action: 'addNode'; org: string; nodeId: string }
  | { action: 'removeNode'; nodeId: string };

export interface Tally {
  proposal: Proposal;
  /** Voters in vote order. */
  votes: string[];
}

export function getAccount(reader: StateReader, account: string): AccountState | undefined {
  return reader.get(accountKey(account)) as AccountState | undefined;
}

export function getOrg(reader: StateReader, org: string): OrgState | undefined {
  return reader.get(orgKey(org)) as OrgState | undefined;
}

export function getAuthorities(reader: StateReader): readonly Authority[] {
  return (reader.get(AUTHORITIES_KEY) as Authority[] | undefined) ?? [];
}

export function getNodes(reader: StateReader): readonly NodeEntry[] {
  return (reader.get(NODES_KEY) as NodeEntry[] | undefined) ?? [];
}

export function getTally(reader: StateReader, proposalId: string): Tally | undefined {
  return reader.get(tallyKey(proposalId)) as Tally | undefined;
}

/** BFT quorum of a set of n: floor(2n/3) + 1 (chain/commit.ts). */
export { quorum } from '../commit.js';

/** What a handler or the executor writes through (TxEnv, Overlay). */
export interface StateWriter {
  put(key: string, value: StateValue): void;
  del(key: string): void;
}

// Typed writers: the domain interfaces are JSON but, being interfaces, not assignable
// to JsonValue's index signature.
const json = (v: object): StateValue => v as unknown as StateValue;

export function putAccount(w: StateWriter, a: AccountState): void {
  w.put(accountKey(a.account), json(a));
}

export function putOrg(w: StateWriter, o: OrgState): void {
  w.put(orgKey(o.org), json(o));
}

export function putAuthorities(w: StateWriter, set: readonly Authority[]): void {
  w.put(AUTHORITIES_KEY, json([...set].sort((a, b) => cmp(a.account, b.account))));
}

export function putNodes(w: StateWriter, nodes: readonly NodeEntry[]): void {
  w.put(NODES_KEY, json([...nodes].sort((a, b) => cmp(a.nodeId, b.nodeId))));
}

export function putTally(w: StateWriter, id: string, t: Tally): void {
  w.put(tallyKey(id), json(t));
}

/** Code-unit order, the same on every node (no locale). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
