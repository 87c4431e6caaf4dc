#!/usr/bin/env node
// medledger perf-attribution: where the whole machine's CPU goes during `medledger bench`.
//
//   node scripts/perf-attribution.mjs [--delay 25] [--seconds 15] [-- BENCH ARGS...]
//
// Starts the bench (this checkout's build) with its nodes under --perf-basic-prof, waits
// --delay seconds (past boot, setup and warm-up), samples every CPU with Linux `perf record
// -a -g` for --seconds, and prints the share of all samples by process (nodes, bench client,
// idle, other), by thread (a node's main thread or its helpers: V8's GC and compiler
// threads, libuv's pool, LevelDB) and by kind of leaf frame (Ed25519 in libsodium, GC,
// compiler, Map lookups, JSON, LevelDB, kernel, libc, JIT code, V8 builtins).
//
// Unlike V8's --cpu-prof, which samples a thread's wall clock and cannot see other threads,
// this counts real CPU time of every thread, kernel work included (syscalls, loopback TCP,
// page faults, fdatasync). It does not attribute samples to JS callers: V8 moves and reuses
// code, so perf's JIT symbols go stale and call chains through JIT code are unreliable.
// Needs `perf` and permission to sample all CPUs (root, or perf_event_paranoid <= 0).
// Default bench: 10,000 warm-up then 60,000 txs, long enough that the sample falls in the load.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const USAGE = 'usage: node scripts/perf-attribution.mjs [--delay S] [--seconds S] [-- bench args]';

