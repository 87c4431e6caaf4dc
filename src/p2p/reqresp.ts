/**
 * Request/response on `/medledger/<chainId>/<protocol>/1`: one length-prefixed request, then
 * one length-prefixed response framed as a status byte + body. Both sides enforce
 * maxMessageBytes and a timeout; malformed or oversized frames penalise the peer.
 */
import { lpStream } from '@libp2p/utils';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import type { Logger } from '../util/logger.js';
import { RequestError, errMessage, errName } from './errors.js';
import { REQ_PROTOCOLS, protocolName, type ReqProtocol, type RequestHandler } from './interface.js';
import type { MedledgerLibp2p } from './libp2p-factory.js';

const MAX_REMOTE_ERROR_CHARS = 200;
const MAX_STREAMS_PER_PROTOCOL = 64;
/**
 * lpStream limits. A declared length over the cap must surface as InvalidDataLengthError (so
 * the server can answer "too large"): allow varints up to 8 bytes, and let the byte buffer hold
 * the cap plus one yamux frame so an oversized body arriving in one chunk does not reset the
 * stream before the length prefix is even checked.
 */
const MAX_LENGTH_LENGTH = 8;
const BUFFER_SLACK_BYTES = 256 * 1024;

/** Response frame = one status byte + body. */
const STATUS_OK = 0;
const STATUS_ERROR = 1;       // body: utf8 error message
const STATUS_TOO_LARGE = 2;   // the request exceeded the server's cap; body: utf8 message

function frame(status: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = status;
  out.set(body, 1);
  return out;
}

export interface ReqRespOptions {
  chainId: string;
  maxBytes: number;
  /** default timeout of request(), and of each step of serving one */
  requestTimeoutMs: number;
}

export interface ReqRespModules {
  libp2p: MedledgerLibp2p;
  log: Logger;
  isRunning: () => boolean;
  penalize: (peerId: string, reason: string) => void;
}

export class ReqResp {
  private readonly handlers = new Map<ReqProtocol, RequestHandler>();

  constructor(private readonly opts: ReqRespOptions, private readonly m: ReqRespModules) {}

  /** Register the stream handlers of every protocol with libp2p (at start). */
  async register(): Promise<void> {
    for (const p of REQ_PROTOCOLS) {
      await this.m.libp2p.handle(protocolName(this.opts.chainId, p), (stream, connection) => {
        void this.serve(p, stream, connection);
      }, { maxInboundStreams: MAX_STREAMS_PER_PROTOCOL, maxOutboundStreams: MAX_STREAMS_PER_PROTOCOL, force: true });
    }
  }

  handle(protocol: ReqProtocol, handler: RequestHandler): void {
    this.handlers.set(protocol, handler);
  }

  async request(peerId: string, protocol: ReqProtocol, req: Uint8Array, timeoutMs = this.opts.requestTimeoutMs): Promise<Uint8Array> {
    const { maxBytes } = this.opts;
    if (!this.m.isRunning()) throw new RequestError('stopped', 'network is not running');
    if (req.length > maxBytes) {
      throw new RequestError('too_large', `request of ${req.length} bytes exceeds maxMessageBytes ${maxBytes}`);
    }
    let pid: PeerId;
    try {
      pid = peerIdFromString(peerId);
    } catch {
      throw new RequestError('unavailable', `invalid peer id "${peerId}"`);
    }
    const signal = AbortSignal.timeout(timeoutMs);
    const timeout = () => new RequestError('timeout', `${protocol} request to ${peerId} timed out after ${timeoutMs} ms`);
    let stream: Stream;
    try {
      stream = await this.m.libp2p.dialProtocol(pid, protocolName(this.opts.chainId, protocol), { signal });
    } catch (err) {
      if (signal.aborted) throw timeout();
      throw new RequestError('unavailable', `cannot open ${protocol} stream to ${peerId}: ${errMessage(err)}`);
    }
    try {
      const lp = lpStream(stream, {
        maxDataLength: maxBytes + 1, maxLengthLength: MAX_LENGTH_LENGTH, maxBufferSize: maxBytes + BUFFER_SLACK_BYTES,
      });
      await lp.write(req, { signal });
      await stream.close({ signal });
      const res = (await lp.read({ signal })).subarray();
      if (res.length === 0) throw new RequestError('protocol', `empty ${protocol} response from ${peerId}`);
      const body = res.subarray(1);
      if (res[0] === STATUS_OK) return body;
      if (res[0] === STATUS_ERROR || res[0] === STATUS_TOO_LARGE) {
        const why = new TextDecoder().decode(body).slice(0, MAX_REMOTE_ERROR_CHARS);
        throw new RequestError(res[0] === STATUS_ERROR ? 'remote' : 'too_large', `${protocol} request failed at ${peerId}: ${why}`);
      }
      throw new RequestError('protocol', `bad ${protocol} response status ${res[0]} from ${peerId}`);
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      if (err instanceof RequestError) {
        if (err.code === 'protocol') this.m.penalize(peerId, err.message);
        throw err;
      }
      if (signal.aborted) throw timeout();
      if (errName(err) === 'InvalidDataLengthError' || errName(err) === 'StreamBufferError') {
        this.m.penalize(peerId, `oversized ${protocol} response`);
        throw new RequestError('too_large', `${protocol} response from ${peerId} exceeds maxMessageBytes ${maxBytes}`);
      }
      throw new RequestError('protocol', `${protocol} request to ${peerId} failed: ${errMessage(err)}`);
    }
  }

