import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { contentMessageId } from '../../../src/p2p/libp2p-factory.js';

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
