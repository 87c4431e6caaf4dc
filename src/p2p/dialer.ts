/**
 * Static peers: dialed at start, redialed with exponential backoff after a failed dial or a
 * disconnect, never while not a member or backed off (the redial waits out the ban).
 */
import type { Logger } from '../util/logger.js';
import { parseStaticPeer, type StaticPeer } from './addr.js';
import { errMessage } from './errors.js';
import type { MedledgerLibp2p } from './libp2p-factory.js';
import type { Membership } from './membership.js';
import { backoffDelay } from './penalty-box.js';

/** A connection shorter than this does not reset the redial backoff (flapping peers back off). */
const STABLE_CONNECTION_MS = 10_000;
const DIAL_TIMEOUT_MS = 10_000;
const DEFAULT_REDIAL_BASE_MS = 500;
const DEFAULT_REDIAL_CAP_MS = 30_000;

export interface StaticDialerOptions {
  /** first redial delay; doubles per failure up to redialCapMs */
  redialBaseMs?: number;
  redialCapMs?: number;
}

export interface StaticDialerModules {
  libp2p: MedledgerLibp2p;
  members: Membership;
  log: Logger;
  isRunning: () => boolean;
}

interface StaticState extends StaticPeer {
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  connectedAt: number | undefined;
}

/** Parse the configured static peers (throws on a bad address), leaving out this node itself. */
export function parseStaticPeers(addrs: Iterable<string>, selfId: string): StaticPeer[] {
  const out: StaticPeer[] = [];
  for (const addr of addrs) {
    const sp = parseStaticPeer(addr);
    if (sp.peerId !== selfId) out.push(sp);
  }
  return out;
}

export class StaticDialer {
  private readonly statics = new Map<string, StaticState>();
  private readonly redialBaseMs: number;
  private readonly redialCapMs: number;

  constructor(peers: Iterable<StaticPeer>, opts: StaticDialerOptions, private readonly m: StaticDialerModules) {
    this.redialBaseMs = opts.redialBaseMs ?? DEFAULT_REDIAL_BASE_MS;
    this.redialCapMs = opts.redialCapMs ?? DEFAULT_REDIAL_CAP_MS;
    for (const sp of peers) this.statics.set(sp.peerId, { ...sp, attempt: 0, timer: undefined, connectedAt: undefined });
  }

  /** Dial every static peer (at start). */
  dialAll(): void {
    for (const id of this.statics.keys()) void this.dialStatic(id);
  }

  /** Dial the static peers that are members again and neither connected nor waiting for a redial. */
  dialIdle(): void {
    for (const [id, s] of this.statics) {
      if (this.m.members.isAllowed(id) && s.timer === undefined && s.connectedAt === undefined) void this.dialStatic(id);
    }
  }

  /** Cancel pending redials (at stop). */
  stop(): void {
    for (const s of this.statics.values()) {
      clearTimeout(s.timer);
      s.timer = undefined;
    }
  }

  onConnect(id: string): void {
    const s = this.statics.get(id);
    if (s === undefined) return;
    clearTimeout(s.timer);
    s.timer = undefined;
    s.connectedAt = Date.now();
  }

  onDisconnect(id: string): void {
    const s = this.statics.get(id);
    if (s === undefined) return;
    const lasted = s.connectedAt === undefined ? 0 : Date.now() - s.connectedAt;
    s.connectedAt = undefined;
    if (lasted >= STABLE_CONNECTION_MS) s.attempt = 0;
    else s.attempt += 1;
    this.scheduleRedial(id);
  }

  private isConnected(id: string): boolean {
    return this.m.libp2p.getPeers().some((p) => p.toString() === id);
  }

  private scheduleRedial(id: string): void {
    const s = this.statics.get(id);
    if (s === undefined || !this.m.isRunning() || s.timer !== undefined) return;
    if (!this.m.members.isAllowed(id) || this.isConnected(id)) return;
    const delay = Math.max(
      backoffDelay(Math.max(0, s.attempt - 1), this.redialBaseMs, this.redialCapMs),
      this.m.members.banRemainingMs(id) + 100,
    );
    this.m.log.debug({ peer: id, delayMs: delay, attempt: s.attempt }, 'redial scheduled');
    s.timer = setTimeout(() => {
      s.timer = undefined;
      void this.dialStatic(id);
    }, delay);
    s.timer.unref();
  }

  private async dialStatic(id: string): Promise<void> {
    const s = this.statics.get(id);
    if (s === undefined || !this.m.isRunning() || this.isConnected(id)) return;
    if (!this.m.members.isAllowed(id)) return; // dialed again when governance re-admits it
    if (this.m.members.isBanned(id)) {
      this.scheduleRedial(id);
      return;
    }
    try {
      await this.m.libp2p.dial(s.addr, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
    } catch (err) {
      s.attempt += 1;
      this.m.log.debug({ peer: id, attempt: s.attempt, err: errMessage(err) }, 'dial failed');
      this.scheduleRedial(id);
    }
  }
}
