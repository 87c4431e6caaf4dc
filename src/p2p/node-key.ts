/**
 * Persistent node identity: an Ed25519 libp2p key kept in node-key.json as
 * `{"peerId": "12D3Koo...", "privateKey": "<base64 protobuf>"}`, mode 0600.
 */
import { mkdir, readFile, rename, writeFile, chmod, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';

export interface NodeKey {
  peerId: string;
  /** protobuf-encoded libp2p private key */
  privateKey: Uint8Array;
}

/** A fresh Ed25519 node identity. */
export async function generateNodeKey(): Promise<NodeKey> {
  const key = await generateKeyPair('Ed25519');
  return { peerId: peerIdFromPrivateKey(key).toString(), privateKey: privateKeyToProtobuf(key) };
}

/** Decode a protobuf-encoded libp2p private key; throws if it is not one. */
export async function nodeKeyFromProtobuf(bytes: Uint8Array): Promise<NodeKey> {
  const key = privateKeyFromProtobuf(bytes);
  return { peerId: peerIdFromPrivateKey(key).toString(), privateKey: privateKeyToProtobuf(key) };
}

/** The peer id of a protobuf-encoded libp2p private key. */
export async function peerIdFromNodeKey(bytes: Uint8Array): Promise<string> {
  return (await nodeKeyFromProtobuf(bytes)).peerId;
}

/** True if `s` parses as a libp2p peer id. */
export function isPeerId(s: string): boolean {
  try {
    peerIdFromString(s);
    return true;
  } catch {
    return false;
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function malformed(path: string, why: string): Error {
  return new Error(`node key file ${path} is malformed: ${why}`);
}

/** Parse the contents of node-key.json; errors name `path`. */
export async function parseNodeKeyFile(path: string, text: string): Promise<NodeKey> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw malformed(path, 'not valid JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw malformed(path, 'expected a JSON object');
  const { peerId, privateKey } = json as Record<string, unknown>;
  if (typeof privateKey !== 'string' || privateKey.length === 0 || !BASE64.test(privateKey)) {
    throw malformed(path, '"privateKey" must be a base64 string');
  }
  if (typeof peerId !== 'string' || peerId.length === 0) throw malformed(path, '"peerId" must be a string');
  let key: NodeKey;
  try {
    key = await nodeKeyFromProtobuf(Buffer.from(privateKey, 'base64'));
  } catch (err) {
    throw malformed(path, `"privateKey" is not a protobuf libp2p private key (${(err as Error).message})`);
  }
  if (key.peerId !== peerId) {
    throw malformed(path, `"peerId" ${peerId} does not match the private key (which gives ${key.peerId})`);
  }
  return key;
}

export function serializeNodeKey(key: NodeKey): string {
  return JSON.stringify({ peerId: key.peerId, privateKey: Buffer.from(key.privateKey).toString('base64') }, null, 2) + '\n';
}

/**
 * Read node-key.json at `path`, or create it (mode 0600, written atomically; parent
 * directories created with mode 0700) if it does not exist. A malformed file is an error,
 * never silently replaced.
 */
export async function loadOrCreateNodeKey(path: string): Promise<NodeKey> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`cannot read node key file ${path}: ${(err as Error).message}`);
    }
  }
  if (text !== undefined) return parseNodeKeyFile(path, text);

  const key = await generateNodeKey();
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, serializeNodeKey(key), { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600); // in case of an unusual umask
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new Error(`cannot write node key file ${path}: ${(err as Error).message}`);
  }
  return key;
}
