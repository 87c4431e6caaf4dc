/**
 * Seeded mutation fuzzing of the files a node reads at start (SPEC §7: a bad config file
 * gets a clear error): config.json through validateConfig and genesis.json through
 * validateGenesis. Each mutant is accepted or refused with the file's own error naming the
 * field; none throws a TypeError-class crash.
 * A longer search: FUZZ_MUTANTS=50000 FUZZ_SEED=7 npx vitest run test/unit/node/home-files-fuzz.test.ts
 */
import { describe, expect, it } from 'vitest';
import { validateGenesis } from '../../../src/chain/genesis.js';
import { ConfigError, DEFAULT_CONFIG, validateConfig } from '../../../src/node/config.js';
import { fuzzParser, type Json } from '../../support/mutate.js';
import { makeGenesis } from './support.js';

const MUTANTS = Number(process.env.FUZZ_MUTANTS ?? 3_000);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const TIMEOUT_MS = Math.max(60_000, MUTANTS * 2);

/** MUTANTS mutants of `base` through `parse`; every throw must be `isOwn`. */
function fuzz(seed: number, base: Json, parse: (raw: unknown) => unknown, isOwn: (err: unknown) => boolean): { accepted: number; refused: number } {
  return fuzzParser(base, { seed, mutants: MUTANTS, parse, refusal: isOwn });
}

describe('home files under mutation', () => {
  it('config.json: every mutant is accepted or refused with a ConfigError naming the field', () => {
    const base = {
      ...DEFAULT_CONFIG,
      rpc: { ...DEFAULT_CONFIG.rpc, port: 8645, tokens: { ['t'.repeat(32)]: ['chain', 'tx'] } },
      p2p: { ...DEFAULT_CONFIG.p2p, peers: ['/ip4/127.0.0.1/tcp/7001/p2p/12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'], meshDegree: 4 },
    } as unknown as Json;
    expect(() => validateConfig(base)).not.toThrow();
    const r = fuzz(SEED, base, (raw) => validateConfig(raw), (err) => err instanceof ConfigError);
    expect(r.refused).toBeGreaterThan(MUTANTS / 3);
    expect(r.accepted).toBeGreaterThan(MUTANTS / 50);
  }, TIMEOUT_MS);

  it('genesis.json: every mutant is accepted or refused with a GenesisError naming the field', () => {
    const base = makeGenesis({ authorities: 4 }).genesis as unknown as Json;
    const r = fuzz(SEED + 1, base, (raw) => validateGenesis(raw), (err) => err instanceof Error && err.name === 'GenesisError');
    expect(r.refused).toBeGreaterThan(MUTANTS / 2);
    expect(r.accepted).toBeGreaterThan(0);
  }, TIMEOUT_MS);
});
