import { describe, expect, it } from 'vitest';
import { bench } from '../../../src/cli/commands/bench.js';
import { UsageError } from '../../../src/cli/args.js';
import { defaultAccounts, defaultWarmup, senderPipeline } from '../../../src/bench/run.js';
import { accountSplit, minAccounts } from '../../../src/bench/plan.js';
import { benchConfig } from '../../../src/bench/cluster.js';

describe('medledger bench flags', () => {
  it('refuses bad flags before starting anything', async () => {
    await expect(bench(['--nodes', '0'])).rejects.toThrow(/--nodes must be an integer from 1 to 32/);
    await expect(bench(['--txs', 'many'])).rejects.toThrow(/--txs/);
    await expect(bench(['--batch', '101'])).rejects.toThrow(/--batch must be an integer from 1 to 100/);
    await expect(bench(['--accounts', '4'])).rejects.toThrow(/too few for 4 nodes/);
    await expect(bench(['--accounts', '5'])).rejects.toThrow(/--accounts 5 is too few for 4 nodes: at least 6 are needed/);
    await expect(bench(['--rate', '0'])).rejects.toBeInstanceOf(UsageError);
    await expect(bench(['--warmup', '-1'])).rejects.toThrow(/--warmup/);
    await expect(bench(['--bogus'])).rejects.toBeInstanceOf(UsageError);
    await expect(bench(['--block-window', 'soon'])).rejects.toThrow(/--block-window must be an integer from 0 to 10000/);
    await expect(bench(['--block-window', '10001'])).rejects.toThrow(/--block-window must be an integer from 0 to 10000/);
  });

  it('--block-window goes into every node\'s config as blockWindowMs; without it the node keeps its default', () => {
    const base = { rpc: { host: '127.0.0.1', port: 1 }, blockWindowMs: 50 };
    expect(benchConfig(base, 1000, 4, 2, { blockWindowMs: 250, minBlockIntervalMs: 200 })).toMatchObject({ rpc: base.rpc, blockWindowMs: 250, minBlockIntervalMs: 200, verifyWorkers: 0, logLevel: 'warn' });
    expect(benchConfig(base, 1000, 4, 2)).toMatchObject({ blockWindowMs: 50 });
    expect(benchConfig({}, 1000, 4, 2)).not.toHaveProperty('blockWindowMs');
  });

  it('the fewest accounts leave one staff member per org (nodes + 1 orgs)', () => {
    expect(minAccounts(5)).toBe(6);
    expect(minAccounts(17)).toBe(21);
    expect(accountSplit(minAccounts(17)).staff).toBeGreaterThanOrEqual(17);
    expect(accountSplit(minAccounts(17) - 1).staff).toBeLessThan(17);
  });

  it('default warm-up: 1.5 M txs, at most 30,000', () => {
    expect(defaultWarmup(20_000)).toBe(30_000);
    expect(defaultWarmup(100_000)).toBe(30_000);
    expect(defaultWarmup(300)).toBe(450);
    expect(defaultWarmup(1)).toBe(2);
  });

  it('default accounts: one per 50 txs, 16 to 256', () => {
    expect(defaultAccounts(20_000)).toBe(256);
    expect(defaultAccounts(300)).toBe(16);
    expect(defaultAccounts(2000)).toBe(40);
  });

  it('a sender may have its node\'s share of the in-flight cap (or of a second of --rate) in requests at once, at least 4', () => {
    expect(senderPipeline({ nodes: 1, batch: 100, inflight: 4000, rate: null })).toBe(40);
    expect(senderPipeline({ nodes: 4, batch: 100, inflight: 2000, rate: null })).toBe(5);
    expect(senderPipeline({ nodes: 4, batch: 100, inflight: 200, rate: null })).toBe(4);
    expect(senderPipeline({ nodes: 2, batch: 10, inflight: null, rate: 3000 })).toBe(150);
    expect(senderPipeline({ nodes: 4, batch: 100, inflight: null, rate: 200 })).toBe(4);
    expect(senderPipeline({ nodes: 3, batch: 100, inflight: 1000, rate: 6000 })).toBe(20);
  });
});
