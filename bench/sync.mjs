#!/usr/bin/env node
// Sync-rate benchmark: how fast a node that starts from an empty data directory catches
// up with a chain (docs/operations.md, "Catching up").
//
//   npm run bench:sync                 # npm run build, then this with the defaults
//   node bench/sync.mjs [--txs M=20000] [--per-block K=100] [--out DIR=./bench-out] [--seed S=1] [--keep]
//
// 1. A fresh 4-node testnet (4 orgs, 4 authorities) in a temp dir on free loopback ports.
// 2. Nodes 0-2 start (3 of 4 authorities: a quorum). The bench's own setup runs (governance
//    adds an org, admins register staff and patients, records and consents), then the
//    bench's realistic load of M signed txs (80% access.log, 15% record.anchor, 5%
//    consent.grant) goes in through JSON-RPC batches of tx_send with at most K txs in
//    flight, so blocks hold at most about K txs each (M / K blocks or more). The bench's
//    genesis sets timeoutProposeMs to 1 s (default 3 s): node 3 is a proposer too, and
//    its heights wait out that timeout while it is down.
// 3. Node 3 starts from an empty data directory. It fetches every block from its peers
//    (p2p `blocks` protocol, up to 100 per request) and, for each one, verifies the commit
//    certificate (Ed25519 precommit signatures of a quorum of the authority set), checks
//    and signature-verifies every tx, re-executes the block and checks txRoot, stateRoot
//    and validatorsHash before one atomic LevelDB commit. The bench measures from its first
//    blocks request to the block that reaches the others' height, from node 3's own log
//    lines, and node 3's CPU seconds over that window (/proc).
// 4. Checks: node 3 holds the same block hash at the target height, its
//    medledger_txs_committed_total equals the chain's txs and
//    medledger_txs_committed_unverified_total is 0 (it verified every signature itself).
//
// Prints a table and writes DIR/sync-report.json. Exit 0 when node 3 caught up and every
// check held, 1 otherwise.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const CLI = join(DIST, 'cli', 'main.js');
const CHAIN_ID = 'medledger-syncbench';
const NODES = 4;
const PROPOSE_TIMEOUT_MS = 1000;

async function load(rel) {
  const p = join(DIST, rel);
  try {
    statSync(p);
  } catch {
    throw new Error(`${p} is missing: build first (npm run build)`);
  }
  return import(pathToFileURL(p).href);
}

