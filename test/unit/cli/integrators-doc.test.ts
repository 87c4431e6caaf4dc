import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalize } from '../../../src/chain/jcs.js';
import { publicKeyOf, verify } from '../../../src/chain/ed25519.js';
import { signTx, txHash } from '../../../src/chain/tx.js';
import type { TxBody } from '../../../src/chain/types.js';
import { contentCommitment } from '../../../src/cli/commands/anchor-file.js';

/**
 * docs/integrators.md's worked example must be what our code computes: its values live
 * in fixtures/integrators-example.json, recomputed here, and the page must show each
 * of them; the page's Node and Python snippets are run against the same values.
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..', '..');
const doc = readFileSync(join(ROOT, 'docs', 'integrators.md'), 'utf8');
const fx = JSON.parse(readFileSync(join(HERE, 'fixtures', 'integrators-example.json'), 'utf8'));
const vectors = JSON.parse(readFileSync(join(ROOT, 'test', 'vectors', 'signing.json'), 'utf8'));

/** The fenced block right after `<!-- snippet:NAME -->`. */
function snippet(name: string): string {
  const m = new RegExp(`<!-- snippet:${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
  if (!m) throw new Error(`docs/integrators.md has no snippet:${name}`);
  return m[1]!;
}

/** Every ```json block of the page, parsed. */
const jsonBlocks = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]!));

describe('docs/integrators.md worked example', () => {
  it('uses the published TEST key of test/vectors/signing.json case 0', () => {
    expect(fx.key).toEqual({ secretKey: vectors.cases[0].secretKey, account: vectors.cases[0].account });
    expect(publicKeyOf(fx.key.secretKey)).toBe(fx.key.account);
  });

  it('the fixture values are what our code computes', () => {
    const { document, salt, contentHash } = fx.commitment;
    expect(contentCommitment(Buffer.from(salt, 'hex'), Buffer.from(document, 'utf8'))).toBe(contentHash);
    expect(fx.body.payload.contentHash).toBe(contentHash);
    const body = fx.body as TxBody;
    expect(body.from).toBe(fx.key.account);
    expect(canonicalize(body)).toBe(fx.canonical);
    expect(txHash(body)).toBe(fx.hash);
    const wire = signTx(body, fx.key.secretKey);
    expect(wire.sig).toBe(fx.sig);
    expect(wire).toEqual(fx.wire);
    expect(verify(fx.key.account, Buffer.from(fx.hash, 'hex'), fx.sig)).toBe(true);
  });

  it('the page shows every value, verbatim', () => {
    for (const v of [fx.key.secretKey, fx.key.account, fx.canonical, fx.hash, fx.sig, fx.commitment.salt, fx.commitment.document, fx.commitment.contentHash]) {
      expect(doc).toContain(v);
    }
    expect(jsonBlocks).toContainEqual(fx.body);
    expect(jsonBlocks).toContainEqual(fx.wire);
    expect(doc).not.toMatch(/\{\{\w+(:\w+)?\}\}/);
    expect(doc).toContain('records-api.md');
  });

  it('the Node.js snippet reproduces the commitment, hash and signature', () => {
    const driver = `
const fx = ${JSON.stringify(fx)};
const tx = signTx(fx.body, fx.key.secretKey);
const ch = contentHash(Buffer.from(fx.commitment.salt, 'hex'), Buffer.from(fx.commitment.document, 'utf8'));
process.stdout.write(JSON.stringify({ ch, hash: tx.hash, tx: tx.tx, saltLen: newSalt().length }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', snippet('node') + '\n' + driver], { encoding: 'utf8' }));
    expect(out).toEqual({ ch: fx.commitment.contentHash, hash: fx.hash, tx: fx.wire, saltLen: 32 });
  });

  const python = spawnSync('python3', ['-c', 'import cryptography'], { encoding: 'utf8' });
  it.skipIf(python.status !== 0)('the Python snippet reproduces the commitment, hash and signature (needs python3 + cryptography)', () => {
    const driver = `
fx = json.loads(${JSON.stringify(JSON.stringify(fx))})
h, tx = sign_tx(fx["body"], fx["key"]["secretKey"])
ch = content_hash(bytes.fromhex(fx["commitment"]["salt"]), fx["commitment"]["document"].encode("utf-8"))
print(json.dumps({"ch": ch, "hash": h, "tx": tx, "canonical": jcs(fx["body"]).decode("utf-8"), "saltLen": len(new_salt())}))`;
    const r = spawnSync('python3', ['-c', snippet('python') + '\n' + driver], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ ch: fx.commitment.contentHash, hash: fx.hash, tx: fx.wire, canonical: fx.canonical, saltLen: 32 });
  });
});
