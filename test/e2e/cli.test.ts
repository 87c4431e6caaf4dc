import { describe, expect, it } from 'vitest';
import { writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startNodeProc, tempDir } from '../support/node-proc.js';

describe('medledger CLI operator errors', () => {
  it('unknown flag and bad values are usage errors (exit 2) that name the flag', async () => {
    const r = await runCli(['start', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--bogus');
    const p = await runCli(['start', '--rpc', 'nonsense']);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('--rpc must be HOST:PORT');
    const c = await runCli(['frobnicate']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('unknown command');
  });

  it('a busy RPC port, a locked home and a corrupt data directory give clear errors', async () => {
    const home = join(tempDir(), 'home');
    const node = await startNodeProc(['--home', home, '--rpc', '127.0.0.1:0', '--p2p', '127.0.0.1:0', '--log-level', 'warn']);
    try {
      const port = new URL(node.rpcUrl).port;
      const other = join(tempDir(), 'other');
      const busy = await runCli(['start', '--home', other, '--rpc', `127.0.0.1:${port}`, '--p2p', '127.0.0.1:0', '--log-level', 'silent']);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(/in use/i);
      const locked = await runCli(['start', '--home', home, '--rpc', '127.0.0.1:0', '--p2p', '127.0.0.1:0', '--log-level', 'silent']);
      expect(locked.code).toBe(1);
      expect(locked.stderr).toMatch(/locked/);
    } finally {
      expect(await node.stop()).toBe(0);
    }
    const data = join(home, 'data');
    for (const f of readdirSync(data)) if (f.startsWith('MANIFEST') || f === 'CURRENT') writeFileSync(join(data, f), 'garbage\n');
    const corrupt = await runCli(['start', '--home', home, '--rpc', '127.0.0.1:0', '--p2p', '127.0.0.1:0', '--log-level', 'silent']);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/cannot open data directory|data directory .* is corrupt/);
  });

  it('keys new/show never print a secret from a file; tx --help lists types', async () => {
    const dir = tempDir();
    const made = await runCli(['keys', 'new', '--out', join(dir, 'k.json')]);
    expect(made.code).toBe(0);
    expect(made.stdout).not.toContain('secretKey');
    const shown = await runCli(['keys', 'show', join(dir, 'k.json')]);
    expect(JSON.parse(shown.stdout)).toEqual({ account: JSON.parse(made.stdout).account });
    const again = await runCli(['keys', 'new', '--out', join(dir, 'k.json')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('refusing to overwrite');
  });

  it('a malformed config.json is refused with the field named', async () => {
    const home = join(tempDir(), 'home');
    expect((await runCli(['init', '--home', home, '--chain-id', 'cfg-test'])).code).toBe(0);
    writeFileSync(join(home, 'config.json'), JSON.stringify({ rpc: { port: 'eighty' } }));
    const r = await runCli(['start', '--home', home, '--log-level', 'silent']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rpc.port must be an integer');
  });
});
