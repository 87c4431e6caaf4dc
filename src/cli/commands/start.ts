import { resolve } from 'node:path';
import { createNetwork, hasChain, homePaths } from '../../node/home.js';
import { isValidLogLevel, loadConfigFile } from '../../node/config.js';
import { startNode } from '../../node/node.js';
import { createLogger } from '../../util/logger.js';
import { hostPortFlag, parse, strFlag, UsageError } from '../args.js';

const STOP_DEADLINE_MS = 10_000;

/** `medledger start`: runs a node in this process; creates a single-node dev chain in an empty home. */
export async function start(argv: string[]): Promise<number> {
  const { values } = parse(argv, { home: { type: 'string' }, rpc: { type: 'string' }, p2p: { type: 'string' }, peers: { type: 'string' }, 'log-level': { type: 'string' } });
  const home = resolve(strFlag(values.home, 'home') ?? '.medledger');
  const rpc = hostPortFlag(values.rpc, 'rpc');
  const p2p = hostPortFlag(values.p2p, 'p2p');
  const peers = values.peers === undefined ? undefined : strFlag(values.peers, 'peers')!.split(',').map((s) => s.trim()).filter(Boolean);
  if (peers?.some((p) => !p.startsWith('/'))) throw new UsageError('--peers takes multiaddrs like /ip4/127.0.0.1/tcp/8646/p2p/<peerId>, comma-separated');
  const logLevel = strFlag(values['log-level'], 'log-level');
  if (logLevel !== undefined && !isValidLogLevel(logLevel)) throw new UsageError('--log-level must be one of fatal, error, warn, info, debug, trace, silent');

  if (!hasChain(home)) {
    const p = homePaths(home);
    await createNetwork('medledger-dev', [{ home, org: 'dev', orgName: 'Development org', rpc: rpc ?? { host: '127.0.0.1', port: 8645 }, p2p: p2p ?? { host: '127.0.0.1', port: 8646 } }]);
    process.stdout.write(`created a single-node dev chain (chain id medledger-dev, org dev) in ${home}\n  admin key:     ${p.adminKey}\n  authority key: ${p.authorityKey}\n`);
  }

  // --log-level wins over config.json's logLevel (flags override the config file).
  const configured = loadConfigFile(homePaths(home).config).logLevel;
  const logger = createLogger({ level: logLevel && isValidLogLevel(logLevel) ? logLevel : configured });
  const node = await startNode({ home, overrides: { rpc, p2p, peers }, logger });
  process.stdout.write(`medledger node running: chain ${node.chainId}, height ${node.height()}\n  RPC: http://${node.rpcAddress.host}:${node.rpcAddress.port}\n  P2P: ${node.p2pAddrs.join(', ')}\n`);

  let code = 0;
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      const killer = setTimeout(() => {
        process.stderr.write('medledger: clean stop took longer than 10 s; exiting\n');
        process.exit(1);
      }, STOP_DEADLINE_MS);
      killer.unref();
      node.stop().then(done, (err: unknown) => {
        process.stderr.write(`medledger: error while stopping: ${(err as Error).message}\n`);
        done();
      });
    };
    // on, not once: a second signal (a supervisor signalling the whole process group) must not kill a clean stop.
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    void node.failed.then((err) => {
      process.stderr.write(`medledger: ${err.message}; stopping\n`);
      code = 1;
      stop('failure');
    });
  });
  logger.flush();
  return code;
}
