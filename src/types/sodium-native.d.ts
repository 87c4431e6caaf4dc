// The part of sodium-native (libsodium bindings) medledger uses; the package ships no types.
declare module 'sodium-native' {
  /** libsodium crypto_sign_verify_detached: strict Ed25519 verify (throws on wrong buffer sizes). */
  export function crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** Ed25519 signature of `message` into `signature` (64 bytes) with `secretKey` = seed || public key (64 bytes). */
  export function crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
  /** The key pair of a 32-byte seed: public key (32 bytes) and secret key (seed || public key, 64 bytes). */
  export function crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
  export const crypto_sign_BYTES: number;
  export const crypto_sign_PUBLICKEYBYTES: number;
  export const crypto_sign_SECRETKEYBYTES: number;
  const sodium: {
    crypto_sign_verify_detached: typeof crypto_sign_verify_detached;
    crypto_sign_detached: typeof crypto_sign_detached;
    crypto_sign_seed_keypair: typeof crypto_sign_seed_keypair;
    crypto_sign_BYTES: number;
    crypto_sign_PUBLICKEYBYTES: number;
    crypto_sign_SECRETKEYBYTES: number;
  };
  export default sodium;
}
