import { createServer, connect, Socket, type Server } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { coalesceSocketWrites, withCoalescedWrites } from '../../../src/p2p/coalesce-writes.js';
import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface';
import { noise } from '@chainsafe/libp2p-noise';
import { rawPeer } from './helpers.js';

interface Conn {
  socket: Socket;
  sendData: (data: Iterable<Uint8Array>) => { sentBytes: number; canSendMore: boolean };
}

/** A loopback TCP pair: the client socket and everything the server side receives. */
async function socketPair(): Promise<{ client: Socket; received: () => Buffer; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  let serverSide: Socket | undefined;
  const server: Server = createServer((s) => {
    serverSide = s;
    s.on('data', (b: Buffer) => chunks.push(b));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  return {
    client,
    received: () => Buffer.concat(chunks),
    close: async () => {
      client.destroy();
      serverSide?.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** @libp2p/tcp's own sendData: one socket.write per chunk, stopping when the socket is full. */
function tcpLikeConn(socket: Socket): Conn {
  return {
    socket,
    sendData(data) {
      let sentBytes = 0;
      let canSendMore = true;
      for (const buf of data) {
        sentBytes += buf.byteLength;
        canSendMore = socket.write(buf);
        if (!canSendMore) break;
      }
      return { sentBytes, canSendMore };
    },
  };
}

const waitUntil = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('coalesceSocketWrites', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('sends the chunks of one call with one writev, bytes unchanged and in order', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    const conn = tcpLikeConn(pair.client);
    expect(coalesceSocketWrites(conn)).toBe(true);
    const writev = vi.spyOn(pair.client as unknown as { _writev: (...a: unknown[]) => void }, '_writev');
    const write = vi.spyOn(pair.client as unknown as { _write: (...a: unknown[]) => void }, '_write');
    // a Noise frame as @libp2p/tcp receives it: length prefix, ciphertext chunks, tag
    const list = [Buffer.from([0, 5]), Buffer.from('ab'), Buffer.from('cde'), Buffer.alloc(16, 7)];
    const r = conn.sendData(list);
    expect(r).toEqual({ sentBytes: 23, canSendMore: true });
    expect(writev).toHaveBeenCalledTimes(1);
    expect(write).not.toHaveBeenCalled();
    await waitUntil(() => pair.received().length === 23);
    expect(pair.received()).toEqual(Buffer.concat([Buffer.from([0, 5]), Buffer.from('abcde'), Buffer.alloc(16, 7)]));
  });

  it('reports a full socket, and the socket drains', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    const conn = tcpLikeConn(pair.client);
    coalesceSocketWrites(conn);
    const big = Buffer.alloc(pair.client.writableHighWaterMark * 64, 1);
    const drained = once(pair.client, 'drain');
    const r = conn.sendData([big, Buffer.from('tail')]);
    // every chunk of the call is handed over (one frame), but the sender must wait for 'drain'
    expect(r.sentBytes).toBe(big.length + 4);
    expect(r.canSendMore).toBe(false);
    await drained;
    await waitUntil(() => pair.received().length === big.length + 4);
    expect(pair.received().subarray(-4).toString()).toBe('tail');
  });

  it('leaves a connection without a socket alone', () => {
    const sendData = (): { sentBytes: number; canSendMore: boolean } => ({ sentBytes: 0, canSendMore: true });
    const conn = { sendData };
    expect(coalesceSocketWrites(conn)).toBe(false);
    expect(conn.sendData).toBe(sendData);
    expect(coalesceSocketWrites({ socket: {}, sendData })).toBe(false);
    expect(coalesceSocketWrites(null)).toBe(false);
  });
});

describe('withCoalescedWrites', () => {
  it('patches the raw connection before the inner encrypter secures it, both directions', async () => {
    const seen: Array<{ dir: string; patched: boolean }> = [];
    const original = (): { sentBytes: number; canSendMore: boolean } => ({ sentBytes: 0, canSendMore: true });
    const pair = await socketPair();
    try {
      const inner: ConnectionEncrypter = {
        protocol: '/test/1',
        secureInbound: async (c) => {
          seen.push({ dir: 'in', patched: (c as unknown as Conn).sendData !== original });
          return { connection: c, remotePeer: undefined as never };
        },
        secureOutbound: async (c) => {
          seen.push({ dir: 'out', patched: (c as unknown as Conn).sendData !== original });
          return { connection: c, remotePeer: undefined as never };
        },
      };
      const enc = withCoalescedWrites(() => inner)({});
      expect(enc.protocol).toBe('/test/1');
      await enc.secureInbound({ socket: pair.client, sendData: original } as unknown as MessageStream);
      await enc.secureOutbound({ socket: pair.client, sendData: original } as unknown as MessageStream);
      expect(seen).toEqual([{ dir: 'in', patched: true }, { dir: 'out', patched: true }]);
    } finally {
      await pair.close();
    }
  });
});

describe('withCoalescedWrites on the installed libp2p stack', () => {
  it('patches the real @libp2p/tcp connection of both peers (a libp2p upgrade that changes its shape fails here)', async () => {
    const patched: Array<{ dir: string; ok: boolean }> = [];
    // Sees each raw connection after withCoalescedWrites has had its turn, then lets Noise secure it.
    const probe = (factory: ReturnType<typeof noise>) => (components: Parameters<ReturnType<typeof noise>>[0]): ConnectionEncrypter => {
      const inner = factory(components);
      const isPatched = (c: MessageStream): boolean => Object.prototype.hasOwnProperty.call(c, 'sendData') && (c as unknown as Conn).socket instanceof Socket;
      return {
        protocol: inner.protocol,
        secureInbound: (c, o) => { patched.push({ dir: 'in', ok: isPatched(c) }); return inner.secureInbound(c, o); },
        secureOutbound: (c, o) => { patched.push({ dir: 'out', ok: isPatched(c) }); return inner.secureOutbound(c, o); },
      };
    };
    const make = async () => rawPeer(withCoalescedWrites(probe(noise())));
    const [a, b] = [await make(), await make()];
    try {
      await a.dial(b.getMultiaddrs()[0]!);
      await waitUntil(() => patched.length === 2);
      expect(patched.sort((x, y) => x.dir.localeCompare(y.dir))).toEqual([{ dir: 'in', ok: true }, { dir: 'out', ok: true }]);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
