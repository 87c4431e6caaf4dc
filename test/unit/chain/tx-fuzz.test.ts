/**
 * Seeded mutation fuzzing of the tx edge (SPEC §7: every malformed tx gets a clear error,
 * none crashes the node or changes state). Valid txs of the bench's world (setup and load:
 * every type its mix sends, in a state with orgs, staff, patients, records and consents)
 * are mutated 1-3 times each and sent through what a node does with a tx from a client or a
 * peer: the decoder (shape, size, JCS, hash), admission's state rules, then execution in a
 * block. A failure prints the mutant's number and text; the same seed replays it.
 * A longer search: FUZZ_MUTANTS=100000 FUZZ_SEED=7 npx vitest run test/unit/chain/tx-fuzz.test.ts
 */
import { describe, expect, it } from 'vitest';
import { buildWorld, CHAIN_ID, HANDLERS } from '../../../bench/support.js';
import { StateMachine } from '../../../src/chain/state/index.js';
import { getAccount } from '../../../src/chain/state/keys.js';
import { txHash } from '../../../src/chain/tx.js';
import type { DecodedTx } from '../../../src/chain/types.js';
import { createTxDecoder } from '../../../src/chain/validate-tx.js';
import { AppError, ParamError } from '../../../src/util/errors.js';
import { donorsOf, isCrash, mutantText, Rng, showMutant, type Json } from '../../support/mutate.js';

const MUTANTS = Number(process.env.FUZZ_MUTANTS ?? 4_000);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
/** A longer search takes longer: up to ~2 ms per mutant. */
const TIMEOUT_MS = Math.max(60_000, MUTANTS * 2);
const w = buildWorld({ nodes: 4, txs: 400, accounts: 32 });
const decode = createTxDecoder(HANDLERS, { maxTxBytes: w.genesis.params.maxTxBytes });
const valid = [...w.setup, ...w.load];
const bases: Json[] = [];
for (const type of new Set(valid.map((d) => d.tx.type))) bases.push(...valid.filter((d) => d.tx.type === type).slice(0, 8).map((d) => d.tx as unknown as Json));
const donors = donorsOf(bases);


describe('tx edge under mutation', () => {
  it(`decodes a mutated tx or refuses it with a ParamError/AppError; an accepted one is exactly its input (${MUTANTS} mutants)`, () => {
    const rng = new Rng(SEED);
    let accepted = 0;
    const reasons = new Set<string>();
    for (let i = 0; i < MUTANTS; i++) {
      const text = mutantText(rng.pick(bases), rng, donors);
      const raw = JSON.parse(text) as unknown;
      let d: DecodedTx;
      try {
        d = decode(raw);
      } catch (err) {
        if (isCrash(err) || !(err instanceof ParamError || err instanceof AppError)) throw new Error(`${showMutant(i, text)}\nthrew ${String(err)}`);
        reasons.add(err instanceof AppError ? err.reason : `${err.field}: ${err.problem}`);
        continue;
      }
      accepted++;
      // What a node stores and forwards is the canonical form of exactly what it was sent.
      expect(JSON.parse(d.wire.toString('utf8')), showMutant(i, text)).toEqual(raw);
      expect(d.hash, showMutant(i, text)).toBe(txHash(d.tx));
      expect(d.wire.length).toBeLessThanOrEqual(w.genesis.params.maxTxBytes);
    }
    if (process.env.FUZZ_MUTANTS) console.info(`accepted ${accepted}, refusal kinds ${reasons.size}`);
    // Both sides were exercised: shape-valid mutants (a field from another tx) and refusals
    // of many kinds (a field and its problem, or an AppError's reason).
    expect(accepted).toBeGreaterThan(MUTANTS / 10);
    expect(reasons.size).toBeGreaterThan(50);
  }, TIMEOUT_MS);

  it('a shape-valid mutant is admitted or refused with an AppError/ParamError, and executes to ok or a rule rejection, never an internal error', () => {
    const internal: string[] = [];
    const sm = new StateMachine(HANDLERS, { onInternalError: (err, d) => internal.push(`${d.tx.type} ${d.hash}: ${String(err)}`) });
    const rng = new Rng(SEED + 1);
    const ctx = { chainId: CHAIN_ID, height: w.height + 1, time: w.time + 1000 };
    // Each base at its sender's next nonce, so that mutants get past the nonce rule to the
    // type's own rules (signatures are not checked here: a block's were, before execution).
    const executable = bases.map((b) => {
      const tx = b as { from: string; nonce: number };
      return { ...(b as object), nonce: getAccount(w.state, tx.from)?.nonce ?? tx.nonce } as Json;
    });
    const executableDonors = donorsOf(executable);
    let executed = 0;
    let refusedAtAdmission = 0;
    const outcomes = { ok: 0, rejected: 0, inadmissible: 0 };
    for (let i = 0; i < MUTANTS; i++) {
      const text = mutantText(rng.pick(executable), rng, executableDonors);
      let d: DecodedTx;
      try {
        d = decode(JSON.parse(text));
      } catch {
        continue;
      }
      try {
        sm.admit(w.state, d, ctx);
      } catch (err) {
        if (isCrash(err) || !(err instanceof ParamError || err instanceof AppError)) throw new Error(`${showMutant(i, text)}\nadmission threw ${String(err)}`);
        refusedAtAdmission++;
      }
      // Execution sees it anyway: a peer's block may carry what this node's admission refused.
      const before = w.state.map.size;
      const r = sm.begin(w.state, w.root, ctx).apply(d);
      executed++;
      if ('inadmissible' in r) outcomes.inadmissible++;
      else if (r.receipt.status === 'ok') outcomes.ok++;
      else {
        outcomes.rejected++;
        expect(r.receipt.error?.code, showMutant(i, text)).not.toBe('internal');
      }
      expect(w.state.map.size).toBe(before); // a block in progress never touches the committed state
    }
    if (process.env.FUZZ_MUTANTS) console.info(`executed ${executed}, refused at admission ${refusedAtAdmission}`, outcomes);
    expect(internal).toEqual([]);
    // Every way out was taken: applied, rejected by a rule, left out of the block.
    expect(executed).toBeGreaterThan(MUTANTS / 10);
    expect(refusedAtAdmission).toBeGreaterThan(MUTANTS / 50);
    expect(Math.min(outcomes.ok, outcomes.rejected, outcomes.inadmissible)).toBeGreaterThan(MUTANTS / 200);
  }, TIMEOUT_MS);
});
