import { describe, expect, it } from 'vitest';
import { StatusPollSchedule } from '../../../src/node/status-poll.js';

describe('StatusPollSchedule', () => {
  it('does not poll while the head advances by consensus, and polls once it stops', () => {
    const s = new StatusPollSchedule(2_000, 10_000, 5);
    expect(s.tick(6)).toBe(false);
    expect(s.tick(9)).toBe(false);
    expect(s.delayMs).toBe(2_000);
    expect(s.tick(9)).toBe(true); // stalled at 9
  });

  it('polls when the head moved only by sync (catching up, peers may have moved on)', () => {
    const s = new StatusPollSchedule(2_000, 10_000, 5);
    s.synced();
    expect(s.tick(50)).toBe(true);
    expect(s.delayMs).toBe(2_000);
  });

  it('backs off while no peer is ahead, up to the maximum, and returns to the base interval', () => {
    const s = new StatusPollSchedule(2_000, 10_000, 5);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      expect(s.tick(5)).toBe(true);
      s.polled(false);
      delays.push(s.delayMs);
    }
    expect(delays).toEqual([4_000, 8_000, 10_000, 10_000, 10_000]);
    s.polled(true);
    expect(s.delayMs).toBe(2_000);
    s.polled(false);
    expect(s.tick(6)).toBe(false); // consensus resumed: base interval again
    expect(s.delayMs).toBe(2_000);
    s.polled(false);
    s.polled(false);
    s.synced(); // blocks applied by sync
    expect(s.delayMs).toBe(2_000);
    expect(s.tick(7)).toBe(true);
  });
});
