import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { verifyTxProof } from '../../chain/proof.js';
import { homePaths, readGenesis } from '../../node/home.js';
import { parse, requireFlag, UsageError } from '../args.js';

/**
 * `medledger verify FILE --home DIR`: checks a chain_getTxProof result offline against
 * DIR/genesis.json. FILE holds the bare result or a whole JSON-RPC response (its
 * `result`). Exit 0 and `valid: tx <hash> at height H` on stdout, or exit 1 and
 * `invalid: <reason>` on stderr; 2 for usage errors.
 */
export async function verify(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { home: { type: 'string' } }, 1);
  const file = positionals[0];
  if (file === undefined) throw new UsageError('verify needs a proof file: medledger verify FILE --home DIR');
  const home = requireFlag(values.home, 'home');
  const genesis = readGenesis(homePaths(home).genesis);

  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${file}: ${code === 'ENOENT' ? 'not found' : (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    process.stderr.write(`invalid: ${file} is not valid JSON\n`);
    return 1;
  }
  const proof = unwrap(doc);
  if (typeof proof === 'string') {
    process.stderr.write(`invalid: ${proof}\n`);
    return 1;
  }
  const v = verifyTxProof(proof, genesis);
  if (!v.ok) {
    process.stderr.write(`invalid: ${v.reason}\n`);
    return 1;
  }
  process.stdout.write(`valid: tx ${v.hash} at height ${v.height}\n`);
  return 0;
}

/** The proof inside a JSON-RPC response, or the document itself; a string explains a failed call. */
function unwrap(doc: unknown): unknown {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return doc;
  const o = doc as Record<string, unknown>;
  if (o.jsonrpc === '2.0' || 'result' in o || 'error' in o) {
    if ('result' in o) return o.result;
    const e = o.error as { code?: unknown; message?: unknown } | undefined;
    return `the file holds a JSON-RPC error response${e ? ` (${String(e.code)}: ${String(e.message)})` : ''}, not a proof`;
  }
  return doc;
}
