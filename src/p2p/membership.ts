/**
 * Who may connect: the consortium allow-list, the penalty box and the connection gate that
 * consults both (with rate-limited refusal logs). Bookkeeping only: disconnecting is the
 * network's job.
 */
import type { Logger } from '../util/logger.js';
import type { PeerGate } from './libp2p-factory.js';
import { isPeerId } from './node-key.js';
import { PenaltyBox, type PenaltyBoxOptions } from './penalty-box.js';

const REFUSAL_LOG_INTERVAL_MS = 60_000;

export class Membership {
  private allowed: Set<string>;
  private readonly penalties: PenaltyBox;
  private penaltyCalls = 0;
  private readonly refusalLogged = new Map<string, number>();

  constructor(private readonly log: Logger, allowedPeers: Iterable<string>, penalties?: Partial<PenaltyBoxOptions>) {
    this.penalties = new PenaltyBox(penalties);
    // lenient like setAllowedPeers: the list comes from chain state, and one bad entry there
    // must not stop the node from ever starting again
    this.allowed = this.validPeerIds(allowedPeers, 'allowedPeers');
  }

  /** Called by the connection gater (after Noise, so the id is authenticated) and before dials. */
  readonly gate: PeerGate = {
    refuse: (peerId, stage) => {
      let why: string | undefined;
      if (!this.allowed.has(peerId)) why = 'not a consortium member';
      else if (this.penalties.isBanned(peerId)) why = 'backed off after repeated offences';
      if (why === undefined) return false;
      if (stage === 'dial') this.log.debug({ peer: peerId, why }, 'not dialing peer');
      else this.logRefusal(peerId, stage, why);
      return true;
    },
  };

  isAllowed(peerId: string): boolean {
    return this.allowed.has(peerId);
  }

  isBanned(peerId: string): boolean {
    return this.penalties.isBanned(peerId);
  }

  banRemainingMs(peerId: string): number {
    return this.penalties.banRemainingMs(peerId);
  }

  /** Replace the allow-list; invalid ids are logged and skipped. */
  setAllowed(peerIds: Iterable<string>): void {
    this.allowed = this.validPeerIds(peerIds, 'allowed peers');
  }

  /** Record an offence and log it. Returns true when the peer is now backed off. */
  offend(peerId: string, reason: string): boolean {
    const r = this.penalties.offend(peerId);
    if (++this.penaltyCalls % 256 === 0) this.penalties.prune();
    if (!r.banned) {
      this.log.debug({ peer: peerId, reason, score: r.score }, 'peer penalised');
      return false;
    }
    this.log.warn({ peer: peerId, reason, banMs: r.banMs }, 'peer backed off after repeated offences');
    return true;
  }

  private logRefusal(peerId: string, direction: string, why: string): void {
    const now = Date.now();
    const last = this.refusalLogged.get(peerId);
    if (last !== undefined && now - last < REFUSAL_LOG_INTERVAL_MS) {
      this.log.debug({ peer: peerId, direction, why }, 'refused connection');
      return;
    }
    if (this.refusalLogged.size > 1_000) {
      for (const [id, t] of this.refusalLogged) if (now - t >= REFUSAL_LOG_INTERVAL_MS) this.refusalLogged.delete(id);
    }
    this.refusalLogged.set(peerId, now);
    this.log.warn({ peer: peerId, direction, why }, 'refused connection');
  }

  private validPeerIds(ids: Iterable<string>, what: string): Set<string> {
    const out = new Set<string>();
    for (const id of ids) {
      if (isPeerId(id)) out.add(id);
      else this.log.warn({ peer: String(id) }, `ignoring invalid peer id in ${what}`);
    }
    return out;
  }
}
