import { resolve } from 'node:path';
import { generateKeyPair } from '../../chain/ed25519.js';
import { readKeyFile, writeKeyFile } from '../../node/keyfile.js';
import { parse, strFlag, UsageError } from '../args.js';

/** `medledger keys new [--out FILE]` | `medledger keys show FILE`: never prints a secret key. */
export async function keys(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'new') {
    const { values } = parse(rest, { out: { type: 'string' } });
    const kp = generateKeyPair();
    const out = strFlag(values.out, 'out');
    if (out) {
      try {
        writeKeyFile(resolve(out), kp);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${out} already exists; refusing to overwrite a key file`);
        throw err;
      }
      process.stdout.write(JSON.stringify({ account: kp.account, keyFile: resolve(out) }, null, 2) + '\n');
    } else {
      // No file: print the pair once so it can be stored by the caller's own means.
      process.stdout.write(JSON.stringify({ account: kp.account, secretKey: kp.secretKey }, null, 2) + '\n');
    }
    return 0;
  }
  if (sub === 'show') {
    const { positionals } = parse(rest, {}, 1);
    if (!positionals[0]) throw new UsageError('keys show needs a key file');
    const kp = readKeyFile(resolve(positionals[0]));
    process.stdout.write(JSON.stringify({ account: kp.account }, null, 2) + '\n');
    return 0;
  }
  throw new UsageError('keys needs a subcommand: new or show');
}
