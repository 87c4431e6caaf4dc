/**
 * An in-memory chain with the bench's world (used by bench/*.bench.ts and by
 * test/unit/bench/plan.test.ts): genesis with one org, admin and authority per node,
 * the setup phases of `medledger bench` executed block by block through the real
 * StateMachine (membership, governance and records handlers) over a MapState, and
 * the load signed and decoded, ready to execute.
 */
import { generateKeyPair } from '../src/chain/ed25519.js';
import { genesisBlock, genesisState, validateGenesis } from '../src/chain/genesis.js';
import { chainHandlers, MapState, StateMachine, type ApplyResult, type BlockResult } from '../src/chain/state/index.js';
import { decodeTx, signTx } from '../src/chain/tx.js';
import type { DecodedTx, Genesis } from '../src/chain/types.js';
import { recordHandlers } from '../src/records/index.js';
import { buildPlan, type Plan } from '../src/bench/plan.js';
import { setupPhases } from '../src/bench/setup.js';

export const CHAIN_ID = 'medledger-bench';
export const T0 = 1_700_000_000_000;
export const HANDLERS = [...chainHandlers, ...recordHandlers];

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** A syntactically valid libp2p peer id. */
export function peerId(i: number): string {
  return '12D3KooW' + 'A'.repeat(42) + B58[Math.floor(i / 58) % 58] + B58[i % 58];
}

export interface World {
  genesis: Genesis;
  state: MapState;
  sm: StateMachine;
  plan: Plan;
  root: string;
  height: number;
  time: number;
  /** The setup's txs (membership, governance, records, consents), decoded, as committed. */
  setup: DecodedTx[];
  /** The load, signed and decoded, in plan order. */
  load: DecodedTx[];
  /** Executes txs as the next block and commits it to `state`. */
  block(txs: DecodedTx[]): { applied: ApplyResult[]; result: BlockResult };
  /** Executes txs as the next block without committing it. */
  dryRun(txs: DecodedTx[]): { applied: ApplyResult[]; result: BlockResult };
}

export function buildWorld(o: { nodes: number; txs: number; accounts: number; seed?: number }): World {
  const orgs = Array.from({ length: o.nodes }, (_, i) => ({ org: `org${i}`, admin: generateKeyPair(), authority: generateKeyPair() }));
  const genesis = validateGenesis({
    chainId: CHAIN_ID, time: T0,
    orgs: orgs.map((x) => ({ org: x.org, name: `Hospital ${x.org}`, admins: [x.admin.account] })),
    authorities: orgs.map((x, i) => ({ account: x.authority.account, org: x.org, nodeId: peerId(i) })),
  });
  const state = new MapState();
  state.apply(genesisState(genesis));
  const plan = buildPlan({ chainId: CHAIN_ID, orgs: [...orgs.map((x) => x.org), 'lab'], nodes: o.nodes, txs: o.txs, accounts: o.accounts, seed: o.seed ?? 1, time: T0 });
  const w: World = {
    genesis, state, sm: new StateMachine(HANDLERS), plan, root: genesisBlock(genesis).header.stateRoot, height: 0, time: T0, setup: [], load: [],
    dryRun(txs) {
      const ex = w.sm.begin(w.state, w.root, { chainId: CHAIN_ID, height: w.height + 1, time: w.time + 1000 });
      const applied = txs.map((t) => ex.apply(t));
      return { applied, result: ex.finish() };
    },
    block(txs) {
      const r = w.dryRun(txs);
      w.state.apply(r.result.writes);
      w.root = r.result.stateRoot;
      w.height++;
      w.time += 1000;
      return r;
    },
  };
  const phases = setupPhases({
    chainId: CHAIN_ID, orgs: orgs.map((x) => ({ org: x.org, admin: x.admin })), authorities: orgs.map((x) => x.authority),
    newOrg: { org: 'lab', name: 'Bench Reference Lab', admin: generateKeyPair() }, plan,
  });
  for (const phase of phases) {
    const txs = phase.txs.map((t) => decodeTx(t.tx));
    w.setup.push(...txs);
    const { applied } = w.block(txs);
    for (const a of applied) {
      if ('inadmissible' in a) throw new Error(`setup (${phase.what}): inadmissible: ${a.inadmissible.message}`);
      if (a.receipt.status !== 'ok') throw new Error(`setup (${phase.what}): rejected: ${JSON.stringify(a.receipt.error)}`);
    }
  }
  const secret = new Map([...plan.staff, ...plan.patients].map((a) => [a.account, a.secretKey] as const));
  w.load = plan.load.map((t) => decodeTx(signTx(t.body, secret.get(t.body.from)!)));
  return w;
}
