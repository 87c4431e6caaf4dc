export type RequestErrorCode =
  | 'timeout'      // no complete response within the timeout
  | 'remote'       // the remote handler failed (message is the remote's, truncated)
  | 'too_large'    // request or response over maxMessageBytes
  | 'unavailable'  // could not dial / open a stream (not connected, refused, no such protocol)
  | 'protocol'     // malformed frame or stream closed early
  | 'stopped';     // network not running

/** Why `Network.request` failed. */
export class RequestError extends Error {
  constructor(readonly code: RequestErrorCode, message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

/** The message of a thrown value, for logs and error texts. */
export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The class name of a thrown Error (e.g. 'InvalidDataLengthError'), if it is one. */
export function errName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}
