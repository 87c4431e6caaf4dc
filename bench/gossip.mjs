#!/usr/bin/env node
// Gossip-cost micro-benchmark: process CPU per gossip message between two peers on the
// node's real p2p stack (src/p2p: TCP, Noise, yamux, gossipsub, with the adjustments of
// libp2p-factory.ts), both in this process, so the figure covers sending AND receiving.
//
//   npm run build && node bench/gossip.mjs [--size BYTES=200] [--count N=3000] [--gap-ms MS=2] [--rounds R=2]
//
// Peer A publishes N messages of SIZE bytes on the consensus topic, one every GAP ms (each
// its own frame and TCP read, as votes are); peer B accepts them. Each round prints CPU
// µs per message (user + system, all threads, from process.cpuUsage) and how many arrived.
// The figure includes the timer of the send loop itself (~100 µs per message on the
// development VM: compare builds with the same GAP, interleaved, never across machines).
// Consensus votes are ~200-400 bytes; tx batches ~50 KB (100 txs).
import { parseArgs } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DIST = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist');
const USAGE = 'usage: node bench/gossip.mjs [--size BYTES] [--count N] [--gap-ms MS] [--rounds R]';

let values;
try {
  ({ values } = parseArgs({ options: { size: { type: 'string', default: '200' }, count: { type: 'string', default: '3000' }, 'gap-ms': { type: 'string', default: '2' }, rounds: { type: 'string', default: '2' } } }));
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
const size = Number(values.size);
const count = Number(values.count);
const gapMs = Number(values['gap-ms']);
const rounds = Number(values.rounds);
if (![size, count, rounds].every((n) => Number.isInteger(n) && n > 0) || !Number.isInteger(gapMs) || gapMs < 0 || size > 900_000) {
  console.error(`--size (1..900000), --count and --rounds must be positive integers, --gap-ms a non-negative integer\n${USAGE}`);
  process.exit(2);
}

await import(pathToFileURL(join(DIST, 'polyfill.js')).href);
const { createNetwork, generateNodeKey } = await import(pathToFileURL(join(DIST, 'p2p', 'index.js')).href);
const { silentLogger } = await import(pathToFileURL(join(DIST, 'util', 'logger.js')).href);

const log = silentLogger();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const [ka, kb] = await Promise.all([generateNodeKey(), generateNodeKey()]);
const allowedPeers = [ka.peerId, kb.peerId];
const start = async (key, peers) => {
  const net = await createNetwork({ chainId: 'medledger-gossipbench', listen: '127.0.0.1:0', peers, privateKey: key.privateKey, allowedPeers, requestTimeoutMs: 3000 }, log);
  await net.start();
  return net;
};
const a = await start(ka, []);
const b = await start(kb, [a.listenAddrs().find((s) => s.includes('/127.0.0.1/'))]);
let got = 0;
b.onGossip('consensus', () => { got++; return 'accept'; });
a.onGossip('consensus', () => 'accept');
// Subscriptions travel first: probe until one message arrives.
for (let i = 0; got === 0; i++) {
  if (i === 400) { console.error('the peers did not exchange gossip within 20 s'); process.exit(1); }
  a.publish('consensus', Buffer.from(`probe-${i}`));
  await sleep(50);
}

console.log(`gossip between two peers in one process: ${count} messages of ${size} bytes, one every ${gapMs} ms`);
for (let r = 1; r <= rounds; r++) {
  got = 0;
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const data = Buffer.alloc(size, 97);
    data.write(`${r}:${i}:`); // distinct content: gossip ids are content hashes
    a.publish('consensus', data);
    if (gapMs > 0) await sleep(gapMs);
  }
  for (let waited = 0; got < count && waited < 10_000; waited += 5) await sleep(5);
  const cpu = process.cpuUsage(before);
  console.log(`round ${r}: ${got}/${count} delivered, ${((cpu.user + cpu.system) / count).toFixed(0)} µs CPU per message (system ${(cpu.system / count).toFixed(0)})`);
}
await Promise.all([a.stop(), b.stop()]);
