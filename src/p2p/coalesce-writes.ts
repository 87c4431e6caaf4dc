import { Socket } from 'node:net';
import { withEncrypterHooks, type EncrypterFactory } from './encrypter-hooks.js';

/**
 * One socket write per frame instead of one per chunk.
 *
 * @libp2p/tcp's connection writes each chunk of an outgoing list with its own
 * `socket.write`, and a Noise frame arrives there as a list (length prefix, the
 * ciphertext of each plaintext chunk: yamux header, length prefix, data; then the tag),
 * so every frame cost 4-5 `write` system calls, each a trip through loopback TCP to the
 * peer (measured with strace on a loaded node: ~15 writes per read). Corking the socket
 * around the chunks of one call sends them as a single `writev`.
 *
 * Backpressure is the same as @libp2p/tcp's: the call reports it can send more unless the
 * socket's buffer is over its high-water mark, and the socket's 'drain' resumes the
 * sender. (Unlike @libp2p/tcp, all chunks of the call are handed to the socket even past
 * the mark: they are one frame, buffered there instead of in the stream's queue.)
 */

interface ChunkList {
  [Symbol.iterator](): Iterator<Uint8Array>;
}

interface SendResult {
  sentBytes: number;
  canSendMore: boolean;
}

/** The parts of @libp2p/tcp's connection this relies on (its class is not exported). */
interface SocketConnection {
  socket?: unknown;
  sendData?: (data: ChunkList) => SendResult;
}

/**
 * Makes a TCP connection send each call's chunks with one system call. Returns false
 * (and changes nothing) for a connection without a node:net socket and `sendData`.
 */
export function coalesceSocketWrites(conn: unknown): boolean {
  if (typeof conn !== 'object' || conn === null) return false;
  const c = conn as SocketConnection;
  const socket = c.socket;
  if (!(socket instanceof Socket) || typeof c.sendData !== 'function') return false;
  c.sendData = (data: ChunkList): SendResult => {
    let sentBytes = 0;
    socket.cork();
    try {
      for (const buf of data) {
        socket.write(buf);
        sentBytes += buf.byteLength;
      }
    } finally {
      socket.uncork();
    }
    return { sentBytes, canSendMore: !socket.writableNeedDrain };
  };
  return true;
}

/**
 * Wraps a connection encrypter factory (noise()) so that every raw connection it secures
 * first gets `coalesceSocketWrites`: the encrypter is the first to see each TCP
 * connection of both directions, after protocol negotiation.
 */
export function withCoalescedWrites<C, E>(factory: EncrypterFactory<C, E>): EncrypterFactory<C, E> {
  return withEncrypterHooks(factory, { raw: (conn) => void coalesceSocketWrites(conn) });
}