  /** Serve one inbound request stream. Never throws. */
  private async serve(protocol: ReqProtocol, stream: Stream, connection: Connection): Promise<void> {
    const { maxBytes, requestTimeoutMs } = this.opts;
    const from = connection.remotePeer.toString();
    try {
      const lp = lpStream(stream, {
        maxDataLength: maxBytes, maxLengthLength: MAX_LENGTH_LENGTH, maxBufferSize: maxBytes + BUFFER_SLACK_BYTES,
      });
      let req: Uint8Array;
      try {
        req = (await lp.read({ signal: AbortSignal.timeout(requestTimeoutMs) })).subarray();
      } catch (err) {
        if (errName(err) === 'InvalidDataLengthError') {
          // only the length prefix was read: say why, then drop the rest
          this.m.penalize(from, `oversized ${protocol} request`);
          const msg = new TextEncoder().encode(`request exceeds maxMessageBytes ${maxBytes}`);
          try {
            const signal = AbortSignal.timeout(1_000);
            await stream.closeRead({ signal }); // discard the body still arriving
            await lp.write(frame(STATUS_TOO_LARGE, msg), { signal });
            await stream.close({ signal });
            return;
          } catch {
            // fall through to abort
          }
        } else if (errName(err) === 'StreamBufferError') {
          this.m.penalize(from, `oversized ${protocol} request`);
        } else {
          this.m.log.debug({ peer: from, protocol, err: errMessage(err) }, 'bad inbound request');
        }
        stream.abort(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const res = await this.respond(protocol, req, from);
      const signal = AbortSignal.timeout(requestTimeoutMs);
      await lp.write(res, { signal });
      await stream.close({ signal });
    } catch (err) {
      this.m.log.debug({ peer: from, protocol, err: errMessage(err) }, 'inbound request stream failed');
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Run the protocol's handler and frame its answer (or its failure). Never throws. */
  private async respond(protocol: ReqProtocol, req: Uint8Array, from: string): Promise<Uint8Array> {
    const handler = this.handlers.get(protocol);
    if (handler === undefined) return frame(STATUS_ERROR, new TextEncoder().encode(`no ${protocol} handler`));
    try {
      const body: unknown = await handler(req, from);
      if (!(body instanceof Uint8Array)) throw new Error(`${protocol} handler returned ${typeof body}, not Uint8Array`);
      if (body.length > this.opts.maxBytes) throw new Error(`${protocol} response of ${body.length} bytes exceeds maxMessageBytes`);
      return frame(STATUS_OK, body);
    } catch (err) {
      this.m.log.warn({ peer: from, protocol, err: errMessage(err) }, 'request handler failed');
      return frame(STATUS_ERROR, new TextEncoder().encode(errMessage(err).slice(0, MAX_REMOTE_ERROR_CHARS)));
    }
  }
}
