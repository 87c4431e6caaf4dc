import { formatPhases } from '../../bench/height-phases.js';
import { DEFAULT_INFLIGHT, defaultAccounts, defaultWarmup, runBench, type BenchOptions } from '../../bench/run.js';
import { minAccounts } from '../../bench/plan.js';
import { machineDrift, storeSummary } from '../../bench/report.js';
import { intFlag, parse, strFlag, UsageError } from '../args.js';

export const BENCH_USAGE = `medledger bench [--nodes N] [--txs M] [--warmup W] [--inflight K] [--rate R] [--out DIR] [--accounts A] [--batch B] [--block-window MS] [--min-block-interval MS] [--seed S] [--keep]
  Starts N node processes on a fresh testnet in a temp dir, registers load accounts, records
  and consents, sends M signed txs (80% access.log, 15% record.anchor, 5% consent.grant)
  through JSON-RPC batches, and writes DIR/report.json, report.svg and report.html.
  --nodes N      node processes (default 4)
  --txs M        load transactions (default 20000)
  --warmup W     txs sent first (as fast as the in-flight cap allows, also with --rate) and
                 not counted, so the nodes' code is compiled (default 1.5 M, at most 30000; 0 = none)
  --inflight K   at most K submitted but not committed (default 2000; with --rate, no cap unless given)
  --rate R       submit at R tx/s instead
  --out DIR      where the report goes (default ./bench-out)
  --accounts A   load senders (default M/50, from 16 to 256)
  --batch B      tx_send calls per HTTP request (default 100, at most 100)
  --block-window MS  the nodes' batching window, config blockWindowMs (default the node's, 50):
                 at a low --rate a larger one makes fewer, larger blocks, for less CPU per tx
  --min-block-interval MS  no proposal sooner than this after the head block's time unless
                 the block is full, config minBlockIntervalMs (default the node's, 200; 0 = none)
  --seed S       seed of the load mix (default 1)
  --keep         keep the temp dir (homes, node logs)
  --stall-s S    stop when no load tx commits for S seconds (default 30)`;

/** `medledger bench`: see BENCH_USAGE and docs/bench.md. Exit 0 when every load tx committed and all nodes agree. */
export async function bench(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    nodes: { type: 'string' }, txs: { type: 'string' }, inflight: { type: 'string' }, rate: { type: 'string' }, out: { type: 'string' },
    warmup: { type: 'string' }, accounts: { type: 'string' }, batch: { type: 'string' }, seed: { type: 'string' }, keep: { type: 'boolean' }, 'stall-s': { type: 'string' }, 'block-window': { type: 'string' }, 'min-block-interval': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(BENCH_USAGE + '\n');
    return 0;
  }
  const txs = intFlag(values.txs, 'txs', 20_000, 1, 10_000_000);
  const warmup = intFlag(values.warmup, 'warmup', defaultWarmup(txs), 0, 10_000_000);
  const rate = values.rate === undefined ? null : intFlag(values.rate, 'rate', 0, 1, 1_000_000);
  const inflight = values.inflight === undefined && rate !== null ? null : intFlag(values.inflight, 'inflight', DEFAULT_INFLIGHT, 1, 10_000_000);
  const nodes = intFlag(values.nodes, 'nodes', 4, 1, 32);
  // Every org (one per node, plus the one governance adds) needs a staff member.
  const least = minAccounts(nodes + 1);
  const accounts = intFlag(values.accounts, 'accounts', Math.max(defaultAccounts(txs), least), 2, 100_000);
  if (accounts < least) throw new UsageError(`--accounts ${accounts} is too few for ${nodes} nodes: at least ${least} are needed`);
  const o: BenchOptions = {
    nodes, txs, warmup, inflight, rate, accounts,
    out: strFlag(values.out, 'out') ?? './bench-out',
    batch: intFlag(values.batch, 'batch', 100, 1, 100),
    seed: intFlag(values.seed, 'seed', 1, 0, 2 ** 31 - 1),
    stallMs: intFlag(values['stall-s'], 'stall-s', 30, 1, 3600) * 1000,
    keep: values.keep === true,
    blockWindowMs: values['block-window'] === undefined ? null : intFlag(values['block-window'], 'block-window', 0, 0, 10_000),
    minBlockIntervalMs: values['min-block-interval'] === undefined ? null : intFlag(values['min-block-interval'], 'min-block-interval', 0, 0, 60_000),
  };

  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    process.stderr.write(`\nmedledger bench: ${sig}, stopping the nodes (again to force)\n`);
    ac.abort(new Error(`interrupted by ${sig}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { report: r, files } = await runBench(o, process.stderr, ac.signal);
    process.stdout.write([
      ...(r.warmup ? [`warm-up ${r.warmup.committed} txs in ${r.warmup.durationS} s (${r.warmup.tps} tx/s), not counted below`] : []),
      `nodes ${r.nodes}, txs ${r.txs}, committed ${r.committed}${r.failed ? `, refused ${r.failed}` : ''} in ${r.durationS} s`,
      `tps ${r.tps} (steady state, ${r.window.method}), latency p50 ${r.latencyMs.p50} ms, p95 ${r.latencyMs.p95} ms, p99 ${r.latencyMs.p99} ms`,
      `block time ${r.blockTimeMs} ms, ${r.blocks} blocks, ${r.avgTxsPerBlock} txs per block on average`,
      ...(r.heightPhasesMs ? [`height phases, ms per height (mean of nodes): ${formatPhases(r.heightPhasesMs)}`] : []),
      `verify limit ${r.verifyLimitTps} tx/s (${r.machine.cpus} CPUs × ${r.machine.verifyPerSecPerCore}/s ÷ ${r.nodes} nodes); share ${(r.shareOfVerifyLimit * 100).toFixed(1)}%`,
      ...storeSummary(r.perNode),
      ...machineDrift(r.machine),
      `signaturesVerified ${r.signaturesVerified}, same final hash on every node ${r.sameFinalHash} (height ${r.finalHeight})`,
      `report: ${files.json}, ${files.svg}, ${files.html}`,
    ].join('\n') + '\n');
    if (!r.sameFinalHash) {
      process.stderr.write('medledger bench: the nodes do not agree on the final block\n');
      return 1;
    }
    if (r.committed < r.txs) {
      process.stderr.write(`medledger bench: only ${r.committed} of ${r.txs} load txs were committed\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    if (ac.signal.aborted) {
      process.stderr.write('medledger bench: interrupted; nodes stopped\n');
      return 130;
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

