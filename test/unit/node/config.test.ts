import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, ConfigError, loadConfigFile, parseHostPort, validateConfig } from '../../../src/node/config.js';

const TOKEN = 'a-long-enough-token-0123';

describe('config.json validation', () => {
  it('an empty object gives the defaults; fields override them', () => {
    expect(validateConfig({})).toEqual(DEFAULT_CONFIG);
    const c = validateConfig({ rpc: { port: 9000, tokens: { [TOKEN]: ['chain', 'tx'] } }, p2p: { peers: ['/ip4/127.0.0.1/tcp/1/p2p/x'], meshDegree: 4 }, logLevel: 'warn', verifyWorkers: 0, mempool: { maxTotal: 10 } });
    expect(c.rpc).toMatchObject({ host: '127.0.0.1', port: 9000, tokens: { [TOKEN]: ['chain', 'tx'] } });
    expect(c.p2p.peers).toHaveLength(1);
    expect(c.p2p.meshDegree).toBe(4);
    expect(c).toMatchObject({ logLevel: 'warn', verifyWorkers: 0, mempool: { maxTotal: 10, maxPerSender: DEFAULT_CONFIG.mempool.maxPerSender } });
  });

  it('every error names the field and the problem', () => {
    const bad: Array<[unknown, RegExp]> = [
      [[], /config must be an object/],
      [{ rcp: {} }, /config: unknown field "rcp"/],
      [{ rpc: { port: 'x' } }, /rpc.port must be an integer from 0 to 65535/],
      [{ rpc: { port: 70_000 } }, /rpc.port must be an integer/],
      [{ rpc: { tokens: { short: ['chain'] } } }, /at least 16 characters/],
      [{ rpc: { tokens: { [TOKEN]: 'chain' } } }, /list of namespaces/],
      [{ rpc: { tokens: { [TOKEN]: ['chian'] } } }, /unknown namespace "chian"/],
      [{ rpc: { tls: { certFile: 'c' } } }, /rpc.tls.keyFile must be a non-empty string/],
      [{ p2p: { peers: ['127.0.0.1:1'] } }, /p2p.peers must be a list of multiaddrs/],
      [{ p2p: { meshDegree: 13 } }, /p2p.meshDegree must be an integer from 0 to 12/],
      [{ p2p: { meshDegree: 1.5 } }, /p2p.meshDegree must be an integer/],
      [{ logLevel: 'loud' }, /logLevel must be one of/],
      [{ blockWindowMs: -1 }, /blockWindowMs must be an integer/],
      [{ minBlockIntervalMs: 60_001 }, /minBlockIntervalMs must be an integer from 0 to 60000/],
      [{ minBlockIntervalMs: '200' }, /minBlockIntervalMs must be an integer/],
      [{ verifyWorkers: 1.5 }, /verifyWorkers must be an integer/],
      [{ mempool: { maxTotal: 0 } }, /mempool.maxTotal must be an integer/],
    ];
    for (const [raw, re] of bad) expect(() => validateConfig(raw), JSON.stringify(raw)).toThrow(re);
  });

  it('loadConfigFile: missing file = defaults; bad JSON and bad fields name the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-cfg-'));
    expect(loadConfigFile(join(dir, 'none.json'))).toEqual(DEFAULT_CONFIG);
    writeFileSync(join(dir, 'a.json'), '{');
    expect(() => loadConfigFile(join(dir, 'a.json'))).toThrow(ConfigError);
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ rpc: { port: 'x' } }));
    expect(() => loadConfigFile(join(dir, 'b.json'))).toThrow(/b\.json: rpc\.port/);
  });

  it('parseHostPort', () => {
    expect(parseHostPort('127.0.0.1:8645', 'f')).toEqual({ host: '127.0.0.1', port: 8645 });
    expect(parseHostPort('[::1]:1', 'f')).toEqual({ host: '::1', port: 1 });
    expect(() => parseHostPort('nohost', '--rpc')).toThrow(/--rpc must be HOST:PORT/);
    expect(() => parseHostPort('h:70000', '--rpc')).toThrow(/out of range/);
  });
});
