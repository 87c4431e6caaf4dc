import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MAX_MESH_DEGREE } from '../p2p/interface.js';
import { TOKEN_NAMESPACES } from '../rpc/options.js';
import { isObject, readJsonFile } from '../util/json.js';

/** HOME/config.json: every field optional; flags override it (SPEC §6). */
export interface NodeConfig {
  rpc: { host: string; port: number; tokens?: Record<string, string[]>; tls?: { certFile: string; keyFile: string }; bodyLimitBytes?: number; maxBatch?: number };
  /** meshDegree: gossipsub relay mesh (p2p/interface.ts NetworkOptions.meshDegree); 0 = none. */
  p2p: { host: string; port: number; peers: string[]; meshDegree: number };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Authority key file, relative to HOME; absent = observer node. */
  authorityKey: string | null;
  /** How long the proposer waits for more txs after the first arrives, to batch them. */
  blockWindowMs: number;
  /** Least time from the head block's time to this node's next proposal, unless the block is full (node/wake-timers.ts); 0 = none. */
  minBlockIntervalMs: number;
  mempool: { maxTotal: number; maxPerSender: number; maxNonceGap: number };
  /** Worker threads verifying signatures (0 = on the main thread). Default: cores - 1, at most 4. */
  verifyWorkers: number;
}

export const DEFAULT_CONFIG: NodeConfig = {
  rpc: { host: '127.0.0.1', port: 8645 },
  p2p: { host: '127.0.0.1', port: 8646, peers: [], meshDegree: 0 },
  logLevel: 'info',
  authorityKey: 'keys/authority.json',
  blockWindowMs: 50,
  minBlockIntervalMs: 200,
  mempool: { maxTotal: 100_000, maxPerSender: 5_000, maxNonceGap: 1_000 },
  verifyWorkers: Math.min(4, Math.max(0, availableParallelism() - 1)),
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (!isObject(v)) throw new ConfigError(`${field} must be an object`);
  return v as Record<string, unknown>;
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) throw new ConfigError(`${field} must be an integer from ${min} to ${max}`);
  return v as number;
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(`${field} must be a non-empty string`);
  return v;
}

function onlyKeys(o: Record<string, unknown>, allowed: string[], where: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new ConfigError(`${where}: unknown field "${k}" (allowed: ${allowed.join(', ')})`);
}

