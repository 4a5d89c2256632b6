// The Noise Protocol Framework (revision 34) for the phone, initiator only:
// Noise_XX_25519_AESGCM_SHA256 and Noise_IK_25519_AESGCM_SHA256 (docs/phone-keys.md "Noise
// suite"), with WebCrypto alone:
//   DH      X25519 (x25519.ts)
//   cipher  AES-256-GCM, 16-byte tag; the 12-byte nonce is 4 zero bytes then the 64-bit counter
//           big-endian (section 12.4; ChaChaPoly would put it little-endian)
//   hash    SHA-256 (HASHLEN 32, BLOCKLEN 64); HMAC-SHA-256 and HKDF as in section 4.3
// It reproduces shared/testdata/noise/cacophony-25519-aesgcm-sha256.json byte for byte
// (tests/browser/phone_protocol.test.mjs).
import { type Bytes, concat, own, utf8 } from './bytes';
import { DHLEN, dh, generateKeyPair, type KeyPair } from './x25519';

export const PROLOGUE = 'latchkey-phone-v1';
export const HASHLEN = 32;
export const TAGLEN = 16;
export const MAX_NOISE_MESSAGE = 65535;

export type Pattern = 'XX' | 'IK';

export class NoiseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoiseError';
  }
}

const subtle = () => globalThis.crypto.subtle;

async function sha256(...parts: Uint8Array[]): Promise<Bytes> {
  return new Uint8Array(await subtle().digest('SHA-256', concat(...parts)));
}

async function hmac(key: Uint8Array, ...data: Uint8Array[]): Promise<Bytes> {
  const k = await subtle().importKey('raw', own(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, concat(...data)));
}

/** Section 4.3: HKDF(chaining_key, input_key_material, 2 or 3 outputs). */
async function hkdf(chainingKey: Uint8Array, ikm: Uint8Array, outputs: 2 | 3): Promise<Bytes[]> {
  const temp = await hmac(chainingKey, ikm);
  const o1 = await hmac(temp, Uint8Array.of(1));
  const o2 = await hmac(temp, o1, Uint8Array.of(2));
  if (outputs === 2) return [o1, o2];
  return [o1, o2, await hmac(temp, o2, Uint8Array.of(3))];
}

/** Section 12.4: 32 zero bits, then the counter big-endian. */
export function nonceBytes(n: number): Bytes {
  const out = new Uint8Array(12);
  new DataView(out.buffer).setBigUint64(4, BigInt(n), false);
  return out;
}

/** Section 5.1: a key (or none) and a nonce that only counts up. */
export class CipherState {
  private key: CryptoKey | null = null;
  private n = 0;

  async initializeKey(k: Uint8Array | null): Promise<void> {
    this.key = k ? await subtle().importKey('raw', own(k), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']) : null;
    this.n = 0;
  }

  hasKey(): boolean {
    return this.key !== null;
  }

  // Takes the nonce before the (asynchronous) cipher runs, so that no two messages ever share
  // one. A failed decryption ends the session, so it does not matter that its nonce is used up.
  private next(): Bytes {
    // 2^64 - 1 is reserved; a session ends long before 2^53 messages anyway.
    if (this.n >= Number.MAX_SAFE_INTEGER) throw new NoiseError('nonce exhausted');
    return nonceBytes(this.n++);
  }

  async encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Promise<Bytes> {
    if (!this.key) return own(plaintext);
    const iv = this.next();
    const out = await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: own(ad), tagLength: 128 }, this.key, own(plaintext));
    return new Uint8Array(out);
  }

  async decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Promise<Bytes> {
    if (!this.key) return own(ciphertext);
    if (ciphertext.length < TAGLEN) throw new NoiseError('decryption failed: shorter than a tag');
    const iv = this.next();
    let out: ArrayBuffer;
    try {
      out = await subtle().decrypt({ name: 'AES-GCM', iv, additionalData: own(ad), tagLength: 128 }, this.key, own(ciphertext));
    } catch {
      throw new NoiseError('decryption failed');
    }
    return new Uint8Array(out);
  }
}

/** Section 5.2. */
class SymmetricState {
  ck: Bytes = new Uint8Array(HASHLEN);
  h: Bytes = new Uint8Array(HASHLEN);
  readonly cipher = new CipherState();

  async initialize(protocolName: string): Promise<void> {
    const name = utf8.encode(protocolName);
    this.h = name.length <= HASHLEN ? concat(name, new Uint8Array(HASHLEN - name.length)) : await sha256(name);
    this.ck = own(this.h);
    await this.cipher.initializeKey(null);
  }

  async mixKey(ikm: Uint8Array): Promise<void> {
    const [ck, tempK] = await hkdf(this.ck, ikm, 2);
    this.ck = ck!;
    await this.cipher.initializeKey(tempK!); // HASHLEN is 32: no truncation
  }

  async mixHash(data: Uint8Array): Promise<void> {
    this.h = await sha256(this.h, data);
  }

  async encryptAndHash(plaintext: Uint8Array): Promise<Bytes> {
    const ciphertext = await this.cipher.encryptWithAd(this.h, plaintext);
    await this.mixHash(ciphertext);
    return ciphertext;
  }

  async decryptAndHash(ciphertext: Uint8Array): Promise<Bytes> {
    const plaintext = await this.cipher.decryptWithAd(this.h, ciphertext);
    await this.mixHash(ciphertext);
    return plaintext;
  }

