import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentCommitment, defaultSaltPath, prepareAnchor, SALT_BYTES, writeSaltFile } from '../../../src/cli/commands/anchor-file.js';
import { UsageError } from '../../../src/cli/args.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'ml-anchor-'));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function doc(content = 'synthetic lab result: potassium 4.1 mmol/L\n'): string {
  const p = join(dir(), 'report.txt');
  writeFileSync(p, content);
  return p;
}

describe('salted commitment (SPEC §3 contentHash)', () => {
  it('is "sha256:" + hex(sha256(salt || documentBytes))', () => {
    const salt = randomBytes(32);
    const bytes = Buffer.from('{"resourceType":"Observation"}');
    expect(contentCommitment(salt, bytes)).toBe('sha256:' + sha(Buffer.concat([salt, bytes])));
    expect(contentCommitment(salt, bytes)).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The salt matters: same document, other salt, other commitment; and it is not the plain hash.
    expect(contentCommitment(randomBytes(32), bytes)).not.toBe(contentCommitment(salt, bytes));
    expect(contentCommitment(salt, bytes)).not.toBe('sha256:' + sha(bytes));
  });

  it('works on empty documents and refuses a salt that is not 32 bytes', () => {
    const salt = Buffer.alloc(32, 7);
    expect(contentCommitment(salt, Buffer.alloc(0))).toBe('sha256:' + sha(salt));
    expect(() => contentCommitment(Buffer.alloc(16), Buffer.from('x'))).toThrow(/32 bytes/);
  });
});

describe('prepareAnchor: fresh salt written beside the document', () => {
  it('computes the commitment from a fresh 32-byte salt and writes DOCUMENT.salt.json (0600) only on persist', () => {
    const path = doc();
    const salt = Buffer.alloc(SALT_BYTES, 0xab);
    let asked = 0;
    const p = prepareAnchor({ documentPath: path, recordId: 'north:Observation/1', random: (n) => { asked = n; return salt; } });
    expect(asked).toBe(32);
    expect(p.contentHash).toBe('sha256:' + sha(Buffer.concat([salt, readFileSync(path)])));
    expect(p.saltPath).toBe(path + '.salt.json');
    expect(p.saltPath).toBe(defaultSaltPath(path));
    expect(p.reused).toBe(false);
    expect(existsSync(p.saltPath)).toBe(false);
    p.persist();
    expect(statSync(p.saltPath).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(p.saltPath, 'utf8'))).toEqual({ salt: salt.toString('hex'), contentHash: p.contentHash, recordId: 'north:Observation/1' });
  });

  it('draws a different salt each time by default', () => {
    const a = prepareAnchor({ documentPath: doc('same'), recordId: 'n:x' });
    const b = prepareAnchor({ documentPath: doc('same'), recordId: 'n:x' });
    expect(a.contentHash).not.toBe(b.contentHash);
  });

  it('refuses to overwrite an existing salt file, before anything is written, and says how to reuse it', () => {
    const path = doc();
    const first = prepareAnchor({ documentPath: path, recordId: 'north:a' });
    first.persist();
    const before = readFileSync(first.saltPath, 'utf8');
    expect(() => prepareAnchor({ documentPath: path, recordId: 'north:a' })).toThrow(/already exists; refusing to overwrite.*--salt-file/);
    expect(readFileSync(first.saltPath, 'utf8')).toBe(before);
  });

  it('persist refuses too if the file appeared in between (no silent overwrite)', () => {
    const path = doc();
    const p = prepareAnchor({ documentPath: path, recordId: 'north:a' });
    writeFileSync(p.saltPath, 'someone else\n');
    expect(() => p.persist()).toThrow(/refusing to overwrite/);
    expect(readFileSync(p.saltPath, 'utf8')).toBe('someone else\n');
    expect(() => writeSaltFile(p.saltPath, { salt: '00'.repeat(32), contentHash: 'x', recordId: 'y' })).toThrow(/refusing to overwrite/);
  });

  it('discard removes the salt file it wrote (the tx was refused) and nothing else', () => {
    const path = doc();
    const p = prepareAnchor({ documentPath: path, recordId: 'north:a' });
    p.discard();
    expect(existsSync(path)).toBe(true);
    p.persist();
    p.discard();
    expect(existsSync(p.saltPath)).toBe(false);
    expect(existsSync(path)).toBe(true);
  });
});

describe('prepareAnchor --salt-file: re-anchoring with a kept salt', () => {
  it('reuses the salt, gives the same commitment for the same document and writes nothing', () => {
    const path = doc();
    const first = prepareAnchor({ documentPath: path, recordId: 'north:a' });
    first.persist();
    const before = readFileSync(first.saltPath, 'utf8');
    const again = prepareAnchor({ documentPath: path, recordId: 'north:a', saltFile: first.saltPath });
    expect(again.reused).toBe(true);
    expect(again.contentHash).toBe(first.contentHash);
    expect(again.warning).toBeUndefined();
    again.persist();
    again.discard();
    expect(readFileSync(first.saltPath, 'utf8')).toBe(before);
  });

  it('warns when the document changed since the salt file was written', () => {
    const path = doc('v1');
    const first = prepareAnchor({ documentPath: path, recordId: 'north:a' });
    first.persist();
    writeFileSync(path, 'v2');
    const again = prepareAnchor({ documentPath: path, recordId: 'north:a', saltFile: first.saltPath });
    expect(again.contentHash).not.toBe(first.contentHash);
    expect(again.warning).toContain(first.contentHash);
  });

  it('usage errors name --file and --salt-file', () => {
    const d = dir();
    expect(() => prepareAnchor({ documentPath: join(d, 'missing.pdf'), recordId: 'n:a' })).toThrow(UsageError);
    expect(() => prepareAnchor({ documentPath: join(d, 'missing.pdf'), recordId: 'n:a' })).toThrow(/--file .*not found/);
    expect(() => prepareAnchor({ documentPath: d, recordId: 'n:a' })).toThrow(/--file .*is a directory/);
    const path = doc();
    expect(() => prepareAnchor({ documentPath: path, recordId: 'n:a', saltFile: join(d, 'nope.json') })).toThrow(/--salt-file .*not found/);
    const bad = join(d, 'bad.salt.json');
    writeFileSync(bad, JSON.stringify({ salt: 'abc' }));
    expect(() => prepareAnchor({ documentPath: path, recordId: 'n:a', saltFile: bad })).toThrow(/--salt-file .*"salt" must be 64 lowercase hex/);
    writeFileSync(bad, 'not json');
    expect(() => prepareAnchor({ documentPath: path, recordId: 'n:a', saltFile: bad })).toThrow(/--salt-file .*not valid JSON/);
  });
});
