import { afterEach, describe, expect, it } from 'vitest';
import { RequestError, type Network } from '../../../src/p2p/index.js';
import { Cluster, addrOf, captureLogger, collect, dec, enc, sleep, waitFor, warmUp } from './helpers.js';

const cluster = new Cluster();
afterEach(async () => { await cluster.stopAll(); });

const ids = (...ks: { peerId: string }[]): string[] => ks.map((k) => k.peerId);

describe('gossip', () => {
  it('two nodes: both topics, both directions', async () => {
    const [ka, kb] = await cluster.keys(2);
    const a = await cluster.node(ka!, { allowedPeers: ids(ka!, kb!) });
    const b = await cluster.node(kb!, { allowedPeers: ids(ka!, kb!), peers: [addrOf(a)] });
    const seenA = collect(a);
    const seenB = collect(b);
    await warmUp(a, 'tx', () => seenB.tx);
    await warmUp(a, 'consensus', () => seenB.consensus);
    a.publish('tx', enc('tx-1'));
    a.publish('consensus', enc('vote-1'));
    b.publish('tx', enc('tx-2'));
    await waitFor(() => seenB.tx.includes('tx-1') && seenB.consensus.includes('vote-1') && seenA.tx.includes('tx-2'), 3_000, 'gossip');
    // never delivered to self
    expect(seenA.tx).not.toContain('tx-1');
    // same bytes again = same content-hash id = dropped as duplicate
    a.publish('tx', enc('tx-1'));
    await sleep(300);
    expect(seenB.tx.filter((s) => s === 'tx-1')).toHaveLength(1);
  });

  it('counts messages and payload bytes per topic and direction (metrics)', async () => {
    const [ka, kb] = await cluster.keys(2);
    const a = await cluster.node(ka!, { allowedPeers: ids(ka!, kb!) });
    const b = await cluster.node(kb!, { allowedPeers: ids(ka!, kb!), peers: [addrOf(a)] });
    const seenB = collect(b);
    await warmUp(a, 'tx', () => seenB.tx);
    const a0 = a.gossipCounters();
    const b0 = b.gossipCounters();
    a.publish('tx', enc('tx-12345'));
    a.publish('tx', enc('tx-6'));
    await waitFor(() => seenB.tx.includes('tx-12345') && seenB.tx.includes('tx-6'), 3_000, 'gossip');
    const a1 = a.gossipCounters();
    const b1 = b.gossipCounters();
    expect({ out: a1.tx.out - a0.tx.out, outBytes: a1.tx.outBytes - a0.tx.outBytes }).toEqual({ out: 2, outBytes: 12 });
    expect({ in: b1.tx.in - b0.tx.in, inBytes: b1.tx.inBytes - b0.tx.inBytes }).toEqual({ in: 2, inBytes: 12 });
    expect(b1.consensus).toEqual(b0.consensus);
    // A snapshot, not a live view.
    a1.tx.out = -1;
    expect(a.gossipCounters().tx.out).toBe(a0.tx.out + 2);
  });

  it('three nodes fully connected: everyone gets it once', async () => {
    const ks = await cluster.keys(3);
    const all = ids(...ks);
    const a = await cluster.node(ks[0]!, { allowedPeers: all });
    const b = await cluster.node(ks[1]!, { allowedPeers: all, peers: [addrOf(a)] });
    const c = await cluster.node(ks[2]!, { allowedPeers: all, peers: [addrOf(a), addrOf(b)] });
    const [sa, sb, sc] = [collect(a), collect(b), collect(c)];
    await waitFor(() => a.connectedPeers().length === 2 && b.connectedPeers().length === 2, 5_000, 'full mesh');
    await warmUp(c, 'consensus', () => (sa.consensus.some((s) => s.startsWith('probe-')) ? sb.consensus : []));
    c.publish('consensus', enc('commit-7'));
    a.publish('tx', enc('tx-from-a'));
    await waitFor(() => sa.consensus.includes('commit-7') && sb.consensus.includes('commit-7')
      && sb.tx.includes('tx-from-a') && sc.tx.includes('tx-from-a'), 5_000, 'gossip to all');
    await sleep(300);
    expect(sb.consensus.filter((s) => s === 'commit-7')).toHaveLength(1);
    expect(sc.tx.filter((s) => s === 'tx-from-a')).toHaveLength(1);
  });

  // meshDegree 0 (default): C is not connected to A and gets A's messages from B through
  // IHAVE/IWANT at B's next heartbeat; meshDegree 2: B relays them at once through the mesh.
  it.each([0, 2])("line A-B-C, meshDegree %i: B relays accepted messages, a 'reject' (or 'ignore'/throw) stops forwarding", async (meshDegree) => {
    const ks = await cluster.keys(3);
    const all = ids(...ks);
    const a = await cluster.node(ks[0]!, { allowedPeers: all, meshDegree });
    const b = await cluster.node(ks[1]!, { allowedPeers: all, peers: [addrOf(a)], meshDegree });
    const c = await cluster.node(ks[2]!, { allowedPeers: all, peers: [addrOf(b)], meshDegree });
    collect(a);
    const sb = collect(b, (s) => (s.startsWith('bad') ? 'reject' : s.startsWith('meh') ? 'ignore' : 'accept'));
    b.onGossip('tx', (data) => { if (dec(data).startsWith('boom')) throw new Error('handler bug'); return 'accept'; });
    const sc = collect(c);
    const authors: string[] = [];
    c.onGossip('tx', (data, from) => { if (dec(data) === 'good-1') authors.push(from); return 'accept'; });
    await waitFor(() => b.connectedPeers().length === 2, 5_000, 'line');
    expect(a.connectedPeers()).toEqual([ks[1]!.peerId]);
    await warmUp(a, 'tx', () => sc.tx); // proves the A->B->C relay path is up
    a.publish('tx', enc('bad-1'));
    a.publish('tx', enc('meh-1'));
    a.publish('tx', enc('boom-1'));
    a.publish('tx', enc('good-1'));
    await waitFor(() => sc.tx.includes('good-1'), 3_000, 'good message relayed');
    await waitFor(() => ['bad-1', 'meh-1', 'boom-1'].every((s) => sb.tx.includes(s)), 3_000, 'B saw all');
    await sleep(meshDegree === 0 ? 1_200 : 500); // past a heartbeat: no later IHAVE brings them either
    expect(sc.tx).not.toContain('bad-1');
    expect(sc.tx).not.toContain('meh-1');
    expect(sc.tx).not.toContain('boom-1');
    expect(authors).toEqual([b.peerId]); // `from` is the relaying peer (messages carry no libp2p signature)
  });

  it('oversized gossip is dropped by a receiver with a smaller cap', async () => {
    const [ka, kb] = await cluster.keys(2);
    const a = await cluster.node(ka!, { allowedPeers: ids(ka!, kb!) });
    const b = await cluster.node(kb!, { allowedPeers: ids(ka!, kb!), peers: [addrOf(a)], maxMessageBytes: 1024 });
    const sb = collect(b);
    await warmUp(a, 'tx', () => sb.tx);
    a.publish('tx', enc('x'.repeat(2000)));
    a.publish('tx', enc('small'));
    await waitFor(() => sb.tx.includes('small'), 3_000, 'small message');
    await sleep(200);
    expect(sb.tx.some((s) => s.length > 1024)).toBe(false);
  });

  it('publish with no peers, while stopped, or oversized never throws', async () => {
    const [ka] = await cluster.keys(1);
    const a = await cluster.node(ka!, { allowedPeers: ids(ka!), maxMessageBytes: 10 });
    expect(() => a.publish('tx', enc('nobody listens'))).not.toThrow();
    expect(() => a.publish('tx', enc('x'.repeat(100)))).not.toThrow();
    await a.stop();
    expect(() => a.publish('consensus', enc('stopped'))).not.toThrow();
  });
});

