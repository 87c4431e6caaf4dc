import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call, runCli, startNodeProc, tempDir, type NodeProc } from '../support/node-proc.js';

/** `medledger tx` subcommands with real flags, and `npm run demo`, against one real dev node process. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEMO = join(ROOT, 'scripts', 'demo.mjs');

function runDemo(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [DEMO, ...args], { cwd: tempDir('ml-demo-'), env: { ...process.env, MEDLEDGER_RPC: '', MEDLEDGER_HOME: '', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => { p.kill('SIGKILL'); rej(new Error(`demo timed out\n${stdout}\n${stderr}`)); }, 60_000);
    p.on('exit', (code) => { clearTimeout(t); res({ code, stdout, stderr }); });
  });
}

describe('medledger tx subcommands and the demo (real dev node)', () => {
  let node: NodeProc;
  let cwd: string;
  let home: string;
  let url: string;
  const keys: Record<string, { file: string; account: string }> = {};

  /** `medledger tx TYPE ...` against this node; stdout parsed when it is JSON. */
  async function tx(type: string, ...args: string[]): Promise<{ code: number | null; out: any; stderr: string }> {
    const r = await runCli(['tx', type, '--rpc', url, ...args]);
    let out: any = null;
    try {
      out = JSON.parse(r.stdout);
    } catch {
      /* usage and RPC errors print nothing on stdout */
    }
    return { code: r.code, out, stderr: r.stderr };
  }

  async function newKey(name: string): Promise<string> {
    const file = join(cwd, `${name}.json`);
    const r = await runCli(['keys', 'new', '--out', file]);
    expect(r.code).toBe(0);
    keys[name] = { file, account: JSON.parse(r.stdout).account };
    return keys[name]!.account;
  }

  beforeAll(async () => {
    cwd = tempDir('ml-txcli-');
    home = join(cwd, '.medledger');
    node = await startNodeProc(['--rpc', '127.0.0.1:0', '--p2p', '127.0.0.1:0', '--log-level', 'warn'], { cwd });
    url = node.rpcUrl;
    keys.admin = { file: join(home, 'keys', 'admin.json'), account: JSON.parse(readFileSync(join(home, 'keys', 'admin.json'), 'utf8')).account };
    keys.authority = { file: join(home, 'keys', 'authority.json'), account: JSON.parse(readFileSync(join(home, 'keys', 'authority.json'), 'utf8')).account };
  });

  afterAll(async () => {
    expect(await node?.stop()).toBe(0);
  });

  it('member.register and gov.vote by flags; client-side usage errors exit 2 naming the flag', async () => {
    await Promise.all([newKey('patient'), newKey('clin'), newKey('northAdmin'), newKey('northClin')]);
    const p = await tx('member.register', '--key', keys.admin!.file, '--account', keys.patient!.account, '--role', 'patient');
    expect(p.code).toBe(0);
    expect(p.out.receipt).toEqual({ status: 'ok' });
    expect((await tx('member.register', '--key', keys.admin!.file, '--account', keys.clin!.account, '--role', 'clinician', '--name', 'Dr Dev')).code).toBe(0);
    const proposal = JSON.stringify({ action: 'addOrg', org: 'north', name: 'North Hospital', admin: keys.northAdmin!.account });
    expect((await tx('gov.vote', '--key', keys.authority!.file, '--proposal', proposal)).out.receipt.status).toBe('ok');
    expect((await tx('member.register', '--key', keys.northAdmin!.file, '--account', keys.northClin!.account, '--role', 'clinician', '--name', 'Dr North')).code).toBe(0);
    expect(await call(url, 'account_get', { account: keys.northClin!.account })).toMatchObject({ role: 'clinician', org: 'north' });

    for (const [args, flag] of [
      [['member.register', '--key', keys.admin!.file, '--account', keys.patient!.account, '--role', 'patient', '--name', 'Jane'], '--name'],
      [['access.log', '--key', keys.clin!.file, '--record-id', 'dev:x', '--action', 'read', '--purpose', 'TREAT', '--emergency'], '--reason'],
      [['consent.grant', '--key', keys.patient!.file, '--grantee', 'org:north', '--purpose', 'treat'], '--purpose'],
      [['record.anchor', '--key', keys.clin!.file, '--record-id', 'dev:x', '--patient', keys.patient!.account, '--record-type', 'Observation'], '--file'],
      [['access.log', '--key', keys.clin!.file, '--bogus', 'x'], '--bogus'],
      [['access.log', '--key', keys.clin!.file, '--payload', '{}', '--purpose', 'TREAT'], '--purpose'],
    ] as const) {
      const r = await tx(...(args as unknown as [string, ...string[]]));
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(flag);
    }
    // A server refusal is printed with its code and reason, exit 1.
    const refused = await tx('member.register', '--key', keys.admin!.file, '--account', keys.patient!.account, '--role', 'patient', '--nonce', '0');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/RPC error -32000: .*nonce_too_low/);
  });

  it('record.anchor --file: salt beside the document, commitment on chain, document and salt nowhere on chain', async () => {
    const document = join(cwd, 'discharge-summary.txt');
    const text = 'SYNTHETIC discharge summary: test patient, no real data. Follow-up in 2 weeks.\n';
    writeFileSync(document, text);
    const args = ['--key', keys.clin!.file, '--record-id', 'dev:DocumentReference/ds-1', '--patient', keys.patient!.account, '--record-type', 'LOINC:18842-5', '--file', document];
    const r = await tx('record.anchor', ...args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.out.receipt).toEqual({ status: 'ok' });
    const saltPath = document + '.salt.json';
    expect(r.out.saltFile).toBe(saltPath);
    expect(r.stderr).toContain(saltPath);
    expect(statSync(saltPath).mode & 0o777).toBe(0o600);
    const saltFile = JSON.parse(readFileSync(saltPath, 'utf8'));
    expect(saltFile.salt).toMatch(/^[0-9a-f]{64}$/);
    const expected = 'sha256:' + createHash('sha256').update(Buffer.concat([Buffer.from(saltFile.salt, 'hex'), readFileSync(document)])).digest('hex');
    expect(saltFile).toEqual({ salt: saltFile.salt, contentHash: expected, recordId: 'dev:DocumentReference/ds-1' });

    const onChain = await call(url, 'chain_getTx', { hash: r.out.hash });
    expect(onChain.tx.payload).toEqual({ recordId: 'dev:DocumentReference/ds-1', patient: keys.patient!.account, recordType: 'LOINC:18842-5', contentHash: expected });
    const block = await call(url, 'chain_getBlock', { height: r.out.height });
    const docBytes = readFileSync(document);
    for (const seen of [JSON.stringify(onChain), JSON.stringify(block)]) {
      expect(seen).not.toContain(saltFile.salt);
      expect(seen).not.toContain('discharge');
      expect(seen).not.toContain(docBytes.toString('hex').slice(0, 32));
      expect(seen).not.toContain(docBytes.toString('base64').slice(0, 24));
    }

    // Whoever holds the document and its salt can check the commitment.
    expect(await call(url, 'records_verify', { recordId: 'dev:DocumentReference/ds-1', contentHash: expected })).toMatchObject({ match: true, version: 1 });

    // Again: refused (the salt is kept), unless the kept salt is reused on purpose.
    const again = await tx('record.anchor', ...args);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; refusing to overwrite.*--salt-file/);
    expect(JSON.parse(readFileSync(saltPath, 'utf8'))).toEqual(saltFile);
    const reused = await tx('record.anchor', ...args, '--salt-file', saltPath);
    expect(reused.code, reused.stderr).toBe(0);
    expect((await call(url, 'chain_getTx', { hash: reused.out.hash })).tx.payload.contentHash).toBe(expected);

    // --content-hash anchors a precomputed commitment; nothing is written.
    const pre = await tx('record.anchor', '--key', keys.clin!.file, '--record-id', 'dev:Observation/pre-1', '--patient', keys.patient!.account, '--record-type', 'Observation', '--content-hash', 'sha256:' + 'e'.repeat(64));
    expect(pre.out.receipt.status).toBe('ok');
    expect(pre.out.saltFile).toBeUndefined();

    // Refused by the node (wrong org prefix): exit 1, and the salt file it drew is removed.
    const other = join(cwd, 'other.txt');
    writeFileSync(other, 'synthetic');
    const wrong = await tx('record.anchor', '--key', keys.clin!.file, '--record-id', 'north:Observation/1', '--patient', keys.patient!.account, '--record-type', 'Observation', '--file', other);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/RPC error -32000/);
    expect(existsSync(other + '.salt.json')).toBe(false);
  });

  it('consent.grant, access.log and consent.revoke by flags: granted, denied, emergency', async () => {
    const recordId = 'dev:DocumentReference/ds-1';
    const read = (...extra: string[]) => tx('access.log', '--key', keys.northClin!.file, '--record-id', recordId, '--action', 'read', ...extra);
    expect((await read('--purpose', 'TREAT')).out.receipt).toEqual({ status: 'ok', outcome: 'denied' });

    const g = await tx('consent.grant', '--key', keys.patient!.file, '--grantee', 'org:north', '--purpose', 'TREAT', '--record-types', 'LOINC:18842-5,Observation', '--expires-at', new Date(Date.now() + 86_400_000).toISOString());
    expect(g.code, g.stderr).toBe(0);
    expect(g.out.consentId).toBe(g.out.hash);
    const grantTx = (await call(url, 'chain_getTx', { hash: g.out.hash })).tx;
    expect(grantTx.payload).toMatchObject({ grantee: 'org:north', purpose: 'TREAT', scope: { recordTypes: ['LOINC:18842-5', 'Observation'] } });
    expect(typeof grantTx.payload.expiresAt).toBe('number');

    expect((await read('--purpose', 'TREAT')).out.receipt.outcome).toBe('granted');
    expect((await read('--purpose', 'HRESCH')).out.receipt.outcome).toBe('denied');
    expect((await read('--purpose', 'ETREAT', '--emergency', '--reason', 'patient-unable-to-consent')).out.receipt.outcome).toBe('emergency');

    const rv = await tx('consent.revoke', '--key', keys.patient!.file, '--consent-id', g.out.consentId);
    expect(rv.out.receipt).toEqual({ status: 'ok' });
    expect((await read('--purpose', 'TREAT')).out.receipt.outcome).toBe('denied');
    const trail = await call(url, 'audit_trail', { recordId });
    expect(trail.events.map((e: { outcome: string }) => e.outcome)).toEqual(['denied', 'emergency', 'denied', 'granted', 'denied']);
    expect(trail.events[1]).toMatchObject({ actor: keys.northClin!.account, actorOrg: 'north', purpose: 'ETREAT', emergency: true, reason: 'patient-unable-to-consent' });
    // The custodian's own clinician is always granted; a clinician may not claim onBehalfOf.
    expect((await tx('access.log', '--key', keys.clin!.file, '--record-id', recordId, '--action', 'update', '--purpose', 'TREAT')).out.receipt.outcome).toBe('granted');
    const obo = await tx('access.log', '--key', keys.clin!.file, '--record-id', recordId, '--action', 'read', '--purpose', 'TREAT', '--on-behalf-of', 'staff-7');
    expect(obo.code).toBe(1);
    expect(obo.stderr).toMatch(/onBehalfOf/);
  });

  it('scripts/demo.mjs runs the story twice on one chain (flags, then env): denied, granted, denied, emergency, denied', async () => {
    for (let run = 0; run < 2; run++) {
      const r = run === 0 ? await runDemo(['--rpc', url, '--home', home]) : await runDemo([], { MEDLEDGER_RPC: url, MEDLEDGER_HOME: home });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const outcomes = [...r.stdout.matchAll(/-> outcome: (\w+)/g)].map((m) => m[1]);
      expect(outcomes).toEqual(['denied', 'granted', 'denied', 'emergency', 'denied']);
      // The closing table, from audit_trail, oldest first.
      expect(r.stdout).not.toContain('audit_trail is not available');
      expect(r.stdout).toContain('records_verify with the document and its salt: match=true');
      const table = r.stdout.slice(r.stdout.indexOf('audit trail'));
      const rows = table.split('\n').filter((l) => /^\s+\d{4}-\d\d-\d\dT/.test(l));
      expect(rows.map((l) => /\b(granted|denied|emergency)\b/.exec(l)?.[1])).toEqual(outcomes);
      expect(rows[3]).toMatch(/yes \(life-threatening\)/);
    }
  }, 120_000);

  it('the demo explains what is wrong when the node is not there', async () => {
    const r = await runDemo(['--rpc', 'http://127.0.0.1:9', '--home', home]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the node at http:\/\/127\.0\.0\.1:9/);
    const bad = await runDemo(['--nope']);
    expect(bad.code).toBe(2);
  });
});
