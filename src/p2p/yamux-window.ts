import { StreamState, YamuxStream } from '@libp2p/yamux/stream';

/**
 * Yamux receive-window updates once half the window is used, as go-yamux and
 * hashicorp/yamux send them, instead of after every data frame.
 *
 * @libp2p/yamux 8 answers each data frame a stream receives with a window-update frame:
 * every gossip message and every request costs a second frame back, which the peer
 * encrypts, writes, reads, decrypts and decodes as well. With this policy a stream grants
 * its peer more window only when the window it has left falls below half; the peer can
 * always send at least half a window (128 KiB by default) before it waits, and a stalled
 * sender always gets its update (its window reaching zero means ours fell below half).
 * SYN/ACK and paused/resumed streams keep the library's own behaviour: only the
 * established, unpaused case is held back. In a two-peer gossip micro-benchmark this cut
 * the process CPU per 200-byte message by ~16% (docs/bench.md, session 10).
 */

/** The YamuxStream internals this relies on (private in its typings). */
interface WindowedStream {
  state: StreamState;
  recvWindow: unknown;
  recvWindowCapacity: unknown;
  sendWindowUpdate: (this: WindowedStream) => void;
}

const INSTALLED = Symbol('medledger.halfWindowUpdates');

/**
 * Installs the policy on @libp2p/yamux's stream class (once per process; later calls do
 * nothing). Returns false, changing nothing, if the class lacks `sendWindowUpdate`.
 */
export function installHalfWindowUpdates(): boolean {
  const proto = YamuxStream.prototype as unknown as WindowedStream & { [INSTALLED]?: true };
  if (proto[INSTALLED] === true) return true;
  const original = proto.sendWindowUpdate;
  if (typeof original !== 'function') return false;
  proto.sendWindowUpdate = function sendWindowUpdate(this: WindowedStream): void {
    if (!windowUpdateDue(this)) return;
    original.call(this);
  };
  proto[INSTALLED] = true;
  return true;
}

/**
 * Whether a stream should send a window update now: always, except an established stream
 * that still has at least half its receive window (an unexpected shape: always).
 */
export function windowUpdateDue(s: Pick<WindowedStream, 'state' | 'recvWindow' | 'recvWindowCapacity'>): boolean {
  if (s.state !== StreamState.Established) return true;
  const window = s.recvWindow;
  const capacity = s.recvWindowCapacity;
  if (typeof window !== 'number' || typeof capacity !== 'number') return true;
  return window - capacity >= window / 2;
}
