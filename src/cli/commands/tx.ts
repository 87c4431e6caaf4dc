import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { signTx, txHash } from '../../chain/tx.js';
import { TX_TYPES, type TxType } from '../../chain/types.js';
import { readKeyFile } from '../../node/keyfile.js';
import { intFlag, parse, requireFlag, strFlag, UsageError } from '../args.js';
import { RpcCallError, RpcClient } from '../rpc-client.js';
import { payloadBuilders, TX_FLAGS, TX_NOTES, type BuiltPayload } from './tx-payloads.js';

const TX_USAGE = `medledger tx <type> --key FILE [--rpc URL] [--token T] [--nonce N] [--chain-id ID] [--no-wait] [type flags | --payload JSON]

Signs a transaction with the key file, sends it with tx_send and prints the receipt
(JSON on stdout). Usage errors exit 2, a refused or rejected tx exits 1.
--rpc defaults to $MEDLEDGER_RPC or http://127.0.0.1:8645, --token to $MEDLEDGER_TOKEN;
--nonce to the sender's pendingNonce (account_get), --chain-id to node_info's.
Types and their flags:
${Object.entries(TX_FLAGS).map(([t, f]) => `  ${t.padEnd(16)} ${f}`).join('\n')}
--payload JSON (or @file.json) gives the payload directly for any type, instead of the type flags.
${TX_NOTES}`;

const COMMON = {
  key: { type: 'string' }, rpc: { type: 'string' }, token: { type: 'string' }, nonce: { type: 'string' }, 'no-wait': { type: 'boolean' },
  payload: { type: 'string' }, 'chain-id': { type: 'string' },
} as const;

function rawPayload(arg: string): BuiltPayload {
  let text = arg;
  if (arg.startsWith('@')) {
    try {
      text = readFileSync(arg.slice(1), 'utf8');
    } catch (err) {
      throw new UsageError(`--payload ${arg}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new UsageError('--payload must be a JSON object (or @file.json)');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new UsageError('--payload must be a JSON object (or @file.json)');
  return { payload: payload as Record<string, unknown> };
}

/** True when the node certainly refused the tx (bad params or an admission reason), so it is not on chain. */
function refused(err: unknown): boolean {
  if (!(err instanceof RpcCallError)) return false;
  if (err.code === -32602) return true;
  const reason = (err.data as { reason?: string } | undefined)?.reason;
  return err.code === -32000 && reason !== undefined && reason !== 'timeout' && reason !== 'duplicate';
}

/** `medledger tx <type> ...`: sign with a key file and send. */
export async function tx(argv: string[]): Promise<number> {
  const [type, ...rest] = argv;
  if (type === undefined || type === '--help' || type === '-h') {
    process.stdout.write(TX_USAGE + '\n');
    return type === undefined ? 2 : 0;
  }
  if (!(TX_TYPES as readonly string[]).includes(type)) throw new UsageError(`unknown tx type "${type}"; one of ${TX_TYPES.join(', ')}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`medledger tx ${type} --key FILE [--rpc URL] [--nonce N] [--no-wait] ${TX_FLAGS[type as TxType]}\n`);
    return 0;
  }
  const builder = payloadBuilders[type as TxType];
  const { values } = parse(rest, { ...COMMON, ...builder.options });

  // Everything local is checked before the key is read or the node is asked anything.
  const keyPath = resolve(requireFlag(values.key, 'key'));
  const payloadArg = strFlag(values.payload, 'payload');
  let built: BuiltPayload;
  if (payloadArg !== undefined) {
    const mixed = Object.keys(builder.options).filter((f) => values[f] !== undefined);
    if (mixed.length > 0) throw new UsageError(`--payload replaces the type flags; drop ${mixed.map((f) => `--${f}`).join(', ')}`);
    built = rawPayload(payloadArg);
  } else {
    built = builder.build(values, { now: Date.now() });
  }
  const explicitNonce = values.nonce !== undefined ? intFlag(values.nonce, 'nonce', 0) : undefined;
  const kp = readKeyFile(keyPath);
  const client = new RpcClient(strFlag(values.rpc, 'rpc') ?? (process.env.MEDLEDGER_RPC || 'http://127.0.0.1:8645'), strFlag(values.token, 'token') ?? (process.env.MEDLEDGER_TOKEN || undefined));

  const chainId = strFlag(values['chain-id'], 'chain-id') ?? (await client.call<{ chainId: string }>('node_info')).chainId;
  const nonce = explicitNonce ?? (await client.call<{ pendingNonce: number }>('account_get', { account: kp.account })).pendingNonce;
  const signed = signTx({ chainId, type: type as TxType, from: kp.account, nonce, payload: built.payload }, kp.secretKey);

  built.beforeSend?.();
  let result: Record<string, unknown>;
  try {
    result = await client.call<Record<string, unknown>>('tx_send', { tx: signed, wait: values['no-wait'] !== true });
  } catch (err) {
    if (refused(err)) built.onRefused?.();
    throw err;
  }
  const receipt = result.receipt as { status: string } | undefined;
  const out: Record<string, unknown> = { ...result };
  // A consent's id is its grant's tx hash (pending with --no-wait; meaningless if rejected).
  if (type === 'consent.grant' && receipt?.status !== 'rejected') out.consentId = txHash(signed);
  Object.assign(out, built.extra);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  for (const n of built.notes ?? []) process.stderr.write(`medledger: ${n}\n`);
  return receipt && receipt.status !== 'ok' ? 1 : 0;
}
