// X25519 with WebCrypto alone (crypto.subtle, {name: "X25519"}): key pairs, and the DH of Noise
// section 4.1. A phone's identity is a key pair whose private half is a non-extractable CryptoKey;
// its public half is kept as the raw 32 bytes (the certificate's `phone`).
import { type Bytes, concat, own } from './bytes';

export interface KeyPair {
  privateKey: CryptoKey;
  publicKey: Bytes; // 32 bytes
}

export const DHLEN = 32;
const ALGORITHM = { name: 'X25519' } as const;

function subtle(): SubtleCrypto {
  if (!globalThis.crypto?.subtle) throw new Error('WebCrypto is not available here (it needs a secure context: HTTPS or localhost)');
  return globalThis.crypto.subtle;
}

/** A fresh key pair; the private half cannot leave WebCrypto unless `extractable`. */
export async function generateKeyPair(extractable = false): Promise<KeyPair> {
  const pair = (await subtle().generateKey(ALGORITHM, extractable, ['deriveBits'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicKey };
}

/** Whether this browser's WebCrypto has X25519 (Chrome 133+, Firefox 130+, Safari 17+). */
export async function x25519Supported(): Promise<boolean> {
  try {
    await generateKeyPair();
    return true;
  } catch {
    return false;
  }
}

// PKCS #8 for an X25519 private key (RFC 8410): the fixed prefix, then the 32-byte scalar.
const PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);
const BASE_POINT = concat(Uint8Array.of(9), new Uint8Array(31));

/** A key pair from a known private scalar (the test vectors); its public key is X25519(k, 9). */
export async function importKeyPair(privateBytes: Uint8Array): Promise<KeyPair> {
  if (privateBytes.length !== DHLEN) throw new Error('an X25519 private key has 32 bytes');
  const privateKey = await subtle().importKey('pkcs8', concat(PKCS8_PREFIX, privateBytes), ALGORITHM, false, ['deriveBits']);
  const publicKey = await dhRaw(privateKey, BASE_POINT);
  return { privateKey, publicKey };
}

async function dhRaw(privateKey: CryptoKey, publicBytes: Uint8Array): Promise<Bytes> {
  const peer = await subtle().importKey('raw', own(publicBytes), ALGORITHM, true, []);
  return new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: peer } as Algorithm, privateKey, 256));
}

/**
 * DH(key pair, public key): the 32-byte shared secret. A public key that gives all zeros (a
 * low-order point) throws: the handshake ends (WebCrypto refuses it too, as the spec says).
 */
export async function dh(pair: KeyPair, publicBytes: Uint8Array): Promise<Bytes> {
  if (publicBytes.length !== DHLEN) throw new Error('an X25519 public key has 32 bytes');
  let secret: Bytes;
  try {
    secret = await dhRaw(pair.privateKey, publicBytes);
  } catch {
    throw new Error('X25519: the peer sent an unusable public key');
  }
  if (secret.every((b) => b === 0)) throw new Error('X25519: the peer sent a low-order public key');
  return secret;
}
