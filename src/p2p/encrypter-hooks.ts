import type { ConnectionEncrypter, MessageStream, SecureConnectionOptions, SecuredConnection } from '@libp2p/interface';

/** A connection encrypter factory, as `noise()` returns it. */
export type EncrypterFactory<C, E> = (components: C) => ConnectionEncrypter<E>;

export interface EncrypterHooks<E> {
  /** Sees each raw connection (both directions) before the encrypter secures it. */
  raw?: (conn: MessageStream) => void;
  /** Sees each secured connection before libp2p gets it. */
  secured?: (secured: SecuredConnection<E>) => void;
}

/**
 * Wraps an encrypter factory so that `hooks` see every connection it secures. The
 * encrypter is the first libp2p component to see each TCP connection, after protocol
 * negotiation, and the one that makes the encrypted stream the muxer runs on: the place
 * to adjust both (p2p/coalesce-writes.ts, p2p/noise-frames.ts).
 */
export function withEncrypterHooks<C, E>(factory: EncrypterFactory<C, E>, hooks: EncrypterHooks<E>): EncrypterFactory<C, E> {
  return (components) => {
    const inner = factory(components);
    const wrapped = Object.create(inner) as ConnectionEncrypter<E>;
    const secure = (dir: 'secureInbound' | 'secureOutbound') => async (conn: MessageStream, options?: SecureConnectionOptions): Promise<SecuredConnection<E>> => {
      hooks.raw?.(conn);
      const secured = await inner[dir](conn, options);
      hooks.secured?.(secured);
      return secured;
    };
    wrapped.secureInbound = secure('secureInbound');
    wrapped.secureOutbound = secure('secureOutbound');
    return wrapped;
  };
}
