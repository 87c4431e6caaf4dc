import type { Block, Commit } from '../chain/types.js';
import type { BlockLog, LoggedBlock } from '../storage/block-log.js';
import type { Logger } from '../util/logger.js';
import type { ChainService, Executed } from './chain-service.js';

/**
 * Commits the block log's blocks above the store's head (ChainService.open), each checked
 * as a block from a peer (signatures, execution, roots, certificate) and written before
 * its record goes. A record that fails its checksum was never acknowledged (nothing was
 * signed on it) and is dropped, as is one that does not follow the head; an intact record
 * that fails the checks stops the start: the data directory is not what this node wrote.
 */
export async function replayBlockLog(chain: ChainService, blockLog: BlockLog, log: Logger): Promise<void> {
  const { records, torn } = await blockLog.read(chain.head.height);
  for (const h of torn) {
    log.warn({ height: h }, 'block log: dropping a torn record (its write never completed)');
    await blockLog.drop(h);
  }
  for (const r of records) {
    if (r.height !== chain.head.height + 1) {
      log.warn({ height: r.height, head: chain.head.height }, 'block log: a record does not follow the head; dropping it');
      await blockLog.drop(r.height);
      continue;
    }
    const { e, commit } = checkLogged(chain, r);
    await chain.commit(e, commit, { log: false }); // it is in the log already
    await blockLog.drop(r.height);
    log.info({ height: r.height, hash: e.hash, txs: e.decoded.length }, 'block log: replayed a final block whose batch was not written');
  }
}

function checkLogged(chain: ChainService, r: LoggedBlock): { e: Executed; commit: Commit } {
  const problem = (why: string): never => {
    throw new Error(`block log record ${r.height}.blk: ${why}. Move it out of the block-log directory to start without it (the node then fetches the block from its peers).`);
  };
  const b = r.block as { hash?: unknown; header?: unknown; txs?: unknown } | null;
  if (typeof b !== 'object' || b === null || typeof b.hash !== 'string') return problem('not a stored block');
  let e: Executed;
  try {
    e = chain.validateBlock({ header: b.header, txs: b.txs } as Block, { maxClockDriftMs: null, now: Date.now(), proposer: null });
    chain.checkCommit(e.hash, r.commit as Commit);
  } catch (err) {
    return problem((err as Error).message);
  }
  if (e.hash !== b.hash) problem(`the header hashes to ${e.hash}, not ${b.hash}`);
  return { e, commit: r.commit as Commit };
}
