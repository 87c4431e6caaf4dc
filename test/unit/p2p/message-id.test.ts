import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { contentMessageId, meshParams } from '../../../src/p2p/libp2p-factory.js';

const expected = (topic: string, data: Uint8Array) => createHash('sha256').update(topic).update(new Uint8Array([0])).update(data).digest();

describe('contentMessageId', () => {
  it('is sha256(topic || 0x00 || data), computed once per payload and topic', () => {
    const data = Buffer.from('{"txs":[]}');
    const a = contentMessageId('/t/tx/1', data);
    expect(Buffer.from(a).equals(expected('/t/tx/1', data))).toBe(true);
    expect(contentMessageId('/t/tx/1', data)).toBe(a);
    const other = contentMessageId('/t/consensus/1', data);
    expect(Buffer.from(other).equals(expected('/t/consensus/1', data))).toBe(true);
    expect(Buffer.from(contentMessageId('/t/tx/1', undefined)).equals(expected('/t/tx/1', new Uint8Array(0)))).toBe(true);
  });
});

describe('meshParams', () => {
  it('0: no mesh, so nothing is relayed at once, and IHAVE gossip to every peer', () => {
    expect(meshParams(0)).toEqual({ D: 0, Dlo: 0, Dhi: 0, Dscore: 0, Dout: 0, Dlazy: 64 });
  });

  it('1..12: the bounds gossipsub requires (Dout < Dlo <= D <= Dhi, Dscore <= D, Dout <= D/2)', () => {
    expect(meshParams(4)).toEqual({ D: 4, Dlo: 2, Dhi: 6, Dscore: 2, Dout: 1, Dlazy: 3 });
    for (let d = 1; d <= 12; d++) {
      const p = meshParams(d);
      expect(p.D).toBe(d);
      expect(p.Dout!).toBeLessThan(p.Dlo!);
      expect(p.Dlo!).toBeGreaterThanOrEqual(1);
      expect(p.Dlo!).toBeLessThanOrEqual(d);
      expect(p.Dhi!).toBeGreaterThanOrEqual(d);
      expect(p.Dscore!).toBeLessThanOrEqual(d);
      expect(p.Dout!).toBeLessThanOrEqual(d / 2);
    }
  });
});