const USAGE = `usage: node bench/sync.mjs [--txs M] [--per-block K] [--out DIR] [--seed S] [--keep]
  --txs M        load txs committed before the sync (default 20000)
  --per-block K  at most K load txs in flight, hence about K per block (default 100)
  --out DIR      where sync-report.json goes (default ./bench-out)
  --seed S       seed of the load mix (default 1)
  --keep         keep the temp dir (homes and each node's node.log)`;

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: { txs: { type: 'string' }, 'per-block': { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`bench:sync: ${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (v, name, lo, hi, dflt) => {
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) {
      process.stderr.write(`bench:sync: --${name} must be an integer from ${lo} to ${hi}\n${USAGE}\n`);
      process.exit(2);
    }
    return Number(v);
  };
  return {
    txs: int(values.txs, 'txs', 100, 1_000_000, 20_000),
    perBlock: int(values['per-block'], 'per-block', 1, 5_000, 100),
    out: resolve(values.out ?? 'bench-out'),
    seed: int(values.seed, 'seed', 0, 2 ** 31, 1),
    keep: values.keep === true,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);
const log = (msg) => process.stderr.write(`${msg}\n`);

function dirBytes(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

/** A node process; `lines` gets each line of its stderr (pino JSON) when given. */
function startNode(home, logLevel, onLine) {
  const logFile = join(home, 'node.log');
  const fd = openSync(logFile, 'a');
  const proc = spawn(process.execPath, [CLI, 'start', '--home', home, '--log-level', logLevel], { stdio: ['ignore', fd, onLine ? 'pipe' : fd] });
  closeSync(fd);
  const n = { home, proc, logFile, exit: null };
  n.exited = new Promise((r) => proc.on('exit', (code, signal) => r((n.exit = { code, signal }))));
  if (onLine) {
    const out = openSync(logFile, 'a');
    createInterface({ input: proc.stderr, crlfDelay: Infinity }).on('line', (line) => {
      try {
        writeSync(out, `${line}\n`);
      } catch { /* the log file is best effort */ }
      onLine(line);
    });
    void n.exited.then(() => setTimeout(() => closeSync(out), 500));
  }
  return n;
}

function logTail(n, bytes = 1500) {
  try {
    return readFileSync(n.logFile, 'utf8').slice(-bytes).trim() || '(empty)';
  } catch {
    return '(no log)';
  }
}

async function stopNode(n) {
  if (n.exit !== null) return n.exit;
  n.proc.kill('SIGTERM');
  const t = setTimeout(() => n.proc.kill('SIGKILL'), 12_000);
  const e = await n.exited;
  clearTimeout(t);
  return e;
}

async function main() {
  const o = options();
  const { createNetwork, homePaths } = await load('node/home.js');
  const { readKeyFile } = await load('node/keyfile.js');
  const { generateKeyPair } = await load('chain/ed25519.js');
  const { benchConfig, freePorts, procCpuSeconds: cpuSeconds, procStatusKB } = await load('bench/cluster.js');
  const peakRssMB = (pid) => { const kb = procStatusKB(pid, 'VmHWM'); return kb === null ? null : Math.round(kb / 102.4) / 10; };
  const { buildPlan } = await load('bench/plan.js');
  const { runSetup, waitForHeight } = await load('bench/setup.js');
  const { signAll } = await load('bench/sign.js');
  const { drive } = await load('bench/driver.js');
  const { ProgressReporter } = await load('bench/progress.js');
  const { rpcCall, rpcBatch, getText, parsePrometheus } = await load('bench/rpc.js');
  const { defaultAccounts } = await load('bench/run.js');

  const startedAt = Date.now();
  const tmp = mkdtempSync(join(tmpdir(), 'medledger-syncbench-'));
  const nodes = [];
  const ac = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log('bench:sync: interrupted; stopping the nodes');
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const cores = availableParallelism();
  let ok = false;
  try {
    // ---------------------------------------------------------------- network
    const ports = await freePorts(2 * NODES);
    const specs = Array.from({ length: NODES }, (_, i) => ({
      home: join(tmp, `node${i}`), org: `org${i}`, orgName: `Sync Bench Hospital ${i}`,
      rpc: { host: '127.0.0.1', port: ports[2 * i] }, p2p: { host: '127.0.0.1', port: ports[2 * i + 1] },
    }));
    await createNetwork(CHAIN_ID, specs);
    const homes = specs.map((s) => homePaths(s.home));
    for (const p of homes) {
      // Node 3, a round-robin proposer, is down during the load: every 4th height waits
      // out its propose timeout. 1 s instead of the default 3 s only shortens the load
      // phase; the sync does not depend on it.
      const g = JSON.parse(readFileSync(p.genesis, 'utf8'));
      g.params = { ...g.params, timeoutProposeMs: PROPOSE_TIMEOUT_MS };
      writeFileSync(p.genesis, JSON.stringify(g, null, 2) + '\n');
      // As `medledger bench`: warn-level logs, a mempool that holds the whole load, each node's share of cores.
      const cfg = benchConfig(JSON.parse(readFileSync(p.config, 'utf8')), o.txs, NODES);
      writeFileSync(p.config, JSON.stringify(cfg, null, 2) + '\n');
    }
    const urls = specs.map((s) => `http://127.0.0.1:${s.rpc.port}`);
    const liveUrls = urls.slice(0, NODES - 1);
    log(`bench:sync: ${NODES}-node testnet in ${tmp}; starting nodes 0-${NODES - 2} (${NODES - 1} of ${NODES} authorities, a quorum)`);
    for (let i = 0; i < NODES - 1; i++) nodes.push(startNode(homes[i].home, 'warn'));
    const check = () => {
      for (const [i, n] of nodes.entries()) if (n.exit !== null) throw new Error(`node ${i} exited (${n.exit.signal ?? `code ${n.exit.code}`}); log tail:\n${logTail(n)}`);
    };

    // ---------------------------------------------------------------- plan, signing, health
    const orgs = [...specs.map((s) => s.org), 'lab'];
    const plan = buildPlan({ chainId: CHAIN_ID, orgs, nodes: NODES - 1, txs: o.txs, accounts: defaultAccounts(o.txs), seed: o.seed, time: startedAt });
    const secretOf = new Map([...plan.staff, ...plan.patients].map((a) => [a.account, a.secretKey]));
    const waitHealthy = async () => {
      const end = Date.now() + 60_000;
      for (;;) {
        check();
        ac.signal.throwIfAborted();
        const st = await Promise.all(liveUrls.map((u) => getText(`${u}/health`).then((r) => r.status, () => 0)));
        if (st.every((s) => s === 200)) return;
        if (Date.now() > end) throw new Error(`nodes not healthy within 60 s (/health: ${st.join(', ')})`);
        await sleep(200);
      }
    };
    const [signed] = await Promise.all([
      signAll(plan.load.map((t) => t.body), plan.load.map((t) => secretOf.get(t.body.from)), cores, ac.signal),
      waitHealthy(),
    ]);

    // ---------------------------------------------------------------- setup and load
    const setup = await runSetup({
      chainId: CHAIN_ID, urls: liveUrls,
      orgs: specs.map((s, i) => ({ org: s.org, admin: readKeyFile(homes[i].adminKey) })),
      authorities: homes.map((p) => readKeyFile(p.authorityKey)),
      newOrg: { org: 'lab', name: 'Sync Bench Lab', admin: generateKeyPair() },
      plan, signal: ac.signal, log,
    });
    log(`bench:sync: setup committed ${setup.txs} txs (height ${setup.height}); load: ${o.txs} txs, at most ${o.perBlock} in flight`);
    const progress = new ProgressReporter(process.stderr);
    const loadStart = Date.now();
    const result = await drive({
      urls: liveUrls, jsons: signed.jsons, hashes: signed.hashes, nodeOf: plan.load.map((t) => t.node),
      inflight: o.perBlock, rate: null, batch: Math.min(100, o.perBlock), pipeline: 4, startHeight: setup.height, stallMs: 30_000,
      signal: ac.signal, check, progress: (p) => progress.update(p), warn: (m) => progress.line(`warning: ${m}`),
    });
    progress.done();
    const committedLoad = result.committedAt.reduce((n, t) => n + (t > 0 ? 1 : 0), 0);
    const failedLoad = Object.values(result.errors).reduce((a, b) => a + b, 0);
    log(`bench:sync: load done in ${((Date.now() - loadStart) / 1000).toFixed(1)} s: ${committedLoad} committed, ${failedLoad} refused`);

    // ---------------------------------------------------------------- the chain to sync
    const head = await rpcCall(urls[0], 'chain_head');
    const target = head.header.height;
    await waitForHeight(liveUrls, target, 30_000, ac.signal);
    let chainTxs = 0;
    let precommits = 0;
    let chainJsonBytes = 0;
    let maxTxs = 0;
    for (let h = 1; h <= target; h += 10) {
      const hs = Array.from({ length: Math.min(10, target - h + 1) }, (_, i) => h + i);
      const res = await rpcBatch(urls[0], hs.map((height) => ({ method: 'chain_getBlock', params: { height } })), ac.signal);
      for (const r of res) {
        if (r.error) throw new Error(`chain_getBlock: ${r.error.message}`);
        chainTxs += r.result.txs.length;
        maxTxs = Math.max(maxTxs, r.result.txs.length);
        precommits += r.result.commit.signatures.length;
        chainJsonBytes += JSON.stringify({ block: { header: r.result.header, txs: r.result.txs.map((t) => t.tx) }, commit: r.result.commit }).length;
      }
    }
    log(`bench:sync: chain to sync: ${target} blocks, ${chainTxs} txs, ${precommits} precommit signatures, ${(chainJsonBytes / 1048576).toFixed(1)} MiB as sync messages`);
    await sleep(1000); // let the three nodes settle (gossip, mempools emptied)

    // ---------------------------------------------------------------- node 3 from empty
    const syncLines = [];
    let startedLog = null;
    const t0 = Date.now();
    const syncing = startNode(homes[NODES - 1].home, 'info', (line) => {
      if (!line.startsWith('{')) return;
      let j;
      try {
        j = JSON.parse(line);
      } catch {
        return;
      }
      if (j.msg === 'synced blocks') syncLines.push({ time: j.time, from: j.from, applied: j.applied, ms: j.ms, peer: j.peer });
      else if (j.msg === 'node started') startedLog = j.time;
    });
    nodes.push(syncing);
    const pid = syncing.proc.pid;
    const cpuSamples = [];
    const sampler = setInterval(() => {
      const c = cpuSeconds(pid);
      if (c !== null) cpuSamples.push([Date.now(), c]);
    }, 25);
    let caughtUpAt = null;
    let syncHead = 0;
    const deadline = Date.now() + Math.max(120_000, target * 1000);
    while (caughtUpAt === null) {
      check();
      ac.signal.throwIfAborted();
      if (Date.now() > deadline) throw new Error(`node ${NODES - 1} did not reach height ${target} within ${(deadline - t0) / 1000} s (at ${syncHead}); log tail:\n${logTail(syncing)}`);
      try {
        syncHead = (await rpcCall(urls[NODES - 1], 'chain_head')).header.height;
        if (syncHead >= target) caughtUpAt = Date.now();
      } catch { /* RPC not up yet */ }
      if (caughtUpAt === null) await sleep(20);
    }
    const cpuAtCaughtUp = cpuSeconds(pid);
    clearInterval(sampler);
    await sleep(300); // the last log lines
    const last = syncLines.at(-1);
    const first = syncLines[0];
    if (!first || !last) throw new Error('node 3 logged no "synced blocks" lines');
    const windowStart = first.time - first.ms;
    const windowEnd = last.time;
    const windowS = (windowEnd - windowStart) / 1000;
    const syncedBlocks = syncLines.reduce((n, l) => n + l.applied, 0);
    const cpuAt = (t) => {
      let best = null;
      for (const [ts, c] of cpuSamples) if (ts <= t) best = c;
      return best ?? cpuSamples[0]?.[1] ?? null;
    };
    const cpuWindow = cpuAt(windowEnd + 25) !== null && cpuAt(windowStart) !== null ? cpuAt(windowEnd + 25) - cpuAt(windowStart) : null;

    // ---------------------------------------------------------------- checks
    const [h0, h3] = await Promise.all([0, NODES - 1].map((i) => rpcCall(urls[i], 'chain_getBlock', { height: target })));
    const metrics = parsePrometheus((await getText(`${urls[NODES - 1]}/metrics`)).text);
    const committed3 = metrics.get('medledger_txs_committed_total') ?? null;
    const unverified3 = metrics.get('medledger_txs_committed_unverified_total') ?? null;
    const sameHash = h0.hash === h3.hash;
    const signaturesVerified = committed3 === chainTxs && unverified3 === 0;
    const dataBytes = dirBytes(join(homes[NODES - 1].home, 'data'));

    const report = {
      version: (await load('version.js')).VERSION,
      startedAt, startedAtIso: new Date(startedAt).toISOString(),
      machine: { cpus: cores, model: cpus()[0]?.model ?? null, memoryMB: Math.round(totalmem() / 1048576), node: process.version, platform: process.platform },
      chain: { nodes: NODES, running: NODES - 1, height: target, txs: chainTxs, setupTxs: setup.txs, loadTxs: o.txs, loadCommitted: committedLoad, loadRefused: failedLoad, maxTxsPerBlock: maxTxs, avgTxsPerBlock: round(chainTxs / target, 1), precommitSignatures: precommits, timeoutProposeMs: PROPOSE_TIMEOUT_MS, syncJsonMB: round(chainJsonBytes / 1048576, 1), perBlock: o.perBlock, seed: o.seed },
      sync: {
        blocks: syncedBlocks,
        txs: chainTxs,
        durationS: round(windowS, 3),
        blocksPerS: round(syncedBlocks / windowS, 1),
        txsPerS: round(chainTxs / windowS, 0),
        requests: syncLines.length,
        cpuSeconds: round(cpuWindow, 2),
        cpuSecondsTotal: cpuAtCaughtUp,
        processStartToCaughtUpS: round((caughtUpAt - t0) / 1000, 2),
        processStartToRpcS: startedLog !== null ? round((startedLog - t0) / 1000, 2) : null,
        peakRssMB: peakRssMB(pid),
        dataDirMB: round(dataBytes / 1048576, 1),
        sameHashAtTarget: sameHash,
        txsCommitted: committed3,
        txsCommittedUnverified: unverified3,
        signaturesVerified,
        what: 'node 3 from an empty data directory: every block fetched over p2p, its commit certificate verified against the authority set, every tx shape-checked and Ed25519-verified, the block re-executed (txRoot, stateRoot, validatorsHash checked), one atomic LevelDB commit per block',
        window: 'from the first blocks request (first "synced blocks" log time minus its ms) to the log time of the batch that reached the target height',
      },
      batches: syncLines.map((l) => ({ from: l.from, applied: l.applied, ms: l.ms })),
    };
    mkdirSync(o.out, { recursive: true });
    const file = join(o.out, 'sync-report.json');
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n');

    const rows = [
      ['chain', `${target} blocks, ${chainTxs} txs (avg ${report.chain.avgTxsPerBlock}/block, max ${maxTxs}), ${report.chain.syncJsonMB} MiB`],
      ['sync time', `${windowS.toFixed(2)} s (${syncLines.length} requests; process start to caught up ${report.sync.processStartToCaughtUpS} s)`],
      ['blocks/s', String(report.sync.blocksPerS)],
      ['tx/s', String(report.sync.txsPerS)],
      ['CPU seconds', `${report.sync.cpuSeconds} in the window (${cpuAtCaughtUp} since process start), ${cores} CPUs`],
      ['peak RSS', `${report.sync.peakRssMB} MB; data dir ${report.sync.dataDirMB} MiB`],
      ['same block hash', String(sameHash)],
      ['signatures verified', `${signaturesVerified} (committed ${committed3}, unverified ${unverified3})`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`\nsync of a fresh node (every commit certificate verified, every tx signature-verified and re-executed)\n`);
    for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
    process.stdout.write(`report: ${file}\n`);
    ok = sameHash && signaturesVerified && syncedBlocks === target;
  } catch (err) {
    log(`bench:sync: ${interrupted ? 'interrupted' : `failed: ${err.message}`}`);
  } finally {
    await Promise.all(nodes.map(stopNode));
    if (o.keep) log(`bench:sync: kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(interrupted ? 130 : ok ? 0 : 1);
}

await main();
