import { afterEach, describe, expect, it } from 'vitest';
import { LengthPrefixedDecoder } from '@libp2p/utils';
import type { Libp2p } from 'libp2p';
import { noise } from '@chainsafe/libp2p-noise';
import type { SecuredConnection } from '@libp2p/interface';
import { NEED_LENGTH_BYTES, quietLengthDecoder, quietNoiseFrames, withQuietNoiseFrames } from '../../../src/p2p/noise-frames.js';
import { withEncrypterHooks } from '../../../src/p2p/encrypter-hooks.js';
import { rawPeer } from './helpers.js';

/** Noise's own length decoder (@chainsafe/libp2p-noise encoder.js): a new RangeError when < 2 bytes. */
function uint16BE(data: Uint8Array | { byteLength: number; get(i: number): number }): number {
  if (data.byteLength < 2) throw new RangeError('Could not decode int16BE');
  const at = (i: number): number => (data instanceof Uint8Array ? data[i]! : data.get(i));
  return (at(0) << 8) + at(1);
}

/** Frames of `payloads` as Noise sends them: a 2-byte big-endian length, then the bytes. */
function framed(payloads: Uint8Array[]): Uint8Array {
  const out: number[] = [];
  for (const p of payloads) out.push(p.length >> 8, p.length & 0xff, ...p);
  return Uint8Array.from(out);
}

function decodeAll(decoder: LengthPrefixedDecoder, bytes: Uint8Array, chunk: number): string[] {
  const frames: string[] = [];
  for (let i = 0; i < bytes.length; i += chunk) {
    for (const f of decoder.decode(bytes.subarray(i, i + chunk))) frames.push(Buffer.from(f.subarray()).toString());
  }
  return frames;
}

describe('quietLengthDecoder', () => {
  it('decodes the same frames as the original, for every chunking of the byte stream', () => {
    const payloads = ['a', 'hello', 'x'.repeat(300), 'end'].map((s) => Buffer.from(s));
    const bytes = framed(payloads);
    for (const chunk of [1, 2, 3, 7, 64, bytes.length]) {
      const quiet = new LengthPrefixedDecoder({ lengthDecoder: quietLengthDecoder(uint16BE), encodingLength: () => 2 });
      const loud = new LengthPrefixedDecoder({ lengthDecoder: uint16BE, encodingLength: () => 2 });
      expect(decodeAll(quiet, bytes, chunk)).toEqual(payloads.map(String));
      expect(decodeAll(loud, bytes, chunk)).toEqual(payloads.map(String));
    }
  });

  it('says "need more bytes" with one preallocated RangeError, not a new one each time', () => {
    const d = quietLengthDecoder(uint16BE);
    const thrown = [new Uint8Array(0), new Uint8Array(1)].map((b) => { try { d(b); return null; } catch (e) { return e; } });
    expect(thrown[0]).toBe(NEED_LENGTH_BYTES);
    expect(thrown[1]).toBe(NEED_LENGTH_BYTES);
    expect(NEED_LENGTH_BYTES).toBeInstanceOf(RangeError); // what LengthPrefixedDecoder waits on
    expect(d(Uint8Array.from([1, 2]))).toBe(258);
  });

  it('quietNoiseFrames leaves a connection of another shape alone', () => {
    const as = (connection: unknown): SecuredConnection<unknown> => ({ connection, remotePeer: undefined as never }) as SecuredConnection<unknown>;
    expect(quietNoiseFrames(as({}))).toBe(false);
    expect(quietNoiseFrames(as({ decoder: null }))).toBe(false);
    const varint = { lengthDecoder: uint16BE, encodingLength: () => 1 };
    expect(quietNoiseFrames(as({ decoder: varint }))).toBe(false);
    expect(varint.lengthDecoder).toBe(uint16BE);
    const noiseLike = { lengthDecoder: uint16BE, encodingLength: () => 2 };
    expect(quietNoiseFrames(as({ decoder: noiseLike }))).toBe(true);
    const once = noiseLike.lengthDecoder;
    expect(once).not.toBe(uint16BE);
    expect(quietNoiseFrames(as({ decoder: noiseLike }))).toBe(true);
    expect(noiseLike.lengthDecoder).toBe(once); // not wrapped twice
  });
});

describe('withQuietNoiseFrames on the installed libp2p stack', () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  it("both peers' Noise connections get the quiet decoder (a libp2p upgrade that changes its shape fails here), and traffic flows", async () => {
    const secured: Array<SecuredConnection<unknown>> = [];
    const make = async () => {
      // the outer hook sees each connection after withQuietNoiseFrames
      const n = await rawPeer(withEncrypterHooks(withQuietNoiseFrames(noise()), { secured: (s) => void secured.push(s) }));
      nodes.push(n);
      return n;
    };
    const [a, b] = [await make(), await make()];
    let got = '';
    await b.handle('/medledger-test/echo/1', (stream) => {
      stream.addEventListener('message', (evt) => { got += Buffer.from(evt.data.subarray()).toString(); });
    });
    const stream = await a.dialProtocol(b.getMultiaddrs()[0]!, '/medledger-test/echo/1');
    stream.send(Buffer.from('over noise'));
    for (let i = 0; i < 200 && got !== 'over noise'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toBe('over noise');
    expect(secured).toHaveLength(2);
    for (const s of secured) {
      const decoder = (s.connection as unknown as { decoder: { lengthDecoder: (b: Uint8Array) => number } }).decoder;
      let thrown: unknown;
      try { decoder.lengthDecoder(new Uint8Array(1)); } catch (e) { thrown = e; }
      expect(thrown).toBe(NEED_LENGTH_BYTES);
    }
  });
});