let parsed;
try {
  parsed = parseArgs({
    options: { delay: { type: 'string', default: '25' }, seconds: { type: 'string', default: '15' }, help: { type: 'boolean' } },
    allowPositionals: true,
  });
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const delay = Number(values.delay);
const seconds = Number(values.seconds);
if (!(delay >= 0 && delay <= 600) || !(seconds > 0 && seconds <= 120)) {
  console.error(`--delay must be 0..600 and --seconds 1..120\n${USAGE}`);
  process.exit(2);
}
if (spawnSync('perf', ['--version']).status !== 0) {
  console.error('perf is not installed (Debian: apt-get install linux-perf)');
  process.exit(2);
}

const startedAt = Date.now();
const work = mkdtempSync(join(tmpdir(), 'ml-perf-'));
const benchArgs = positionals.length > 0 ? positionals : ['--warmup', '10000', '--txs', '60000'];
const bench = spawn(process.execPath, [CLI, 'bench', ...benchArgs, '--out', join(work, 'out')], {
  env: { ...process.env, MEDLEDGER_BENCH_NODE_ARGS: `${process.env.MEDLEDGER_BENCH_NODE_ARGS ?? ''} --perf-basic-prof`.trim() },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let benchOut = '';
bench.stdout.on('data', (d) => { benchOut += d; });
const benchDone = new Promise((r) => bench.on('exit', (code) => r(code)));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await sleep(delay * 1000);
const data = join(work, 'perf.data');
console.log(`sampling every CPU for ${seconds} s ...`);
const rec = spawnSync('perf', ['record', '-F', '499', '-a', '-g', '-o', data, '--', 'sleep', String(seconds)], { encoding: 'utf8' });
if (rec.status !== 0) {
  console.error(`perf record failed: ${rec.stderr.trim()}`);
  bench.kill('SIGINT');
  process.exit(1);
}
const code = await benchDone;
const tpsLine = benchOut.split('\n').find((l) => l.startsWith('tps')) ?? '(no tps line: did the bench fail?)';
const nodePids = new Set();
const script = spawnSync('perf', ['script', '-i', data, '-F', 'comm,pid,tid,ip,sym,dso'], { encoding: 'utf8', maxBuffer: 1 << 30 });
if (script.status !== 0) {
  console.error(`perf script failed: ${(script.stderr ?? String(script.error)).trim().slice(0, 500)}`);
  process.exit(1);
}
// V8 writes them to /tmp whatever TMPDIR says.
for (const f of readdirSync('/tmp')) {
  // The JIT symbol maps the bench's nodes wrote (perf-<pid>.map), not older ones.
  const m = /^perf-(\d+)\.map$/.exec(f);
  if (m && statSync(join('/tmp', f)).mtimeMs >= startedAt) nodePids.add(Number(m[1]));
}

/** Kind of the leaf frame (and of the few frames under a generic leaf). */
const KINDS = [
  ['Ed25519 verify/sign (libsodium)', (s, d) => d.includes('sodium-native')],
  ['GC', (s) => /Scaveng|Marking|Sweep|MarkCompact|Heap::|Evacuat|RecordWrite|Factory::AllocateRaw|SizeFromMap|PagedSpace|SlotSet/.test(s)],
  ['compiler', (s) => /compiler::|[Mm]aglev|[Tt]urboshaft|CodeGenerator|Assembler|RegisterAllocat|Parser|Scanner|BytecodeGenerator|interpreter::/.test(s)],
  ['Map/Set lookups, string hashing', (s) => /OrderedHash|ComputeAndSetRawHash|StringEqual|SlowEquals|MapPrototype|SetPrototype|SlowFlatten|StringTable/.test(s)],
  ['JSON', (s) => /Json/.test(s)],
  ['LevelDB', (s, d) => d.includes('classic-level') || /leveldb|snappy/.test(s)],
  ['kernel', (s, d) => d.includes('kernel')],
  ['libc/libstdc++', (s, d) => d.includes('libc') || d.includes('libstdc')],
  ['JIT code', (s, d) => d.startsWith('/tmp/perf-') || d.includes('JIT') || s.startsWith('JS:')],
  ['V8 builtins', (s) => s.startsWith('Builtins_')],
  ['V8/Node other', () => true],
];
const GENERIC = new Set(['kernel', 'libc/libstdc++', 'V8 builtins', 'V8/Node other']);
const CALLER_KINDS = KINDS.filter(([k]) => k === 'GC' || k === 'Map/Set lookups, string hashing');
const by = { process: new Map(), thread: new Map(), kind: new Map() };
const add = (m, k) => m.set(k, (m.get(k) ?? 0) + 1);
let total = 0;
let head = null;
let frames = [];
const flush = () => {
  if (head === null) return;
  total++;
  const idle = head.comm === 'swapper';
  const isNode = nodePids.has(head.pid);
  const isBench = !isNode && head.pid === bench.pid;
  add(by.process, idle ? 'idle' : isNode ? 'nodes' : isBench ? 'bench client' : `other (${head.comm})`);
  if (isNode) {
    add(by.thread, head.pid === head.tid ? 'node main threads' : 'node helper threads');
    const [sym = '', dso = ''] = frames[0] ?? [];
    let kind = KINDS.find(([, f]) => f(sym, dso))[0];
    // A generic leaf (memcpy, a builtin, a syscall) counts as GC or a Map lookup when one of its callers is.
    if (GENERIC.has(kind)) {
      const under = frames.slice(1, 6).map(([s, d]) => CALLER_KINDS.find(([, f]) => f(s, d))).find(Boolean);
      if (under) kind = under[0];
    }
    add(by.kind, kind);
  }
  head = null;
  frames = [];
};
for (const line of script.stdout.split('\n')) {
  if (line.trim() === '') { flush(); continue; }
  if (!/^\s/.test(line)) {
    const m = /^(\S.*?)\s+(\d+)\/(\d+)/.exec(line);
    head = m ? { comm: m[1], pid: Number(m[2]), tid: Number(m[3]) } : null;
    continue;
  }
  const m = /^\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$/.exec(line);
  if (m) frames.push([m[1], m[2]]);
}
flush();

const show = (title, m) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1])) console.log(`${(100 * v / total).toFixed(1).padStart(6)}%  ${k}`);
};
console.log(`\nbench exit ${code}: ${tpsLine}`);
console.log(`${total} samples over ${seconds} s; shares are of all CPU time of the machine`);
show('by process', by.process);
show('node processes, by thread', by.thread);
show('node processes, by leaf frame', by.kind);
for (const pid of nodePids) rmSync(join('/tmp', `perf-${pid}.map`), { force: true });
rmSync(work, { recursive: true, force: true });