  async split(): Promise<[CipherState, CipherState]> {
    const [k1, k2] = await hkdf(this.ck, new Uint8Array(0), 2);
    const c1 = new CipherState();
    const c2 = new CipherState();
    await c1.initializeKey(k1!);
    await c2.initializeKey(k2!);
    return [c1, c2];
  }
}

/** The transport after the handshake: the initiator sends with the first key, receives with the second. */
export interface Transport {
  send: CipherState;
  recv: CipherState;
  /** The handshake hash: the session's channel binding (32 bytes). */
  handshakeHash: Bytes;
  /** The responder's static key (the lock's: learnt in XX, the pinned one in IK). */
  remoteStatic: Bytes;
}

type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss';
// The initiator's view of each pattern's messages, alternating -> and <- from the first.
const PATTERNS: Record<Pattern, Token[][]> = {
  XX: [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']],
  IK: [['e', 'es', 's', 'ss'], ['e', 'ee', 'se']],
};

export interface InitiatorConfig {
  pattern: Pattern;
  /** The phone's static key pair. */
  s: KeyPair;
  /** IK: the responder's static key, known beforehand (the pinned lock key). */
  rs?: Uint8Array;
  /** Bytes or text; the phone's is "latchkey-phone-v1". */
  prologue?: Uint8Array | string;
  /** Only for test vectors: the ephemeral key pair instead of a fresh one. */
  e?: KeyPair;
}

/** Section 5.3, for the initiator of XX or IK. */
export class Initiator {
  private readonly ss = new SymmetricState();
  private e: KeyPair | null = null;
  private re: Uint8Array | null = null;
  private rs: Uint8Array | null;
  private index = 0;
  private ready = false;

  private constructor(private readonly config: InitiatorConfig) {
    this.rs = config.rs ? own(config.rs) : null;
  }

  static async create(config: InitiatorConfig): Promise<Initiator> {
    if (config.pattern === 'IK' && (!config.rs || config.rs.length !== DHLEN)) {
      throw new NoiseError('IK needs the responder static key (32 bytes)');
    }
    const hs = new Initiator(config);
    await hs.ss.initialize(`Noise_${config.pattern}_25519_AESGCM_SHA256`);
    const prologue = config.prologue ?? PROLOGUE;
    await hs.ss.mixHash(typeof prologue === 'string' ? utf8.encode(prologue) : prologue);
    // Pre-message "<- s" of IK.
    if (config.pattern === 'IK') await hs.ss.mixHash(hs.rs!);
    hs.ready = true;
    return hs;
  }

  private get messages(): Token[][] {
    return PATTERNS[this.config.pattern];
  }

  /** Whether the next message is the initiator's to write. */
  get writing(): boolean {
    return this.index % 2 === 0;
  }

  get done(): boolean {
    return this.index >= this.messages.length;
  }

  private async mixDh(token: Token): Promise<void> {
    const pick = (mine: 'e' | 's', theirs: 'e' | 's') => {
      const pair = mine === 'e' ? this.e : this.config.s;
      const pub = theirs === 'e' ? this.re : this.rs;
      if (!pair || !pub) throw new NoiseError(`${token}: a key is missing`);
      return dh(pair, pub);
    };
    // The initiator's side: es = DH(e, rs), se = DH(s, re).
    const secret = await (token === 'ee' ? pick('e', 'e') : token === 'es' ? pick('e', 's') : token === 'se' ? pick('s', 'e') : pick('s', 's'));
    await this.ss.mixKey(secret);
  }

  async writeMessage(payload: Uint8Array): Promise<Bytes> {
    if (!this.ready || this.done || !this.writing) throw new NoiseError('not the initiator’s turn to write');
    const parts: Uint8Array[] = [];
    for (const token of this.messages[this.index]!) {
      if (token === 'e') {
        this.e = this.config.e ?? (await generateKeyPair());
        parts.push(this.e.publicKey);
        await this.ss.mixHash(this.e.publicKey);
      } else if (token === 's') {
        parts.push(await this.ss.encryptAndHash(this.config.s.publicKey));
      } else {
        await this.mixDh(token);
      }
    }
    parts.push(await this.ss.encryptAndHash(payload));
    this.index++;
    const message = concat(...parts);
    if (message.length > MAX_NOISE_MESSAGE) throw new NoiseError('a Noise message over 65535 bytes');
    return message;
  }

  async readMessage(message: Uint8Array): Promise<Bytes> {
    if (!this.ready || this.done || this.writing) throw new NoiseError('not the initiator’s turn to read');
    if (message.length > MAX_NOISE_MESSAGE) throw new NoiseError('a Noise message over 65535 bytes');
    let at = 0;
    const take = (n: number) => {
      if (message.length - at < n) throw new NoiseError('handshake message too short');
      const out = message.subarray(at, at + n);
      at += n;
      return out;
    };
    for (const token of this.messages[this.index]!) {
      if (token === 'e') {
        this.re = own(take(DHLEN));
        await this.ss.mixHash(this.re);
      } else if (token === 's') {
        const n = this.ss.cipher.hasKey() ? DHLEN + TAGLEN : DHLEN;
        this.rs = await this.ss.decryptAndHash(take(n));
      } else {
        await this.mixDh(token);
      }
    }
    const payload = await this.ss.decryptAndHash(message.subarray(at));
    this.index++;
    return payload;
  }

  /** After the last message: the two transport ciphers. */
  async split(): Promise<Transport> {
    if (!this.done) throw new NoiseError('the handshake is not finished');
    const [c1, c2] = await this.ss.split();
    return { send: c1, recv: c2, handshakeHash: own(this.ss.h), remoteStatic: own(this.rs!) };
  }
}
