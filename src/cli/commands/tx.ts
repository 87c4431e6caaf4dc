import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { signTx } from '../../chain/tx.js';
import { TX_TYPES, type TxType } from '../../chain/types.js';
import { readKeyFile } from '../../node/keyfile.js';
import { intFlag, parse, requireFlag, strFlag, UsageError } from '../args.js';
import { RpcClient } from '../rpc-client.js';
import { payloadBuilders, TX_FLAGS } from './tx-payloads.js';

const TX_USAGE = `medledger tx <type> --key FILE [--rpc URL] [--token T] [--nonce N] [--no-wait] [--payload JSON | type flags]

Signs a transaction with the key file, sends it with tx_send and prints the receipt.
Types and their flags:
${Object.entries(TX_FLAGS).map(([t, f]) => `  ${t.padEnd(16)} ${f}`).join('\n')}
--payload JSON (or @file.json) gives the payload directly for any type.`;

/** `medledger tx <type> ...`: sign with a key file and send. */
export async function tx(argv: string[]): Promise<number> {
  const [type, ...rest] = argv;
  if (type === undefined || type === '--help' || type === '-h') {
    process.stdout.write(TX_USAGE + '\n');
    return type === undefined ? 2 : 0;
  }
  if (!(TX_TYPES as readonly string[]).includes(type)) throw new UsageError(`unknown tx type "${type}"; one of ${TX_TYPES.join(', ')}`);
  const builder = payloadBuilders[type as TxType];
  const { values } = parse(rest, {
    key: { type: 'string' }, rpc: { type: 'string' }, token: { type: 'string' }, nonce: { type: 'string' }, 'no-wait': { type: 'boolean' },
    payload: { type: 'string' }, 'chain-id': { type: 'string' }, ...builder.options,
  });
  const kp = readKeyFile(resolve(requireFlag(values.key, 'key')));
  const client = new RpcClient(strFlag(values.rpc, 'rpc') ?? 'http://127.0.0.1:8645', strFlag(values.token, 'token') ?? process.env.MEDLEDGER_TOKEN);
  let payload: Record<string, unknown>;
  const rawPayload = strFlag(values.payload, 'payload');
  if (rawPayload !== undefined) {
    const text = rawPayload.startsWith('@') ? readFileSync(rawPayload.slice(1), 'utf8') : rawPayload;
    try {
      payload = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new UsageError('--payload must be a JSON object (or @file.json)');
    }
  } else {
    payload = await builder.build(values);
  }
  const chainId = strFlag(values['chain-id'], 'chain-id') ?? (await client.call<{ chainId: string }>('node_info')).chainId;
  const nonce = values.nonce !== undefined ? intFlag(values.nonce, 'nonce', 0) : (await client.call<{ pendingNonce: number }>('account_get', { account: kp.account })).pendingNonce;
  const signed = signTx({ chainId, type: type as TxType, from: kp.account, nonce, payload }, kp.secretKey);
  const result = await client.call('tx_send', { tx: signed, wait: values['no-wait'] !== true });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  const receipt = (result as { receipt?: { status: string } }).receipt;
  return receipt && receipt.status !== 'ok' ? 1 : 0;
}