describe('request/response', () => {
  async function pair(): Promise<[Network, Network]> {
    const [ka, kb] = await cluster.keys(2);
    const a = await cluster.node(ka!, { allowedPeers: ids(ka!, kb!) });
    const b = await cluster.node(kb!, { allowedPeers: ids(ka!, kb!), peers: [addrOf(a)] });
    await waitFor(() => a.connectedPeers().length === 1 && b.connectedPeers().length === 1, 5_000, 'connect');
    return [a, b];
  }

  it('status and blocks round trip, including 1 MiB, in both directions', async () => {
    const [a, b] = await pair();
    const big = new Uint8Array(1024 * 1024 + 17).map((_, i) => (i * 31) & 0xff);
    a.handle('status', async (req, from) => enc(`status for ${dec(req)} from ${from}`));
    a.handle('blocks', async (req) => (dec(req) === 'big' ? big : enc('small')));
    b.handle('status', async () => enc('b-status'));

    expect(dec(await b.request(a.peerId, 'status', enc('hi')))).toBe(`status for hi from ${b.peerId}`);
    expect(dec(await b.request(a.peerId, 'blocks', enc('x')))).toBe('small');
    const got = await b.request(a.peerId, 'blocks', enc('big'));
    expect(got.length).toBe(big.length);
    expect(Buffer.from(got).equals(Buffer.from(big))).toBe(true);
    // 1 MiB request body too
    a.handle('status', async (req) => enc(String(req.length)));
    expect(dec(await b.request(a.peerId, 'status', big))).toBe(String(big.length));
    expect(dec(await a.request(b.peerId, 'status', new Uint8Array(0)))).toBe('b-status');
    // several concurrent requests on one connection
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => b.request(a.peerId, 'status', new Uint8Array(i))));
    expect(many.map(dec)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('a throwing handler rejects the requester, and the server keeps serving', async () => {
    const [a, b] = await pair();
    a.handle('blocks', async (req) => { if (dec(req) === 'fail') throw new Error('block 9 not found'); return enc('ok'); });
    const err = await b.request(a.peerId, 'blocks', enc('fail')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect((err as RequestError).code).toBe('remote');
    expect((err as RequestError).message).toContain('block 9 not found');
    expect(dec(await b.request(a.peerId, 'blocks', enc('again')))).toBe('ok');
    // no handler registered for status on a
    await expect(b.request(a.peerId, 'status', enc('?'))).rejects.toMatchObject({ code: 'remote' });
  });

  it('timeout, oversized request, unknown peer, stopped network', async () => {
    const [a, b] = await pair();
    a.handle('status', async () => { await sleep(1_500); return enc('late'); });
    const t0 = Date.now();
    await expect(b.request(a.peerId, 'status', enc('?'), 300)).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(1_200);
    await expect(b.request(a.peerId, 'status', new Uint8Array(5 * 1024 * 1024))).rejects.toMatchObject({ code: 'too_large' });
    await expect(b.request('not-a-peer', 'status', enc('?'))).rejects.toMatchObject({ code: 'unavailable' });
    const [kx] = await cluster.keys(1);
    await expect(b.request(kx!.peerId, 'status', enc('?'), 1_000)).rejects.toBeInstanceOf(RequestError);
    await b.stop();
    await expect(b.request(a.peerId, 'status', enc('?'))).rejects.toMatchObject({ code: 'stopped' });
  });

  it('server with a smaller cap refuses an oversized request without crashing', async () => {
    const [ka, kb] = await cluster.keys(2);
    const a = await cluster.node(ka!, { allowedPeers: ids(ka!, kb!), maxMessageBytes: 1024 });
    const b = await cluster.node(kb!, { allowedPeers: ids(ka!, kb!), peers: [addrOf(a)] });
    a.handle('status', async (req) => enc(String(req.length)));
    await waitFor(() => b.connectedPeers().length === 1, 5_000, 'connect');
    await expect(b.request(a.peerId, 'status', new Uint8Array(4096))).rejects.toMatchObject({ code: 'too_large' });
    await expect(b.request(a.peerId, 'status', new Uint8Array(2 * 1024 * 1024))).rejects.toMatchObject({ code: 'too_large' });
    expect(dec(await b.request(a.peerId, 'status', new Uint8Array(100)))).toBe('100');
    // and the other way: b's response is over a's cap
    b.handle('blocks', async () => new Uint8Array(300 * 1024));
    await expect(a.request(b.peerId, 'blocks', enc('?'))).rejects.toMatchObject({ code: 'too_large' });
    expect(dec(await b.request(a.peerId, 'status', new Uint8Array(7)))).toBe('7');
  });
});

describe('membership', () => {
  it('refuses a non-member in both directions and logs the refusal at warn', async () => {
    const [ka, kb, kx] = await cluster.keys(3);
    const logA = captureLogger();
    const a = await cluster.node(ka!, { allowedPeers: ids(ka!, kb!), logger: logA.logger });
    // x believes it is a member and dials a; a must refuse it after Noise
    const x = await cluster.node(kx!, { allowedPeers: ids(ka!, kx!), peers: [addrOf(a)] });
    await waitFor(() => logA.lines.some((l) => l.level === 40 && l.peer === kx!.peerId && l.msg === 'refused connection'), 5_000, 'refusal warn');
    await sleep(200);
    expect(a.connectedPeers()).not.toContain(kx!.peerId);
    expect(x.connectedPeers()).not.toContain(ka!.peerId);
    // and a will not talk to x
    await expect(a.request(kx!.peerId, 'status', enc('?'), 1_000)).rejects.toBeInstanceOf(RequestError);
    // a member still gets in
    const b = await cluster.node(kb!, { allowedPeers: ids(ka!, kb!), peers: [addrOf(a)] });
    await waitFor(() => a.connectedPeers().includes(b.peerId), 5_000, 'member connects');
    expect(logA.lines.filter((l) => l.msg === 'peer connected' && l.level === 30).map((l) => l.peer)).toEqual([kb!.peerId]);
  });

  it('setAllowedPeers removing a connected peer disconnects it; re-adding lets it back', async () => {
    const [ka, kb] = await cluster.keys(2);
    const a = await cluster.node(ka!, { allowedPeers: ids(ka!, kb!) });
    const b = await cluster.node(kb!, { allowedPeers: ids(ka!, kb!), peers: [addrOf(a)] });
    const events: string[] = [];
    a.onPeerChange((p, up) => events.push(`${p === kb!.peerId ? 'b' : p}:${up}`));
    await waitFor(() => a.connectedPeers().includes(b.peerId), 5_000, 'connect');
    a.setAllowedPeers(ids(ka!));
    await waitFor(() => !a.connectedPeers().includes(b.peerId) && !b.connectedPeers().includes(a.peerId), 3_000, 'disconnect');
    // b keeps redialing (static peer) but stays refused
    await sleep(1_200);
    expect(a.connectedPeers()).toEqual([]);
    a.setAllowedPeers(ids(ka!, kb!));
    await waitFor(() => a.connectedPeers().includes(b.peerId), 8_000, 'reconnect after re-admission');
    expect(events.slice(0, 3)).toEqual(['b:true', 'b:false', 'b:true']);
  });

  it('repeated penalties disconnect and back off a peer; redial resumes after the ban', async () => {
    const [ka, kb] = await cluster.keys(2);
    const logA = captureLogger();
    const a = await cluster.node(ka!, {
      allowedPeers: ids(ka!, kb!), logger: logA.logger,
      internals: { penalties: { threshold: 3, banBaseMs: 1_500 } },
    });
    const b = await cluster.node(kb!, { allowedPeers: ids(ka!, kb!), peers: [addrOf(a)], internals: { redialBaseMs: 200, redialCapMs: 400 } });
    await waitFor(() => a.connectedPeers().includes(b.peerId), 5_000, 'connect');
    a.penalize(b.peerId, 'bad block');
    a.penalize(b.peerId, 'bad block');
    await sleep(100);
    expect(a.connectedPeers()).toContain(b.peerId);
    a.penalize(b.peerId, 'bad block');
    await waitFor(() => !a.connectedPeers().includes(b.peerId), 3_000, 'ban disconnect');
    expect(logA.lines.some((l) => l.level === 40 && l.msg.includes('backed off') && l.peer === kb!.peerId)).toBe(true);
    await sleep(700);
    expect(a.connectedPeers()).not.toContain(b.peerId); // b redials every ~300 ms but is refused
    await waitFor(() => a.connectedPeers().includes(b.peerId), 5_000, 'back after ban');
  });
});

describe('reconnect', () => {
  it('A redials a restarted B (same key, same port)', async () => {
    const [ka, kb] = await cluster.keys(2);
    const b1 = await cluster.node(kb!, { allowedPeers: ids(ka!, kb!) });
    const bAddr = addrOf(b1);
    const port = /\/tcp\/(\d+)\//.exec(bAddr)![1];
    const a = await cluster.node(ka!, { allowedPeers: ids(ka!, kb!), peers: [bAddr] });
    const events: string[] = [];
    a.onPeerChange((_p, up) => events.push(String(up)));
    await waitFor(() => a.connectedPeers().includes(kb!.peerId), 5_000, 'first connect');
    await b1.stop();
    await waitFor(() => !a.connectedPeers().includes(kb!.peerId), 3_000, 'disconnect seen');
    await sleep(300);
    const b2 = await cluster.node(kb!, { allowedPeers: ids(ka!, kb!), listen: `127.0.0.1:${port}` });
    expect(addrOf(b2)).toBe(bAddr);
    b2.handle('status', async () => enc('b2'));
    await waitFor(() => a.connectedPeers().includes(kb!.peerId), 8_000, 'redial');
    expect(events).toEqual(['true', 'false', 'true']);
    expect(dec(await a.request(kb!.peerId, 'status', enc('')))).toBe('b2');
  });
});

describe('createNetwork validation', () => {
  it('rejects bad config early', async () => {
    const [ka] = await cluster.keys(1);
    await expect(cluster.node(ka!, { listen: 'nohost' })).rejects.toThrow(/host:port/);
    await expect(cluster.node(ka!, { peers: ['/ip4/127.0.0.1/tcp/1'] })).rejects.toThrow(/\/p2p\//);
    await expect(cluster.node(ka!, { meshDegree: 13 })).rejects.toThrow(/meshDegree 13 must be an integer 0\.\.12/);
    await expect(cluster.node(ka!, { meshDegree: -1 })).rejects.toThrow(/meshDegree/);
    // an invalid allowed id (it comes from chain state) is skipped with a warning, not fatal
    const log = captureLogger();
    await cluster.node(ka!, { allowedPeers: ['nope', ka!.peerId], logger: log.logger });
    expect(log.lines.some((l) => l.level === 40 && l.peer === 'nope')).toBe(true);
    await expect(cluster.node({ peerId: 'x', privateKey: new Uint8Array([1, 2, 3]) })).rejects.toThrow(/privateKey/);
  });

  it('listenAddrs include /p2p/<id> and the real port', async () => {
    const [ka] = await cluster.keys(1);
    const a = await cluster.node(ka!, { allowedPeers: ids(ka!) });
    const addr = addrOf(a);
    expect(addr).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/[1-9]\\d*/p2p/${a.peerId}$`));
    expect(a.peerId).toBe(ka!.peerId);
  });
});
