import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Libp2p } from 'libp2p';
import { noise } from '@chainsafe/libp2p-noise';
import { StreamState } from '@libp2p/yamux/stream';
import type { Stream } from '@libp2p/interface';
import { installHalfWindowUpdates, windowUpdateDue } from '../../../src/p2p/yamux-window.js';
import { withEncrypterHooks } from '../../../src/p2p/encrypter-hooks.js';
import { rawPeer } from './helpers.js';

const WINDOW = 256 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('windowUpdateDue', () => {
  const established = (capacity: number, window = WINDOW) => ({ state: StreamState.Established, recvWindow: window, recvWindowCapacity: capacity });

  it('holds the update while an established stream has at least half its window left', () => {
    expect(windowUpdateDue(established(WINDOW))).toBe(false);
    expect(windowUpdateDue(established(WINDOW - 200))).toBe(false);
    expect(windowUpdateDue(established(WINDOW / 2 + 1))).toBe(false);
  });

  it('sends it once half the window is used, and at an exhausted window', () => {
    expect(windowUpdateDue(established(WINDOW / 2))).toBe(true);
    expect(windowUpdateDue(established(0))).toBe(true);
    // a window grown by the library's auto-tuning counts by its current size
    expect(windowUpdateDue(established(WINDOW, 4 * WINDOW))).toBe(true);
  });

  it("leaves every other state to the library (SYN/ACK flags, pause and resume)", () => {
    for (const state of [StreamState.Init, StreamState.SYNSent, StreamState.SYNReceived, StreamState.Paused, StreamState.Finished]) {
      expect(windowUpdateDue({ state, recvWindow: WINDOW, recvWindowCapacity: WINDOW })).toBe(true);
    }
    // an unexpected shape: the library decides
    expect(windowUpdateDue({ state: StreamState.Established, recvWindow: undefined, recvWindowCapacity: WINDOW })).toBe(true);
  });
});

describe('installHalfWindowUpdates on the installed libp2p stack', () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  /** Two peers; `receiverSocket` is the raw TCP socket of the receiving peer `b`. */
  async function pair(): Promise<{ a: Libp2p; b: Libp2p; receiverSocket: () => Socket; received: () => number }> {
    const sockets: Socket[] = [];
    const make = async (encrypter: Parameters<typeof rawPeer>[0]) => {
      const n = await rawPeer(encrypter);
      nodes.push(n);
      return n;
    };
    const a = await make(noise());
    const b = await make(withEncrypterHooks(noise(), { raw: (c) => { const s = (c as unknown as { socket?: unknown }).socket; if (s instanceof Socket) sockets.push(s); } }));
    let received = 0;
    await b.handle('/medledger-test/sink/1', (stream: Stream) => {
      stream.addEventListener('message', (evt) => { received += evt.data.byteLength; });
    });
    return { a, b, receiverSocket: () => sockets[0]!, received: () => received };
  }

  async function send(stream: Stream, data: Uint8Array): Promise<void> {
    if (!stream.send(data)) await stream.onDrain();
  }

  async function waitFor(cond: () => boolean): Promise<void> {
    for (let i = 0; i < 500 && !cond(); i++) await sleep(10);
    expect(cond()).toBe(true);
  }

  it('a receiver answers 100 small data frames with no window update, and a 3 MiB transfer (12 windows) still completes', async () => {
    expect(installHalfWindowUpdates()).toBe(true);
    expect(installHalfWindowUpdates()).toBe(true); // once per process
    const { a, b, receiverSocket, received } = await pair();
    const stream = await a.dialProtocol(b.getMultiaddrs()[0]!, '/medledger-test/sink/1');
    await send(stream, new Uint8Array(10));
    await waitFor(() => received() === 10);
    await sleep(200); // identify and the stream's ACK settle
    const before = receiverSocket().bytesWritten;
    for (let i = 0; i < 100; i++) {
      await send(stream, new Uint8Array(100).fill(i));
      await sleep(2); // each its own data frame and TCP read
    }
    await waitFor(() => received() === 10 + 100 * 100);
    await sleep(100);
    // Without the policy the receiver writes one ~30-byte encrypted window update per frame (~3,000 bytes).
    expect(receiverSocket().bytesWritten - before).toBeLessThan(300);

    const big = new Uint8Array(64 * 1024).fill(7);
    for (let i = 0; i < 48; i++) await send(stream, big);
    await waitFor(() => received() === 10 + 100 * 100 + 48 * big.length);
    expect(receiverSocket().bytesWritten - before).toBeGreaterThan(0); // it did grant more window
  });
});
