#!/usr/bin/env node
// medledger devnet: a local N-node network in one terminal.
//
//   npm run devnet                                  # npm run build, then 4 nodes in ./devnet
//   node scripts/devnet.mjs [--nodes N] [--out DIR] [--reset] [--base-port P] [--log-level L]
//
// Creates DIR with `medledger testnet --nodes N --out DIR` when it holds no network yet
// (--reset deletes it first), starts one `medledger start --home DIR/nodeI` process per
// home, prints each node's RPC URL, and follows their logs interleaved, one short line per
// pino JSON line, prefixed "nodeI |". Each node's raw output is also appended to
// DIR/nodeI/node.log. Ctrl-C or SIGTERM stops every node with SIGTERM, waits up to 10 s,
// SIGKILLs what is left, and exits (0 when every node stopped cleanly). A second Ctrl-C
// kills the nodes at once.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const STOP_GRACE_MS = 10_000;

const USAGE = `usage: node scripts/devnet.mjs [--nodes N] [--out DIR] [--reset] [--base-port P] [--log-level L]
  --nodes N       nodes of a new devnet, 1-16 (default 4; an existing DIR keeps its own count)
  --out DIR       where the node homes live (default ./devnet)
  --reset         delete DIR and create a fresh network
  --base-port P   first port of a new devnet: node I gets RPC P+2I and P2P P+2I+1 (default 8645)
  --log-level L   fatal, error, warn, info, debug, trace (default info)`;

