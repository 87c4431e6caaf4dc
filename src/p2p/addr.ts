import { isIPv4, isIPv6 } from 'node:net';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { isPeerId } from './node-key.js';

/** "host:port" / "[v6]:port" to a TCP listen multiaddr. Port 0 is allowed. */
export function listenToMultiaddr(listen: string): string {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(listen.trim());
  if (m === null) throw new Error(`p2p listen address "${listen}" is not "host:port"`);
  let host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`p2p listen address "${listen}": port out of range`);
  if (host === 'localhost') host = '127.0.0.1';
  if (isIPv4(host)) return `/ip4/${host}/tcp/${port}`;
  if (isIPv6(host)) return `/ip6/${host}/tcp/${port}`;
  throw new Error(`p2p listen address "${listen}": host must be an IP address`);
}

export interface StaticPeer {
  peerId: string;
  addr: Multiaddr;
}

/** A static peer multiaddr that must end in /p2p/<peerId>. */
export function parseStaticPeer(addr: string): StaticPeer {
  let ma: Multiaddr;
  try {
    ma = multiaddr(addr);
  } catch (err) {
    throw new Error(`p2p peer address "${addr}" is not a valid multiaddr: ${(err as Error).message}`);
  }
  const p2p = ma.getComponents().filter((c) => c.name === 'p2p').pop();
  const peerId = p2p?.value;
  if (peerId === undefined || !isPeerId(peerId)) {
    throw new Error(`p2p peer address "${addr}" must end in /p2p/<peerId>`);
  }
  return { peerId, addr: ma };
}
