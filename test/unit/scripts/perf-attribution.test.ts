import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = join(__dirname, '..', '..', '..', 'scripts', 'perf-attribution.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 20_000 });

// The sampling itself needs Linux perf and root; these check what the script refuses before it starts a bench.
describe('scripts/perf-attribution.mjs', () => {
  it('prints its usage with --help', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: node scripts/perf-attribution.mjs');
  });

  it.each([
    [['--seconds', '0']],
    [['--seconds', 'soon']],
    [['--delay=-1']],
    [['--seconds', '500']],
  ])('refuses %j with exit 2 and says which flag is wrong', (args) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--delay must be 0..600 and --seconds 1..120');
  });

  it('refuses an unknown flag with exit 2 and its usage, not a stack trace', () => {
    const r = run('--rate', '5');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--rate'/);
    expect(r.stderr).toContain('usage: node scripts/perf-attribution.mjs');
    expect(r.stderr).not.toContain('    at ');
  });
});
