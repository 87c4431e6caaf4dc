#!/usr/bin/env node
// medledger bench-ab: compare the CPU cost per tx of two builds on a machine whose speed drifts.
//
//   node scripts/bench-ab.mjs --a HEAD~3 [--b .] [--rounds 3] [-- BENCH ARGS...]
//
// A and B are git revisions (built in a temporary worktree that shares this checkout's
// node_modules) or directories holding a built dist/cli/main.js (default B: this checkout,
// which must be built). Each round runs `medledger bench` of both AT THE SAME TIME, so both
// see the same machine speed, and prints node CPU per tx (sum of the nodes' CPU seconds
// in the load window / committed txs / nodes) and client CPU per tx. The tps of such a
// run means little (each bench gets about half the machine); the CPU per tx is what a
// change saves. Bench args default to the bench's defaults (4 nodes, 20,000 txs).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'usage: node scripts/bench-ab.mjs --a REV|DIR [--b REV|DIR] [--rounds N] [-- bench args]';

const { values, positionals } = parseArgs({
  options: { a: { type: 'string' }, b: { type: 'string', default: '.' }, rounds: { type: 'string', default: '3' }, help: { type: 'boolean' } },
  allowPositionals: true,
});
if (values.help || !values.a) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) {
  console.error(`--rounds must be an integer 1..50, not ${values.rounds}\n${USAGE}`);
  process.exit(2);
}

const cleanups = [];
/** The CLI of a build: DIR/dist/cli/main.js, or a git revision built in a temporary worktree. */
function cliOf(spec) {
  const dir = resolve(spec);
  if (existsSync(join(dir, 'dist', 'cli', 'main.js'))) return join(dir, 'dist', 'cli', 'main.js');
  if (existsSync(dir) && spec !== '.') throw new Error(`${dir} holds no dist/cli/main.js: build it first`);
  if (spec === '.') throw new Error('this checkout is not built: npm run build');
  const wt = mkdtempSync(join(tmpdir(), 'ml-ab-'));
  const git = (args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const add = git(['worktree', 'add', '--detach', wt, spec]);
  if (add.status !== 0) {
    rmSync(wt, { recursive: true, force: true });
    throw new Error(`${spec} is neither a built directory nor a git revision: ${add.stderr.trim()}`);
  }
  cleanups.push(() => { git(['worktree', 'remove', '--force', wt]); rmSync(wt, { recursive: true, force: true }); });
  symlinkSync(join(ROOT, 'node_modules'), join(wt, 'node_modules'));
  console.log(`building ${spec} in ${wt} ...`);
  const build = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: wt, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building ${spec} failed:\n${build.stdout}${build.stderr}`);
  return join(wt, 'dist', 'cli', 'main.js');
}

function runBench(cli, out) {
  return new Promise((resolveRun, reject) => {
    const p = spawn(process.execPath, [cli, 'bench', ...positionals, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => (code === 0 ? resolveRun(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))) : reject(new Error(`bench of ${cli} exited ${code}: ${err.slice(-500)}`))));
  });
}

/** Node CPU µs per tx, client CPU µs per tx, and whether the run is valid at all. */
function costOf(r) {
  const nodeCpu = r.perNode.reduce((s, n) => s + n.loadCpuSeconds, 0);
  return {
    node: (nodeCpu / r.committed / r.perNode.length) * 1e6,
    client: (r.client.cpuSeconds / r.committed) * 1e6,
    ok: r.signaturesVerified === true && r.sameFinalHash === true && r.committed === r.txs,
  };
}

try {
  const a = cliOf(values.a);
  const b = cliOf(values.b);
  const out = mkdtempSync(join(tmpdir(), 'ml-ab-out-'));
  cleanups.push(() => rmSync(out, { recursive: true, force: true }));
  const ratios = [];
  for (let i = 1; i <= rounds; i++) {
    const [ra, rb] = await Promise.all([runBench(a, join(out, `a${i}`)), runBench(b, join(out, `b${i}`))]);
    const [ca, cb] = [costOf(ra), costOf(rb)];
    if (!ca.ok || !cb.ok) throw new Error(`round ${i}: a run did not commit every tx on every node with every signature verified`);
    ratios.push(cb.node / ca.node);
    console.log(`round ${i}/${rounds}: node CPU per tx A ${ca.node.toFixed(0)} µs, B ${cb.node.toFixed(0)} µs (B/A ${(cb.node / ca.node).toFixed(3)}); client A ${ca.client.toFixed(0)}, B ${cb.client.toFixed(0)} µs`);
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  console.log(`B/A node CPU per tx: median ${sorted[Math.floor(sorted.length / 2)].toFixed(3)}, range ${sorted[0].toFixed(3)}-${sorted[sorted.length - 1].toFixed(3)} over ${rounds} rounds`);
} catch (err) {
  console.error(err.message);
  process.exitCode = 1;
} finally {
  for (const c of cleanups.reverse()) c();
}
