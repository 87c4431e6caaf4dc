import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { generateKeyPair } from '../../../src/chain/ed25519.js';
import { blockHash, validatorsHash } from '../../../src/chain/block.js';
import { DEFAULT_PARAMS, genesisBlock, genesisState, validateGenesis } from '../../../src/chain/genesis.js';
import { GENESIS_PREV_ROOT, stateRoot } from '../../../src/chain/state/index.js';
import { loadVector } from '../../support/vectors.js';
import { peerId } from './state/fixtures.js';

const edge = loadVector('ed25519-edge.json').cases as Array<{ name: string; account: string }>;
const smallOrder = edge.find((c) => c.name.startsWith('small-order'))!.account;
const offCurve = edge.find((c) => c.name.includes('not on the curve'))!.account;

const adminN = generateKeyPair().account;
const adminS = generateKeyPair().account;
const auth0 = generateKeyPair().account;
const auth1 = generateKeyPair().account;

function raw(): any {
  return {
    chainId: 'medledger-dev',
    time: 1_700_000_000_000,
    orgs: [
      { org: 'north', name: 'North Hospital', admins: [adminN] },
      { org: 'south', name: 'South Hospital', admins: [adminS] },
    ],
    authorities: [
      { account: auth0, org: 'north', nodeId: peerId(0) },
      { account: auth1, org: 'south', nodeId: peerId(1) },
    ],
  };
}

function refused(mut: (g: any) => void, pattern: RegExp): void {
  const g = raw();
  mut(g);
  expect(() => validateGenesis(g)).toThrow(pattern);
}

describe('validateGenesis', () => {
  it('accepts a valid genesis, filling params from the defaults and dropping unknown top-level fields', () => {
    const g = validateGenesis({ ...raw(), comment: 'made by medledger testnet', params: { maxBlockTxs: 100 } });
    expect(g.params).toEqual({ ...DEFAULT_PARAMS, maxBlockTxs: 100 });
    expect(g).not.toHaveProperty('comment');
    expect(g.orgs).toHaveLength(2);
    expect(validateGenesis(raw()).params).toEqual(DEFAULT_PARAMS);
  });
  it('DEFAULT_PARAMS', () => {
    expect(DEFAULT_PARAMS).toEqual({ maxBlockTxs: 5000, maxTxBytes: 65536, maxBlockBytes: 3 * 1024 * 1024, timeoutProposeMs: 3000, timeoutDeltaMs: 500, emptyBlockIntervalMs: 0 });
  });
  it('not an object', () => {
    expect(() => validateGenesis([])).toThrow(/genesis\.\(root\): must be an object/);
    expect(() => validateGenesis(null)).toThrow(/must be an object/);
  });
  it('chainId', () => {
    refused((g) => { delete g.chainId; }, /genesis\.chainId: must be a string/);
    refused((g) => { g.chainId = 'bad chain'; }, /genesis\.chainId: must be 1-64 characters/);
    refused((g) => { g.chainId = 'x'.repeat(65); }, /genesis\.chainId/);
  });
  it('time', () => {
    refused((g) => { g.time = 1.5; }, /genesis\.time: must be a non-negative integer/);
    refused((g) => { g.time = '2024-01-01'; }, /genesis\.time/);
    refused((g) => { g.time = -1; }, /genesis\.time/);
  });
  it('orgs', () => {
    refused((g) => { g.orgs = []; }, /genesis\.orgs: must have at least 1 item/);
    refused((g) => { g.orgs[1].org = 'South'; }, /genesis\.orgs\[1\]\.org: must be 2-32 characters of \[a-z0-9-\]/);
    refused((g) => { g.orgs[1].org = 'north'; }, /genesis\.orgs\[1\]\.org: org north appears more than once/);
    refused((g) => { g.orgs[0].name = ''; }, /genesis\.orgs\[0\]\.name: must be 1-128 characters/);
    refused((g) => { g.orgs[0].admins = []; }, /genesis\.orgs\[0\]\.admins: must have at least 1 item/);
    refused((g) => { g.orgs[0].city = 'x'; }, /genesis\.orgs\[0\]\.city: unknown field/);
  });
  it('admin keys: small-order and off-curve keys are refused', () => {
    refused((g) => { g.orgs[0].admins = [smallOrder]; }, /genesis\.orgs\[0\]\.admins\[0\]: is a small-order Ed25519 point/);
    refused((g) => { g.orgs[0].admins = [offCurve]; }, /genesis\.orgs\[0\]\.admins\[0\]: is not a valid Ed25519 point/);
    refused((g) => { g.orgs[0].admins = [adminN.toUpperCase()]; }, /must be 64 lowercase hex/);
  });
  it('an account appears once (one role per account)', () => {
    refused((g) => { g.orgs[1].admins = [adminN]; }, /genesis\.orgs\[1\]\.admins\[0\]: account .* appears more than once/);
    refused((g) => { g.authorities[0].account = adminS; }, /genesis\.authorities\[0\]\.account: account .* appears more than once/);
  });
  it('authorities', () => {
    refused((g) => { g.authorities = []; }, /genesis\.authorities: must have at least 1 item/);
    refused((g) => { delete g.authorities; }, /genesis\.authorities: must be an array/);
    refused((g) => { g.authorities[0].account = smallOrder; }, /genesis\.authorities\[0\]\.account: is a small-order Ed25519 point/);
    refused((g) => { g.authorities[1].org = 'east'; }, /genesis\.authorities\[1\]\.org: org east is not in genesis\.orgs/);
    refused((g) => { g.authorities[1].nodeId = ''; }, /genesis\.authorities\[1\]\.nodeId: must not be empty/);
    refused((g) => { g.authorities[1].nodeId = 7; }, /genesis\.authorities\[1\]\.nodeId: must be a string/);
    refused((g) => { g.authorities[1].nodeId = 'node-1'; }, /genesis\.authorities\[1\]\.nodeId: must be a libp2p peer id/);
    refused((g) => { g.authorities[1].nodeId = peerId(0); }, /genesis\.authorities\[1\]\.nodeId: node .* runs another authority/);
    refused((g) => { g.authorities[1].power = 10; }, /genesis\.authorities\[1\]\.power: unknown field/);
  });
  it('params: integers in range, no unknown names', () => {
    refused((g) => { g.params = 5; }, /genesis\.params: must be an object/);
    refused((g) => { g.params = { maxBlockTxs: 0 }; }, /genesis\.params\.maxBlockTxs: must be between 1 and 100000/);
    refused((g) => { g.params = { maxTxBytes: 1_000_000 }; }, /genesis\.params\.maxTxBytes: must be between 1024 and 65536/);
    refused((g) => { g.params = { timeoutProposeMs: 1.5 }; }, /genesis\.params\.timeoutProposeMs: must be an integer/);
    refused((g) => { g.params = { maxBlockTx: 10 }; }, /genesis\.params\.maxBlockTx: unknown field/);
  });
});