function fail(msg, code = 2) {
  process.stderr.write(`devnet: ${msg}\n`);
  process.exit(code);
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        nodes: { type: 'string' }, out: { type: 'string' }, reset: { type: 'boolean' },
        'base-port': { type: 'string' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    fail(`${err.message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const int = (v, name, lo, hi, dflt) => {
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) fail(`--${name} must be an integer from ${lo} to ${hi}\n${USAGE}`);
    return Number(v);
  };
  const logLevel = values['log-level'] ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(logLevel)) fail(`--log-level must be one of fatal, error, warn, info, debug, trace\n${USAGE}`);
  return {
    nodes: int(values.nodes, 'nodes', 1, 16, undefined),
    out: resolve(values.out ?? 'devnet'),
    reset: values.reset === true,
    basePort: int(values['base-port'], 'base-port', 1024, 65000, undefined),
    logLevel,
  };
}

/** Homes DIR/node0 .. DIR/node<k-1> that hold a genesis, in order. */
function existingHomes(dir) {
  if (!existsSync(dir)) return [];
  const found = readdirSync(dir).filter((n) => /^node\d+$/.test(n) && existsSync(join(dir, n, 'genesis.json')));
  const homes = [];
  for (let i = 0; found.includes(`node${i}`); i++) homes.push(join(dir, `node${i}`));
  return homes;
}

// ------------------------------------------------------------------ log formatting

const COLOR = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, s) => (COLOR ? `\x1b[${code}m${s}\x1b[0m` : s);
const NODE_COLORS = [36, 33, 35, 32, 34, 91, 92, 93, 94, 95, 96];
const LEVELS = { 10: ['TRACE', 90], 20: ['DEBUG', 90], 30: ['INFO ', 32], 40: ['WARN ', 33], 50: ['ERROR', 31], 60: ['FATAL', 41] };

function clock(ms) {
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A field value, short: long hex and peer ids cut to 12 characters, objects as compact JSON. */
function short(v) {
  if (typeof v === 'string') {
    const s = /^[0-9a-f]{40,}$/i.test(v) || /^12D3Koo[A-Za-z0-9]{40,}$/.test(v) ? `${v.slice(0, 12)}…` : v;
    return /[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s;
  }
  if (v !== null && typeof v === 'object') {
    if (typeof v.message === 'string' && (v.type !== undefined || v.stack !== undefined)) return short(v.message); // a serialised Error
    const j = JSON.stringify(v, (_k, x) => (typeof x === 'string' && /^[0-9a-f]{40,}$/i.test(x) ? `${x.slice(0, 12)}…` : x));
    return j.length > 160 ? `${j.slice(0, 157)}...` : j;
  }
  return String(v);
}

/** One pino JSON line as `time LEVEL module: msg key=value ...`; anything else as it is. */
export function formatLine(line) {
  if (!line.startsWith('{')) return line;
  let o;
  try {
    o = JSON.parse(line);
  } catch {
    return line;
  }
  if (o === null || typeof o !== 'object' || typeof o.level !== 'number') return line;
  const { level, time, msg, module, pid: _pid, hostname: _host, v: _v, ...rest } = o;
  const [name, color] = LEVELS[level] ?? [String(level).padEnd(5), 0];
  const head = `${paint(90, clock(typeof time === 'number' ? time : Date.now()))} ${paint(color, name)}`;
  const where = module ? `${paint(1, String(module))}: ` : '';
  const fields = Object.entries(rest).map(([k, v]) => `${paint(90, `${k}=`)}${short(v)}`).join(' ');
  return `${head} ${where}${msg ?? ''}${fields ? ` ${fields}` : ''}`;
}

// ------------------------------------------------------------------ processes

function startNode(home, i, logLevel, width) {
  const name = `node${i}`;
  const prefix = paint(NODE_COLORS[i % NODE_COLORS.length], `${name.padEnd(width)} |`);
  const say = (text) => process.stdout.write(`${prefix} ${text}\n`);
  const raw = createWriteStream(join(home, 'node.log'), { flags: 'a' });
  const proc = spawn(process.execPath, [CLI, 'start', '--home', home, '--log-level', logLevel], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C reaches only this script, which then
    // sends each node exactly one SIGTERM.
    detached: true,
  });
  const node = { name, home, proc, say, exit: null, raw };
  node.exited = new Promise((res) => proc.on('exit', (code, signal) => {
    node.exit = { code, signal };
    res(node.exit);
  }));
  for (const stream of [proc.stdout, proc.stderr]) {
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', (line) => {
      raw.write(line + '\n');
      if (line.trim() !== '') say(formatLine(line));
    });
  }
  node.closed = Promise.all([proc.stdout, proc.stderr].map((s) => new Promise((r) => s.once('close', r))));
  say(`started, pid ${proc.pid}`);
  return node;
}

function rpcUrlOf(home) {
  try {
    const c = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8'));
    const host = c.rpc?.host ?? '127.0.0.1';
    const port = c.rpc?.port ?? 8645;
    const scheme = c.rpc?.tls ? 'https' : 'http';
    return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  } catch {
    return 'http://127.0.0.1:8645';
  }
}

async function main() {
  const o = options();
  if (!existsSync(CLI)) fail(`${CLI} is missing: build first (npm run build)`, 1);
  if (o.reset && existsSync(o.out)) {
    rmSync(o.out, { recursive: true, force: true });
    process.stdout.write(`devnet: removed ${o.out}\n`);
  }
  let homes = existingHomes(o.out);
  if (homes.length === 0) {
    const n = o.nodes ?? 4;
    const args = [CLI, 'testnet', '--nodes', String(n), '--out', o.out, '--chain-id', 'medledger-devnet'];
    if (o.basePort !== undefined) args.push('--base-port', String(o.basePort));
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (r.status !== 0) fail(`medledger testnet failed:\n${r.stderr || r.stdout}`, 1);
    homes = existingHomes(o.out);
    process.stdout.write(`devnet: created a ${n}-node network (chain id medledger-devnet) in ${o.out}\n`);
  } else {
    if (o.nodes !== undefined && o.nodes !== homes.length) fail(`${o.out} holds a ${homes.length}-node network; use --reset to create a ${o.nodes}-node one`);
    if (o.basePort !== undefined) process.stdout.write('devnet: --base-port only applies to a new network; keeping the ports in config.json\n');
    process.stdout.write(`devnet: using the ${homes.length}-node network in ${o.out}\n`);
  }

  const width = `node${homes.length - 1}`.length;
  for (const [i, home] of homes.entries()) {
    process.stdout.write(`devnet: node${i} RPC ${rpcUrlOf(home)}  home ${home}\n`);
  }
  process.stdout.write(`devnet: keys in HOME/keys (admin.json, authority.json); Ctrl-C stops every node\n`);
  const nodes = homes.map((h, i) => startNode(h, i, o.logLevel, width));

  let stopping = false;
  let exitCode = 0;
  for (const n of nodes) {
    void n.exited.then(({ code, signal }) => {
      if (stopping) return;
      n.say(`exited unexpectedly (${signal ?? `code ${code}`}); see ${join(n.home, 'node.log')}`);
      exitCode = 1;
      if (nodes.every((m) => m.exit !== null)) {
        process.stdout.write('devnet: every node has exited\n');
        void stop('no nodes left');
      }
    });
  }

  async function stop(why) {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`devnet: ${why}; stopping ${nodes.filter((n) => n.exit === null).length} node(s) (SIGTERM, up to ${STOP_GRACE_MS / 1000} s)\n`);
    const killer = setTimeout(() => {
      for (const n of nodes) {
        if (n.exit === null) {
          n.say(`still running after ${STOP_GRACE_MS / 1000} s: SIGKILL`);
          n.proc.kill('SIGKILL');
          exitCode = 1;
        }
      }
    }, STOP_GRACE_MS);
    for (const n of nodes) if (n.exit === null) n.proc.kill('SIGTERM');
    const exits = await Promise.all(nodes.map((n) => n.exited));
    clearTimeout(killer);
    // Let the last log lines through before exiting.
    await Promise.race([Promise.all(nodes.map((n) => n.closed)), new Promise((r) => setTimeout(r, 1000))]);
    exits.forEach((e, i) => {
      if (e.code !== 0) exitCode = 1;
      nodes[i].say(`stopped (${e.signal ?? `code ${e.code}`})`);
    });
    await Promise.all(nodes.map((n) => new Promise((r) => n.raw.end(r))));
    process.exit(exitCode);
  }

  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
  process.on('SIGINT', () => {
    if (!stopping) return void stop('interrupted');
    process.stdout.write('devnet: second interrupt: killing the nodes now\n');
    for (const n of nodes) if (n.exit === null) n.proc.kill('SIGKILL');
    process.exit(130);
  });
}

// Run as a script (not when a test imports formatLine).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