/** Parses "host:port" (IPv6 in brackets). */
export function parseHostPort(s: string, field: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(s);
  if (!m) throw new ConfigError(`${field} must be HOST:PORT, got "${s}"`);
  const port = Number(m[2]);
  if (port > 65535) throw new ConfigError(`${field}: port ${port} is out of range`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** Validates a config object (from config.json) over the defaults; errors name the field. */
export function validateConfig(raw: unknown, base: NodeConfig = DEFAULT_CONFIG): NodeConfig {
  const o = obj(raw, 'config');
  onlyKeys(o, ['rpc', 'p2p', 'logLevel', 'authorityKey', 'blockWindowMs', 'minBlockIntervalMs', 'mempool', 'verifyWorkers'], 'config');
  const c: NodeConfig = structuredClone(base);
  if (o.rpc !== undefined) {
    const r = obj(o.rpc, 'rpc');
    onlyKeys(r, ['host', 'port', 'tokens', 'tls', 'bodyLimitBytes', 'maxBatch'], 'rpc');
    if (r.host !== undefined) c.rpc.host = str(r.host, 'rpc.host');
    if (r.port !== undefined) c.rpc.port = int(r.port, 'rpc.port', 0, 65535);
    if (r.bodyLimitBytes !== undefined) c.rpc.bodyLimitBytes = int(r.bodyLimitBytes, 'rpc.bodyLimitBytes', 1024, 64 * 1024 * 1024);
    if (r.maxBatch !== undefined) c.rpc.maxBatch = int(r.maxBatch, 'rpc.maxBatch', 1, 10_000);
    if (r.tokens !== undefined) {
      const t = obj(r.tokens, 'rpc.tokens');
      const tokens: Record<string, string[]> = {};
      for (const [token, ns] of Object.entries(t)) {
        if (token.length < 16) throw new ConfigError('rpc.tokens: every token must be at least 16 characters');
        if (!Array.isArray(ns) || !ns.every((n) => typeof n === 'string' && /^([a-z]+|\*)$/.test(n))) {
          throw new ConfigError('rpc.tokens: each token maps to a list of namespaces like ["chain","tx","records"] or ["*"]');
        }
        const unknown = (ns as string[]).find((n) => !(TOKEN_NAMESPACES as readonly string[]).includes(n));
        if (unknown !== undefined) throw new ConfigError(`rpc.tokens: unknown namespace "${unknown}" (one of ${TOKEN_NAMESPACES.join(', ')})`);
        tokens[token] = ns as string[];
      }
      c.rpc.tokens = tokens;
    }
    if (r.tls !== undefined) {
      const t = obj(r.tls, 'rpc.tls');
      onlyKeys(t, ['certFile', 'keyFile'], 'rpc.tls');
      c.rpc.tls = { certFile: str(t.certFile, 'rpc.tls.certFile'), keyFile: str(t.keyFile, 'rpc.tls.keyFile') };
    }
  }
  if (o.p2p !== undefined) {
    const p = obj(o.p2p, 'p2p');
    onlyKeys(p, ['host', 'port', 'peers', 'meshDegree'], 'p2p');
    if (p.host !== undefined) c.p2p.host = str(p.host, 'p2p.host');
    if (p.port !== undefined) c.p2p.port = int(p.port, 'p2p.port', 0, 65535);
    if (p.peers !== undefined) {
      if (!Array.isArray(p.peers) || !p.peers.every((x) => typeof x === 'string' && x.startsWith('/'))) throw new ConfigError('p2p.peers must be a list of multiaddrs like /ip4/127.0.0.1/tcp/8646/p2p/<peerId>');
      c.p2p.peers = p.peers as string[];
    }
    if (p.meshDegree !== undefined) c.p2p.meshDegree = int(p.meshDegree, 'p2p.meshDegree', 0, MAX_MESH_DEGREE);
  }
  if (o.logLevel !== undefined) {
    if (typeof o.logLevel !== 'string' || !LOG_LEVELS.includes(o.logLevel)) throw new ConfigError(`logLevel must be one of ${LOG_LEVELS.join(', ')}`);
    c.logLevel = o.logLevel as NodeConfig['logLevel'];
  }
  if (o.authorityKey !== undefined) c.authorityKey = o.authorityKey === null ? null : str(o.authorityKey, 'authorityKey');
  if (o.blockWindowMs !== undefined) c.blockWindowMs = int(o.blockWindowMs, 'blockWindowMs', 0, 10_000);
  if (o.minBlockIntervalMs !== undefined) c.minBlockIntervalMs = int(o.minBlockIntervalMs, 'minBlockIntervalMs', 0, 60_000);
  if (o.verifyWorkers !== undefined) c.verifyWorkers = int(o.verifyWorkers, 'verifyWorkers', 0, 64);
  if (o.mempool !== undefined) {
    const m = obj(o.mempool, 'mempool');
    onlyKeys(m, ['maxTotal', 'maxPerSender', 'maxNonceGap'], 'mempool');
    if (m.maxTotal !== undefined) c.mempool.maxTotal = int(m.maxTotal, 'mempool.maxTotal', 1, 10_000_000);
    if (m.maxPerSender !== undefined) c.mempool.maxPerSender = int(m.maxPerSender, 'mempool.maxPerSender', 1, 1_000_000);
    if (m.maxNonceGap !== undefined) c.mempool.maxNonceGap = int(m.maxNonceGap, 'mempool.maxNonceGap', 0, 1_000_000);
  }
  return c;
}

export function isValidLogLevel(s: string): s is NodeConfig['logLevel'] {
  return LOG_LEVELS.includes(s);
}

export function loadConfigFile(path: string): NodeConfig {
  if (!existsSync(path)) return structuredClone(DEFAULT_CONFIG);
  let raw: unknown;
  try {
    raw = readJsonFile(path);
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
  try {
    return validateConfig(raw);
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
}