describe('genesisState', () => {
  it('orgs with admins, admin and authority accounts, the authority set and the node list', () => {
    const g = validateGenesis(raw());
    const w = genesisState(g);
    expect(w.get('org/north')).toEqual({ org: 'north', name: 'North Hospital', admins: [adminN] });
    expect(w.get(`acct/${adminS}`)).toEqual({ account: adminS, role: 'admin', org: 'south', nonce: 0, revoked: false, height: 0 });
    expect(w.get(`acct/${auth1}`)).toEqual({ account: auth1, role: 'authority', org: 'south', nonce: 0, revoked: false, height: 0 });
    const sorted = [{ account: auth0, org: 'north', nodeId: peerId(0) }, { account: auth1, org: 'south', nodeId: peerId(1) }]
      .sort((a, b) => (a.account < b.account ? -1 : 1));
    expect(w.get('authorities')).toEqual(sorted);
    expect(w.get('nodes')).toEqual([{ nodeId: peerId(0), org: 'north' }, { nodeId: peerId(1), org: 'south' }]);
    expect(w.size).toBe(2 + 2 + 2 + 2);
  });
});

describe('genesisBlock', () => {
  it('height 0, no proposer, empty txRoot, stateRoot of the genesis writes, validator hashes', () => {
    const g = validateGenesis(raw());
    const { header, hash } = genesisBlock(g);
    expect(header).toEqual({
      chainId: 'medledger-dev',
      height: 0,
      prevHash: '0'.repeat(64),
      time: 1_700_000_000_000,
      txRoot: createHash('sha256').update('').digest('hex'),
      stateRoot: stateRoot(GENESIS_PREV_ROOT, genesisState(g)),
      proposer: '',
      validatorsHash: validatorsHash([auth0, auth1]),
      nextValidatorsHash: validatorsHash([auth0, auth1]),
    });
    expect(hash).toBe(blockHash(header));
    expect(genesisBlock(validateGenesis(raw())).hash).toBe(hash);
  });
  it('any change of genesis changes the block hash', () => {
    const a = genesisBlock(validateGenesis(raw())).hash;
    const g = raw();
    g.orgs[0].name = 'North General';
    expect(genesisBlock(validateGenesis(g)).hash).not.toBe(a);
  });
});
