// The part of sodium-native (libsodium bindings) medledger uses; the package ships no types.
declare module 'sodium-native' {
  /** libsodium crypto_sign_verify_detached: strict Ed25519 verify (throws on wrong buffer sizes). */
  export function crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  const sodium: { crypto_sign_verify_detached: typeof crypto_sign_verify_detached };
  export default sodium;
}
