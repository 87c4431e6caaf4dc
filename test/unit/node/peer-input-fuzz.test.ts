/**
 * Seeded mutation fuzzing of what peers send (SPEC §7: every malformed p2p message or block
 * gets a clear error or is dropped; none crashes the node or changes state): blocks through
 * ChainService.validateBlock (header rules, each tx's shape and signature, execution),
 * consensus gossip through parseWireMessage, sync messages and commit certificates through
 * their parsers. Each mutant is refused with the parser's own error, or accepted; nothing
 * throws a TypeError-class crash, and the node's head and state do not move.
 * A longer search: FUZZ_MUTANTS=50000 FUZZ_SEED=7 npx vitest run test/unit/node/peer-input-fuzz.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signProposal, signVote, type Vote } from '../../../src/consensus/index.js';
import { compactProposal, ConsensusMessageError, parseWireMessage } from '../../../src/consensus/messages.js';
import { blockHash as hashOfHeader, txRootOf } from '../../../src/chain/block.js';
import { InvalidBlockError, type Executed } from '../../../src/node/chain-service.js';
import { parseCommit, parseHeader } from '../../../src/node/commit-verify.js';
import { parseBlocksRequest, parseBlocksResponse, parseStatus, SyncProtocolError } from '../../../src/node/sync-messages.js';
import type { Block, Commit } from '../../../src/chain/types.js';
import { fuzzParser, type Json } from '../../support/mutate.js';
import { certify, openChain, registerPatient, removeTempDirs, type ChainEnv } from './support.js';

const MUTANTS = Number(process.env.FUZZ_MUTANTS ?? 2_000);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
/** A longer search takes longer: up to ~2 ms per mutant. */
const TIMEOUT_MS = Math.max(60_000, MUTANTS * 2);

let env: ChainEnv;
let peer: ChainEnv;
let judge: ChainEnv;
let block: Block;
let commit: Commit;
let blockHash: string;

beforeAll(async () => {
  env = await openChain({ authorities: 4 });
  peer = await openChain({ authorities: 4 });
  judge = await openChain({ authorities: 4 });
  for (let n = 0; n < 6; n++) env.admission.admit(registerPatient(n));
  const e = env.chain.buildBlock(env.authorities[0]!.account, Date.now());
  block = e.block;
  blockHash = e.hash;
  commit = certify(env, 1, e.hash);
});

afterAll(async () => {
  await env.close();
  await peer.close();
  await judge.close();
  removeTempDirs();
});

/** MUTANTS changed mutants of `base` through `parse`; every throw must be one of `allowed`. */
function fuzz(seed: number, base: Json, parse: (raw: unknown, text: string) => unknown, allowed: ReadonlyArray<new (...a: never[]) => Error>): { accepted: number; refused: number } {
  return fuzzParser(base, { seed, mutants: MUTANTS, parse, refusal: (err) => allowed.some((C) => err instanceof C), skipUnchanged: true });
}

describe('peer input under mutation', () => {
  it('a mutated block is refused with an InvalidBlockError, or what is accepted is a block whose txs match its header; nothing moves', () => {
    const head = peer.chain.head;
    const stateSize = peer.chain.stateReader.map.size;
    expect(judge.chain.validateBlock(block, { maxClockDriftMs: null, now: Date.now(), proposer: null }).hash).toBe(blockHash);
    // A node that validated a block answers a block with the same header from that validation,
    // whatever txs come with it: what it accepts is always the header's own block.
    const validate = (raw: unknown): Executed => {
      const e = peer.chain.validateBlock(raw as Block, { maxClockDriftMs: 5_000, now: block.header.time, proposer: null }); // as if it arrived when built: the drift rule applies to mutated times only
      expect(hashOfHeader(e.block.header)).toBe(e.hash);
      expect(txRootOf(e.decoded.map((d) => d.wire))).toBe(e.block.header.txRoot);
      expect(e.decoded.every((d) => d.verified)).toBe(true);
      return e;
    };
    const r = fuzz(SEED, block as unknown as Json, validate, [InvalidBlockError]);
    if (process.env.FUZZ_MUTANTS) console.info(r);
    expect(r.refused).toBeGreaterThan(MUTANTS / 2);
    // Once validated here, the header's own block answers for any txs sent with that header.
    const valid = validate(block);
    expect(validate({ header: block.header, txs: [] })).toBe(valid);
    expect(peer.chain.head).toBe(head);
    expect(peer.chain.stateReader.map.size).toBe(stateSize);
    expect(peer.mempool.size).toBe(0);
  }, TIMEOUT_MS);

  it('a mutated consensus message is refused with a message naming the problem', () => {
    const [a] = env.authorities;
    const vote: Vote = signVote(env.genesis.chainId, { type: 'precommit', height: 1, round: 0, blockHash, validator: a!.account }, a!.secretKey);
    const proposal = signProposal(env.genesis.chainId, { height: 1, round: 0, polRound: -1, block, blockHash, proposer: a!.account }, a!.secretKey);
    const wire = { kind: 'proposal', proposal: compactProposal(proposal, block.txs.map((_, i) => String(i).padStart(64, 'a'))) } as unknown as Json;
    // parseWireMessage's own envelope errors are plain Errors with a message; JSON's are SyntaxErrors.
    const parse = (_raw: unknown, text: string): unknown => parseWireMessage(Buffer.from(text), 10_000);
    for (const base of [{ kind: 'vote', vote } as unknown as Json, wire]) {
      const r = fuzz(SEED + 1, base, parse, [ConsensusMessageError, SyntaxError, Error]);
      expect(r.refused).toBeGreaterThan(MUTANTS / 2);
    }
  }, TIMEOUT_MS);

  it('mutated sync messages, headers and commit certificates are refused with a message naming the problem', () => {
    const status = { height: 1, hash: blockHash } as Json;
    const request = { from: 1, count: 10 } as Json;
    const response = { blocks: [{ block, commit }] } as unknown as Json;
    // [base, parser, its errors, the least share of mutants it must refuse]
    const cases: Array<[Json, (raw: unknown) => unknown, ReadonlyArray<new (...a: never[]) => Error>, number]> = [
      [status, parseStatus, [SyncProtocolError], 1 / 4],
      [request, parseBlocksRequest, [SyncProtocolError], 1 / 4],
      // Shape only: the blocks' contents are validateBlock's (above), so most mutants pass here.
      [response, (raw) => parseBlocksResponse(raw, 1, 10), [SyncProtocolError], 1 / 20],
      // The chain service calls these on a synced block's header and certificate; their errors are plain Errors.
      [block.header as unknown as Json, parseHeader, [Error], 1 / 4],
      [commit as unknown as Json, parseCommit, [Error], 1 / 4],
    ];
    cases.forEach(([base, parse, allowed, share], i) => {
      const r = fuzz(SEED + 2 + i, base, (raw) => parse(raw), allowed);
      expect(r.refused, `case ${i}`).toBeGreaterThan(MUTANTS * share);
    });
  }, TIMEOUT_MS);
});
