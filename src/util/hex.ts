const HEX_RE = /^[0-9a-f]*$/;

export function isHex(s: unknown, bytes?: number): s is string {
  return typeof s === 'string' && (bytes === undefined ? s.length % 2 === 0 : s.length === bytes * 2) && HEX_RE.test(s);
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string): Uint8Array {
  if (!isHex(s)) throw new Error('not lowercase hex');
  return new Uint8Array(Buffer.from(s, 'hex'));
}
