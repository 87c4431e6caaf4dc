#!/usr/bin/env node
import '../polyfill.js';
import { UsageError } from './args.js';
import { RpcCallError } from './rpc-client.js';

const USAGE = `medledger: permissioned blockchain node for hospital consortia

Usage:
  medledger start [--home DIR] [--rpc HOST:PORT] [--p2p HOST:PORT] [--peers MULTIADDR,...] [--log-level L]
  medledger init --home DIR --chain-id ID [--org ORG] [--org-name NAME] [--rpc HOST:PORT] [--p2p HOST:PORT]
  medledger testnet --nodes N --out DIR [--chain-id ID] [--base-port P]
  medledger keys new [--out FILE]
  medledger keys show FILE
  medledger tx <type> --key FILE [--rpc URL] [--nonce N] [--no-wait] ...   (medledger tx --help)
  medledger verify FILE --home DIR   (checks a chain_getTxProof result offline)
  medledger bench [--nodes N] [--txs M] [--inflight K] [--rate R] [--out DIR] [--accounts A] [--keep]   (medledger bench --help)

Defaults: home ./.medledger, RPC 127.0.0.1:8645, P2P 127.0.0.1:8646.`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  start: async () => (await import('./commands/start.js')).start,
  init: async () => (await import('./commands/init.js')).init,
  testnet: async () => (await import('./commands/init.js')).testnet,
  keys: async () => (await import('./commands/keys.js')).keys,
  tx: async () => (await import('./commands/tx.js')).tx,
  verify: async () => (await import('./commands/verify.js')).verify,
  bench: async () => (await import('./commands/bench.js')).bench,
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE + '\n');
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version') {
    process.stdout.write((await import('../version.js')).VERSION + '\n');
    return 0;
  }
  const load = COMMANDS[cmd];
  if (!load) throw new UsageError(`unknown command "${cmd}"`);
  return (await load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`medledger: ${err.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else if (err instanceof RpcCallError) {
      process.stderr.write(`medledger: RPC error ${err.code}: ${err.message}${err.data ? ' ' + JSON.stringify(err.data) : ''}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`medledger: ${(err as Error).message ?? String(err)}\n`);
      if (process.env.MEDLEDGER_DEBUG) process.stderr.write(String((err as Error).stack) + '\n');
      process.exitCode = 1;
    }
  },
);
