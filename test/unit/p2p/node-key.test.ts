import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateNodeKey, isPeerId, loadOrCreateNodeKey, nodeKeyFromProtobuf, peerIdFromNodeKey } from '../../../src/p2p/index.js';
import { PenaltyBox, backoffDelay } from '../../../src/p2p/penalty-box.js';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'medledger-key-'));
  dirs.push(d);
  return d;
}
afterAll(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))); });

describe('node key', () => {
  it('generate / protobuf round trip', async () => {
    const k = await generateNodeKey();
    expect(k.peerId).toMatch(/^12D3Koo/);
    expect(isPeerId(k.peerId)).toBe(true);
    const back = await nodeKeyFromProtobuf(k.privateKey);
    expect(back.peerId).toBe(k.peerId);
    expect(Buffer.from(back.privateKey).equals(Buffer.from(k.privateKey))).toBe(true);
    expect(await peerIdFromNodeKey(k.privateKey)).toBe(k.peerId);
    await expect(nodeKeyFromProtobuf(new Uint8Array([8, 1, 18, 3, 1, 2, 3]))).rejects.toThrow();
  });

  it('creates node-key.json with mode 0600 and reloads the same identity', async () => {
    const path = join(await tmp(), 'sub', 'node-key.json');
    const k1 = await loadOrCreateNodeKey(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
    expect(Object.keys(json).sort()).toEqual(['peerId', 'privateKey']);
    expect(json.peerId).toBe(k1.peerId);
    expect(Buffer.from(json.privateKey!, 'base64').equals(Buffer.from(k1.privateKey))).toBe(true);
    const k2 = await loadOrCreateNodeKey(path);
    expect(k2.peerId).toBe(k1.peerId);
    expect(Buffer.from(k2.privateKey).equals(Buffer.from(k1.privateKey))).toBe(true);
  });

  it('malformed files give an Error naming the file', async () => {
    const d = await tmp();
    const other = await generateNodeKey();
    const good = await generateNodeKey();
    const cases: Record<string, string> = {
      'notjson.json': '{nope',
      'array.json': '[]',
      'nokey.json': JSON.stringify({ peerId: good.peerId }),
      'badb64.json': JSON.stringify({ peerId: good.peerId, privateKey: '!!not base64!!' }),
      'notakey.json': JSON.stringify({ peerId: good.peerId, privateKey: Buffer.from('hello world').toString('base64') }),
      'mismatch.json': JSON.stringify({ peerId: other.peerId, privateKey: Buffer.from(good.privateKey).toString('base64') }),
      'nopeer.json': JSON.stringify({ privateKey: Buffer.from(good.privateKey).toString('base64') }),
    };
    for (const [name, text] of Object.entries(cases)) {
      const p = join(d, name);
      await writeFile(p, text);
      await expect(loadOrCreateNodeKey(p), name).rejects.toThrow(new RegExp(`node key file ${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is malformed`));
      expect(await readFile(p, 'utf8'), `${name} untouched`).toBe(text);
    }
  });
});

describe('penalty box and backoff', () => {
  it('bans at the threshold, decays, and doubles repeat bans', () => {
    let now = 0;
    const box = new PenaltyBox({ threshold: 3, decayMs: 1_000, banBaseMs: 100, banMaxMs: 350, now: () => now });
    expect(box.offend('p').banned).toBe(false);
    now += 1_500; // 1.5 offences forgiven
    expect(box.offend('p').banned).toBe(false);
    expect(box.offend('p').banned).toBe(false);
    const r = box.offend('p');
    expect(r).toMatchObject({ banned: true, banMs: 100 });
    expect(box.isBanned('p')).toBe(true);
    now += 101;
    expect(box.isBanned('p')).toBe(false);
    for (let i = 0; i < 2; i++) box.offend('p');
    expect(box.offend('p')).toMatchObject({ banned: true, banMs: 200 });
    now += 201;
    for (let i = 0; i < 2; i++) box.offend('p');
    expect(box.offend('p')).toMatchObject({ banned: true, banMs: 350 });
  });

  it('backoff doubles to the cap with jitter', () => {
    expect(backoffDelay(0, 500, 30_000, () => 0.5)).toBe(500);
    expect(backoffDelay(3, 500, 30_000, () => 0.5)).toBe(4_000);
    expect(backoffDelay(20, 500, 30_000, () => 0.5)).toBe(30_000);
    expect(backoffDelay(20, 500, 30_000, () => 1)).toBe(36_000);
    expect(backoffDelay(0, 500, 30_000, () => 0)).toBe(400);
  });
});
