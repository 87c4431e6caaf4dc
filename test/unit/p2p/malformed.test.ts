/**
 * A misbehaving member, speaking raw libp2p (same stack, from the factory), must not be able
 * to crash or wedge a node with malformed frames, nor confuse a requester with a bad response.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { createMedledgerLibp2p, type MedledgerLibp2p } from '../../../src/p2p/libp2p-factory.js';
import { protocolName, topicName, type NodeKey } from '../../../src/p2p/index.js';
import { CHAIN, Cluster, addrOf, captureLogger, collect, dec, enc, sleep, waitFor, warmUp } from './helpers.js';

const cluster = new Cluster();
const raws: MedledgerLibp2p[] = [];
afterEach(async () => {
  await cluster.stopAll();
  await Promise.all(raws.splice(0).map((r) => r.stop()));
});

async function rawNode(key: NodeKey): Promise<MedledgerLibp2p> {
  const { libp2p } = await createMedledgerLibp2p({
    privateKey: privateKeyFromProtobuf(key.privateKey),
    listenAddr: '/ip4/127.0.0.1/tcp/0',
    topics: [topicName(CHAIN, 'tx'), topicName(CHAIN, 'consensus')],
    maxMessageBytes: 64 * 1024 * 1024,
    meshDegree: 0,
    gate: { refuse: () => false },
  });
  raws.push(libp2p);
  await libp2p.start();
  return libp2p;
}

describe('malformed input from a member', () => {
  it('bad request frames and gossip garbage do not hurt the node', async () => {
    const [ka, kb, kr] = await cluster.keys(3);
    const all = [ka!, kb!, kr!].map((k) => k.peerId);
    const logA = captureLogger();
    const a = await cluster.node(ka!, { allowedPeers: all, maxMessageBytes: 1024, logger: logA.logger });
    const b = await cluster.node(kb!, { allowedPeers: all, peers: [addrOf(a)] });
    a.handle('status', async (req) => enc(`len ${req.length}`));
    const sa = collect(a);
    const raw = await rawNode(kr!);
    await raw.dial(multiaddr(addrOf(a)));
    const proto = protocolName(CHAIN, 'status');

    // 1. varint length prefix that never ends
    const s1 = await raw.dialProtocol(peerIdFromString(a.peerId), proto);
    s1.send(new Uint8Array(12).fill(0xff));
    // 2. truncated frame: claims 100 bytes, sends 3, closes
    const s2 = await raw.dialProtocol(peerIdFromString(a.peerId), proto);
    s2.send(new Uint8Array([100, 1, 2, 3]));
    await s2.close();
    // 3. opened and closed without a byte
    const s3 = await raw.dialProtocol(peerIdFromString(a.peerId), proto);
    await s3.close();
    // 4. length prefix over the cap: the node answers "too large" (status 2) and hangs up the stream
    const s4 = await raw.dialProtocol(peerIdFromString(a.peerId), proto);
    const lp4 = lpStream(s4);
    s4.send(new Uint8Array([0x80, 0x80, 0x04])); // varint 65536 > 1024
    const res4 = (await lp4.read({ signal: AbortSignal.timeout(2_000) })).subarray();
    expect(res4[0]).toBe(2);
    expect(dec(res4.subarray(1))).toContain('maxMessageBytes');
    // 5. garbage on the gossipsub protocol
    const g = await raw.dialProtocol(peerIdFromString(a.peerId), '/meshsub/1.2.0');
    g.send(new Uint8Array([5, 0xde, 0xad, 0xbe, 0xef, 0x01]));
    g.send(new Uint8Array(12).fill(0xff));
    await sleep(300);

    // the node is fine: requests and gossip from a well-behaved member still work
    await waitFor(() => a.connectedPeers().includes(b.peerId), 3_000, 'b connected');
    expect(dec(await b.request(a.peerId, 'status', enc('abc')))).toBe('len 3');
    await warmUp(b, 'tx', () => sa.tx);
    // an oversized request through the real client is reported as too_large
    await expect(b.request(a.peerId, 'status', new Uint8Array(2048))).rejects.toMatchObject({ code: 'too_large' });
    expect(logA.lines.some((l) => l.level >= 50)).toBe(false);
  });

  it('a bad response from a member rejects the request with a protocol error', async () => {
    const [ka, kr] = await cluster.keys(2);
    const a = await cluster.node(ka!, { allowedPeers: [ka!.peerId, kr!.peerId] });
    const raw = await rawNode(kr!);
    await raw.handle(protocolName(CHAIN, 'status'), async (stream) => {
      const lp = lpStream(stream);
      await lp.read();
      await lp.write(new Uint8Array([7, 1, 2, 3])); // unknown status byte
      await stream.close();
    });
    await raw.handle(protocolName(CHAIN, 'blocks'), async (stream) => {
      const lp = lpStream(stream);
      await lp.read();
      await lp.write(new Uint8Array(0)); // empty frame
      await stream.close();
    });
    await raw.dial(multiaddr(addrOf(a)));
    await waitFor(() => a.connectedPeers().includes(kr!.peerId), 3_000, 'raw connected');
    await expect(a.request(kr!.peerId, 'status', enc('?'))).rejects.toMatchObject({ code: 'protocol' });
    await expect(a.request(kr!.peerId, 'blocks', enc('?'))).rejects.toMatchObject({ code: 'protocol' });
    // a raw server that just resets the stream
    await raw.handle(protocolName(CHAIN, 'status'), (stream) => { stream.abort(new Error('nope')); }, { force: true });
    await expect(a.request(kr!.peerId, 'status', enc('?'))).rejects.toMatchObject({ code: 'protocol' });
  });
});
