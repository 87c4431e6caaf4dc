import type { SecuredConnection } from '@libp2p/interface';
import { withEncrypterHooks, type EncrypterFactory } from './encrypter-hooks.js';

/**
 * Noise frames without an exception per received chunk.
 *
 * @chainsafe/libp2p-noise 17 splits the bytes it receives into frames with @libp2p/utils'
 * `LengthPrefixedDecoder` and its own `uint16BEDecode`, which says "the 2-byte length is
 * not here yet" by throwing a new RangeError. The decoder asks once more after the last
 * complete frame of every chunk, so every TCP read that ends on a frame boundary (most
 * of them) builds an Error with its stack trace: in a two-peer gossip micro-benchmark that
 * was ~10% of the main thread for 200-byte messages. Throwing one preallocated RangeError
 * instead keeps the decoder's contract (it breaks out of its loop on any RangeError)
 * without building a stack trace each time. To drop once the length decoder stops throwing
 * upstream.
 */

/** The only value this length decoder throws: "fewer than 2 bytes buffered". */
export const NEED_LENGTH_BYTES = new RangeError('Could not decode int16BE: fewer than 2 bytes buffered');

type LengthDecoder<D extends { byteLength: number }> = (data: D) => number;

/** The parts of the encrypted stream (its class is not exported) this relies on. */
interface NoiseStream {
  decoder?: { lengthDecoder?: unknown; encodingLength?: unknown };
}

/** Marks the decoders already replaced, so the wrapper is applied once. */
const QUIET = Symbol('medledger.quietLengthDecoder');

/** `original` for every input with a length prefix; NEED_LENGTH_BYTES when there is none yet. */
export function quietLengthDecoder<D extends { byteLength: number }>(original: LengthDecoder<D>): LengthDecoder<D> {
  const quiet: LengthDecoder<D> & { [QUIET]?: true } = (data) => {
    if (data.byteLength < 2) throw NEED_LENGTH_BYTES;
    return original(data);
  };
  quiet[QUIET] = true;
  return quiet;
}

/**
 * Gives a secured Noise connection's frame decoder the quiet length decoder. Returns false
 * (and changes nothing) when the connection does not have the expected shape: a 2-byte
 * length decoder on `connection.decoder`.
 */
export function quietNoiseFrames(secured: SecuredConnection<unknown>): boolean {
  const decoder = (secured.connection as unknown as NoiseStream).decoder;
  if (typeof decoder !== 'object' || decoder === null) return false;
  const { lengthDecoder, encodingLength } = decoder;
  if (typeof lengthDecoder !== 'function' || typeof encodingLength !== 'function' || encodingLength(0) !== 2) return false;
  if ((lengthDecoder as { [QUIET]?: true })[QUIET] === true) return true;
  decoder.lengthDecoder = quietLengthDecoder(lengthDecoder as LengthDecoder<Uint8Array>);
  return true;
}

/** Wraps a Noise encrypter factory so that every connection it secures gets `quietNoiseFrames`. */
export function withQuietNoiseFrames<C, E>(factory: EncrypterFactory<C, E>): EncrypterFactory<C, E> {
  return withEncrypterHooks(factory, { secured: (s) => void quietNoiseFrames(s) });
}
