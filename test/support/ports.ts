import { createServer } from 'node:net';

/** Below Linux's ephemeral range (32768+), where nodes listening on port 0 in parallel tests land. */
const LOW = 20_000;
const HIGH = 32_000;

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A base port P with P .. P+count-1 free on 127.0.0.1, for `--base-port` (testnet and
 * devnet homes get fixed ports). Chosen at random below the ephemeral range and checked,
 * so parallel test files and their port-0 listeners rarely collide with it.
 */
export async function freeBasePort(count: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = LOW + Math.floor(Math.random() * ((HIGH - LOW - count) / 10)) * 10;
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await free(p);
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports found between ${LOW} and ${HIGH}`);
}
