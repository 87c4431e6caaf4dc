import { signTx } from '../chain/tx.js';
import type { KeyPair } from '../chain/ed25519.js';
import type { Tx, TxBody, TxType } from '../chain/types.js';
import type { Plan } from './plan.js';
import { rpcBatch, rpcCall } from './rpc.js';

/**
 * The setup phase (not measured): the authorities vote a new org in by governance,
 * every org's admin registers its load staff and some patients, admins anchor the
 * setup records, and every patient grants its setup consent. Each step is sent as
 * JSON-RPC batches of tx_send with wait: true and must commit with an ok receipt.
 */

export interface SetupOrg { org: string; admin: KeyPair }
export interface SetupOptions {
  chainId: string;
  urls: string[];
  /** The testnet's orgs with their admins, and the authorities' keys. */
  orgs: SetupOrg[];
  authorities: KeyPair[];
  /** The org governance adds, with its new admin. */
  newOrg: { org: string; name: string; admin: KeyPair };
  plan: Plan;
  signal?: AbortSignal;
  log: (msg: string) => void;
}

const BATCH = 100;

class Signer {
  private readonly nonces = new Map<string, number>();
  private txs: Array<{ tx: Tx; type: TxType }> = [];
  constructor(private readonly chainId: string) {}
  add(kp: KeyPair, type: TxType, payload: Record<string, unknown>): void {
    const nonce = this.nonces.get(kp.account) ?? 0;
    this.nonces.set(kp.account, nonce + 1);
    const body: TxBody = { chainId: this.chainId, type, from: kp.account, nonce, payload };
    this.txs.push({ tx: signTx(body, kp.secretKey), type });
  }
  take(): Array<{ tx: Tx; type: TxType }> {
    const out = this.txs;
    this.txs = [];
    return out;
  }
}

/** Sends txs in batches (with wait) and insists on an ok receipt for each. Returns the highest commit height. */
export async function sendAndWait(url: string, txs: Array<{ tx: unknown; type: string }>, what: string, signal?: AbortSignal): Promise<number> {
  const chunks: Array<typeof txs> = [];
  for (let i = 0; i < txs.length; i += BATCH) chunks.push(txs.slice(i, i + BATCH));
  const results = await Promise.all(chunks.map((c) => rpcBatch(url, c.map((t) => ({ method: 'tx_send', params: { tx: t.tx, wait: true } })), signal)));
  let height = 0;
  results.flat().forEach((r, i) => {
    if (r.error) throw new Error(`setup (${what}): tx_send of ${txs[i]!.type} refused: ${r.error.code} ${r.error.message}${r.error.data?.reason ? ` (${r.error.data.reason})` : ''}`);
    const res = r.result as { height: number; receipt: { status: string; error?: { code: string; message: string } } };
    if (res.receipt.status !== 'ok') throw new Error(`setup (${what}): ${txs[i]!.type} was rejected: ${res.receipt.error?.code}: ${res.receipt.error?.message}`);
    height = Math.max(height, res.height);
  });
  return height;
}

/** Waits until every node's head is at least `height` (so each admits the load against the setup state). */
export async function waitForHeight(urls: string[], height: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const heads = await Promise.all(urls.map((u) => rpcCall<{ header: { height: number } }>(u, 'chain_head')));
    if (heads.every((h) => h.header.height >= height)) return;
    if (Date.now() > end) throw new Error(`nodes did not all reach height ${height} within ${timeoutMs / 1000} s (heads: ${heads.map((h) => h.header.height).join(', ')})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface SetupPhase {
  what: string;
  txs: Array<{ tx: Tx; type: TxType }>;
}

/**
 * The setup txs, signed, in phases that must commit in order: governance adds the new
 * org (just enough authorities, floor(2n/3)+1, vote: one more vote would be rejected),
 * admins register staff and patients, then admins anchor the setup records and every
 * patient grants its setup consent (nonce 0; the plan's patients start the load at 1).
 */
export function setupPhases(o: Pick<SetupOptions, 'chainId' | 'orgs' | 'authorities' | 'newOrg' | 'plan'>): SetupPhase[] {
  const s = new Signer(o.chainId);
  const phases: SetupPhase[] = [];
  const quorum = Math.floor((2 * o.authorities.length) / 3) + 1;
  const proposal = { action: 'addOrg', org: o.newOrg.org, name: o.newOrg.name, admin: o.newOrg.admin.account };
  for (const a of o.authorities.slice(0, quorum)) s.add(a, 'gov.vote', { proposal });
  phases.push({ what: `${quorum} of ${o.authorities.length} authorities vote addOrg ${o.newOrg.org}`, txs: s.take() });

  const admins = new Map<string, KeyPair>([...o.orgs.map((x) => [x.org, x.admin] as const), [o.newOrg.org, o.newOrg.admin]]);
  const adminOf = (org: string): KeyPair => {
    const a = admins.get(org);
    if (!a) throw new Error(`setup: no admin for org ${org}`);
    return a;
  };
  const { staff, patients, records, consents } = o.plan;
  staff.forEach((m, i) => s.add(adminOf(m.registeredBy), 'member.register', { account: m.account, role: m.role, name: `Bench ${m.role} ${i}` }));
  for (const p of patients) s.add(adminOf(p.registeredBy), 'member.register', { account: p.account, role: 'patient' });
  phases.push({ what: `admins register ${staff.length} staff and ${patients.length} patients`, txs: s.take() });

  records.forEach((r, i) => s.add(adminOf(r.custodian), 'record.anchor', {
    recordId: r.recordId, patient: r.patient, recordType: r.recordType,
    contentHash: `sha256:${i.toString(16).padStart(8, '0').repeat(8)}`,
  }));
  const byAccount = new Map(patients.map((p) => [p.account, p] as const));
  for (const c of consents) s.add(byAccount.get(c.patient)!, 'consent.grant', { grantee: c.grantee, scope: {}, purpose: 'TREAT' });
  phases.push({ what: `admins anchor ${records.length} records, patients grant ${consents.length} consents`, txs: s.take() });
  return phases;
}

export async function runSetup(o: SetupOptions): Promise<{ txs: number; height: number }> {
  let count = 0;
  let height = 0;
  for (const phase of setupPhases(o)) {
    o.log(`setup: ${phase.what}`);
    count += phase.txs.length;
    height = Math.max(height, await sendAndWait(o.urls[0]!, phase.txs, phase.what, o.signal));
  }
  await waitForHeight(o.urls, height, 30_000, o.signal);
  return { txs: count, height };
}
