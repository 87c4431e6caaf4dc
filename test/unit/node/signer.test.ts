import { describe, expect, it } from 'vitest';
import { fdatasyncSync, ftruncateSync, mkdtempSync, readFileSync, writeFileSync, writevSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DoubleSignError, MAX_STORED_VOTES, Signer, type SignerIo } from '../../../src/node/signer.js';
import { generateKeyPair, verify } from '../../../src/chain/ed25519.js';
import { sha256Hex } from '../../../src/chain/hash.js';

const kp = generateKeyPair();
const bytes = (s: string) => Buffer.from(s.padEnd(32, '.'));

describe('Signer (double-sign guard)', () => {
  it('signs forward, returns the same signature for the same bytes, refuses conflicts', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ml-signer-')), 'signer.json');
    const s = new Signer(path, kp.secretKey, kp.account);
    const a = await s.sign(5, 0, 'prevote', 'aa', bytes('A'));
    expect(verify(kp.account, bytes('A'), a)).toBe(true);
    expect(await s.sign(5, 0, 'prevote', 'aa', bytes('A'))).toBe(a);
    await expect(s.sign(5, 0, 'prevote', 'bb', bytes('B'))).rejects.toThrow(DoubleSignError);
    await s.sign(5, 0, 'precommit', 'aa', bytes('C'));
    await expect(s.sign(5, 0, 'prevote', 'aa', bytes('A'))).rejects.toThrow(DoubleSignError);
    await s.sign(5, 1, 'prevote', null, bytes('D'));
    await expect(s.sign(4, 9, 'precommit', 'aa', bytes('E'))).rejects.toThrow(DoubleSignError);
  });

  it('remembers across a restart (a new Signer on the same file)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ml-signer-')), 'signer.json');
    await new Signer(path, kp.secretKey, kp.account).sign(7, 2, 'precommit', 'cc', bytes('X'));
    const again = new Signer(path, kp.secretKey, kp.account);
    expect(again.lastSigned()).toMatchObject({ height: 7, round: 2, step: 3, blockHash: 'cc' });
    await expect(again.sign(7, 2, 'precommit', 'dd', bytes('Y'))).rejects.toThrow(DoubleSignError);
    await expect(again.sign(7, 1, 'prevote', 'dd', bytes('Y'))).rejects.toThrow(DoubleSignError);
  });

  it('keeps the height precommit lock (with its proposal) across later signatures and a restart', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ml-signer-')), 'signer.json');
    const s = new Signer(path, kp.secretKey, kp.account);
    await s.sign(9, 0, 'prevote', 'aa', bytes('P0'));
    await s.sign(9, 0, 'precommit', 'aa', bytes('C0'), { proposal: { blockHash: 'aa', round: 0 } });
    await s.sign(9, 1, 'prevote', null, bytes('P1'));
    const again = new Signer(path, kp.secretKey, kp.account);
    expect(again.lockAt(9)).toEqual({ height: 9, round: 0, blockHash: 'aa', proposal: { blockHash: 'aa', round: 0 } });
    expect(again.lockAt(10)).toBeNull();
    await again.sign(10, 0, 'prevote', 'bb', bytes('N'));
    expect(again.lockAt(10)).toBeNull();
  });

  it('writes each slot as {"seq":N,"rec":R,"sum":S}, S = sha256(N + R), R = JSON.stringify(rec) when no proposal JSON is given', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ml-signer-')), 'signer.json');
    const s = new Signer(path, kp.secretKey, kp.account);
    await s.sign(3, 0, 'precommit', 'ee', bytes('P'), { proposal: { block: { header: { height: 3 }, txs: [{ note: 'caf\u00e9 "q"' }] } } });
    const text = readFileSync(path + '.alt', 'utf8');
    const o = JSON.parse(text) as { seq: number; rec: unknown; sum: string };
    expect(JSON.stringify({ seq: o.seq, rec: o.rec, sum: o.sum })).toBe(text);
    expect(o.sum).toBe(sha256Hex(o.seq + JSON.stringify(o.rec)));
  });

  it('writes a lock proposal given as JSON as is; the checksum covers the record text as written', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ml-signer-')), 'signer.json');
    const s = new Signer(path, kp.secretKey, kp.account);
    const proposal = { blockHash: 'aa', block: { txs: [{ a: 1, b: 'caf\u00e9' }] } };
    // The same value with another key order inside the tx (as JCS wire bytes give it).
    const json = Buffer.from('{"blockHash":"aa","block":{"txs":[{"b":"caf\u00e9","a":1}]}}');
    await s.sign(9, 0, 'precommit', 'aa', bytes('C0'), { proposal, proposalJson: json });
    const text = readFileSync(path + '.alt', 'utf8');
    expect(text).toContain('"proposal":{"blockHash":"aa","block":{"txs":[{"b":"caf\u00e9","a":1}]}}}');
    const o = JSON.parse(text) as { seq: number; rec: unknown; sum: string };
    expect(o.sum).toBe(sha256Hex(o.seq + text.slice(`{"seq":${o.seq},"rec":`.length, text.length - `,"sum":"${o.sum}"}`.length)));
    expect(o.sum).not.toBe(sha256Hex(o.seq + JSON.stringify(o.rec).replace('"b":"caf\u00e9","a":1', '"a":1,"b":"caf\u00e9"')));
    // A later signature at the height carries the lock on, still from the given JSON.
    await s.sign(9, 1, 'prevote', null, bytes('P1'));
    expect(readFileSync(path, 'utf8')).toContain('"proposal":{"blockHash":"aa","block":{"txs":[{"b":"caf\u00e9","a":1}]}}}');
    const again = new Signer(path, kp.secretKey, kp.account);
    expect(again.lockAt(9)).toEqual({ height: 9, round: 0, blockHash: 'aa', proposal });
    expect(again.lastSigned()).toMatchObject({ height: 9, round: 1, step: 2 });
  });

  it('keeps the lock\'s proof-of-lock prevotes with it, before its spliced proposal JSON, across later signatures and a restart', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ml-signer-')), 'signer.json');
    const s = new Signer(path, kp.secretKey, kp.account);
    const pol = [{ type: 'prevote', height: 9, round: 2, blockHash: 'aa', validator: 'v1', sig: 's1' }, { type: 'prevote', height: 9, round: 2, blockHash: 'aa', validator: 'v2', sig: 's2' }];
    await s.sign(9, 2, 'precommit', 'aa', bytes('C2'), { proposal: { x: 1 }, proposalJson: Buffer.from('{"x":1}'), pol });
    await s.sign(9, 3, 'prevote', null, bytes('P3'));
    s.close();
    const again = new Signer(path, kp.secretKey, kp.account);
    expect(again.lockAt(9)).toEqual({ height: 9, round: 2, blockHash: 'aa', pol, proposal: { x: 1 } });
    expect(again.lastSigned()).toMatchObject({ height: 9, round: 3, step: 2 }); // read from the carried record, not the older slot
    again.close();
  });

  it('records the height\'s own votes as vote messages (the latest MAX_STORED_VOTES), carried across signatures and reset at a new height', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ml-signer-')), 'signer.json');
    const s = new Signer(path, kp.secretKey, kp.account);
    await s.sign(4, 0, 'proposal', 'aa', bytes('R0'));
    expect(s.votesAt(4)).toEqual([]); // a proposal is not a vote
    const pv = await s.sign(4, 0, 'prevote', 'aa', bytes('P0'));
    const pc = await s.sign(4, 0, 'precommit', null, bytes('C0'));
    expect(s.votesAt(4)).toEqual([
      { type: 'prevote', height: 4, round: 0, blockHash: 'aa', validator: kp.account, sig: pv },
      { type: 'precommit', height: 4, round: 0, blockHash: null, validator: kp.account, sig: pc },
    ]);
    for (let r = 1; r <= MAX_STORED_VOTES; r++) {
      await s.sign(4, r, 'prevote', null, bytes(`P${r}`));
      await s.sign(4, r, 'precommit', null, bytes(`C${r}`));
    }
    s.close();
    const again = new Signer(path, kp.secretKey, kp.account);
    const kept = again.votesAt(4) as Array<{ round: number; type: string }>;
    expect(kept).toHaveLength(MAX_STORED_VOTES);
    expect(kept.at(-1)).toMatchObject({ round: MAX_STORED_VOTES, type: 'precommit' });
    expect(kept[0]).toMatchObject({ round: MAX_STORED_VOTES / 2 + 1, type: 'prevote' });
    expect(again.votesAt(3)).toEqual([]);
    await again.sign(5, 0, 'prevote', null, bytes('N'));
    expect(again.votesAt(5)).toHaveLength(1);
    expect(again.votesAt(4)).toEqual([]);
    again.close();
  });

  it('a slot whose record text was altered fails its checksum: the other slot is used', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ml-signer-')), 'signer.json');
    const s = new Signer(path, kp.secretKey, kp.account);
    await s.sign(9, 0, 'precommit', 'aa', bytes('C0'), { proposal: { x: 1 }, proposalJson: Buffer.from('{"x":1}') });
    await s.sign(9, 1, 'prevote', null, bytes('P1'));
    s.close();
    writeFileSync(path, readFileSync(path, 'utf8').replace('{"x":1}', '{"x": 1}'));
    const again = new Signer(path, kp.secretKey, kp.account);
    expect(again.lastSigned()).toMatchObject({ height: 9, round: 0, step: 3 });
    expect(again.lockAt(9)?.proposal).toEqual({ x: 1 });
    again.close();
  });

  it('starts when its slot files exist but are empty (an authority that never signed)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-signer-'));
    const path = join(dir, 'signer.json');
    new Signer(path, kp.secretKey, kp.account).close();
    const again = new Signer(path, kp.secretKey, kp.account);
    expect(again.lastSigned()).toBeNull();
    await again.sign(1, 0, 'prevote', 'aa', bytes('Z'));
    again.close();
  });

  it('reads the single-record format of earlier versions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-signer-'));
    const path = join(dir, 'signer.json');
    writeFileSync(path, JSON.stringify({ height: 4, round: 1, step: 3, blockHash: 'ee', bytesHash: 'x', sig: 'y' }));
    const s = new Signer(path, kp.secretKey, kp.account);
    expect(s.lastSigned()).toMatchObject({ height: 4, round: 1, step: 3 });
    await expect(s.sign(4, 1, 'precommit', 'ff', bytes('Q'))).rejects.toThrow(DoubleSignError);
    s.close();
  });

  it('a short write (disk full) releases no signature; the last durable record still guards after a restart', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ml-signer-')), 'signer.json');
    const healthy = new Signer(path, kp.secretKey, kp.account);
    await healthy.sign(3, 0, 'prevote', 'aa', bytes('P'));
    await healthy.sign(3, 0, 'precommit', 'aa', bytes('C'));
    healthy.close();
    // The disk fills up: each write stores only the first half of its bytes.
    const full: SignerIo = {
      writevSync: (fd, buffers, position) => {
        const all = Buffer.concat(buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
        return writevSync(fd, [all.subarray(0, all.length >> 1)], position);
      },
      ftruncateSync, fdatasyncSync,
    };
    const s = new Signer(path, kp.secretKey, kp.account, full);
    await expect(s.sign(4, 0, 'prevote', 'bb', bytes('P4'))).rejects.toThrow(/wrote \d+ of \d+ bytes of the signing record; not signing/);
    expect(s.lastSigned()).toMatchObject({ height: 3, round: 0, step: 3 });
    // Still refuses a conflict with what is durable, whatever the disk does.
    await expect(s.sign(3, 0, 'precommit', 'zz', bytes('Z'))).rejects.toThrow(DoubleSignError);
    s.close();
    // After a restart the torn slot fails its checksum; the other slot holds the last record.
    const again = new Signer(path, kp.secretKey, kp.account);
    expect(again.lastSigned()).toMatchObject({ height: 3, round: 0, step: 3, blockHash: 'aa' });
    await expect(again.sign(3, 0, 'precommit', 'zz', bytes('Z'))).rejects.toThrow(DoubleSignError);
    const sig = await again.sign(4, 0, 'prevote', 'bb', bytes('P4'));
    expect(verify(kp.account, bytes('P4'), sig)).toBe(true);
    again.close();
  });

  it('a failed sync releases no signature', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ml-signer-')), 'signer.json');
    const failingSync: SignerIo = {
      writevSync, ftruncateSync,
      fdatasyncSync: () => { throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }); },
    };
    const s = new Signer(path, kp.secretKey, kp.account, failingSync);
    await expect(s.sign(1, 0, 'prevote', 'aa', bytes('A'))).rejects.toThrow(/EIO/);
    expect(s.lastSigned()).toBeNull();
    s.close();
  });

  it('refuses to start on a corrupt record rather than risk a double sign', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-signer-'));
    const path = join(dir, 'signer.json');
    writeFileSync(path, '{"seq":1,"rec":{"height":1},"sum":"bad"}');
    expect(() => new Signer(path, kp.secretKey, kp.account)).toThrow(/refusing to sign/);
  });
});
