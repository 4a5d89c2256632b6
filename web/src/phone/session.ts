// The phone's side of the session at the door (docs/phone-keys.md "The session on the wire";
// the C++ twin is PhoneSessionPhone in src/link/phone_session.h): a state machine with no I/O.
// The caller moves fragments between it and a transport (Web Bluetooth, or TCP in the tests).
//
//   XX  -> e                       <- e, ee, s, es + {lock}
//       -> s, se + {hello}         <- {challenge}
//       -> {req}                   <- {res} {challenge}
//   IK  -> e, es, s, ss + {hello}  <- e, ee, se + {lock} {challenge}
//       -> {req}                   <- {res} {challenge}
//
// Calls are serialised inside (WebCrypto is asynchronous), so fragments may be fed as they come.
import type { Bytes } from './bytes';
import { Fragmenter, MAX_FRAGMENT, MAX_MESSAGE, Reassembler } from './frame';
import { decodeMessage, encodeMessage, type PhoneOp, type Response } from './messages';
import { Initiator, type Pattern, TAGLEN, type Transport } from './noise';
import type { KeyPair } from './x25519';

export interface SessionConfig {
  /** The phone's identity: the certificate's `phone`. */
  s: KeyPair;
  /** The lock's static key pinned from an earlier session: then IK, else XX. */
  lockKey?: Uint8Array;
  cert: Uint8Array;
  revocations?: Uint8Array;
  /** The largest fragment the phone writes: 20 at BLE's default MTU, 512 over TCP. */
  maxFragment?: number;
  /** Tests only: the ephemeral key pair. */
  e?: KeyPair;
}

export type Action =
  | { type: 'send'; fragment: Bytes }
  /** The handshake is done and the first challenge is here: request() may be called. */
  | { type: 'ready'; lockId: string; lockKey: Bytes }
  | { type: 'result'; res: Response }
  | { type: 'close'; reason: string };

type State = 'start' | 'second' | 'awaitChallenge' | 'open' | 'closed';

export class PhoneSession {
  private state: State = 'start';
  private handshake: Initiator | null = null;
  private transport: Transport | null = null;
  private readonly fragmenter: Fragmenter;
  private readonly reassembler = new Reassembler(MAX_FRAGMENT);
  private readonly hello: Bytes;
  private lockId = '';
  private challenge: Uint8Array | null = null;
  private inFlight = 0;
  private queue: Promise<unknown> = Promise.resolve();
  closeReason = '';

  constructor(private readonly config: SessionConfig) {
    this.hello = encodeMessage({ t: 'hello', cert: config.cert, ...(config.revocations ? { revocations: config.revocations } : {}) });
    this.fragmenter = new Fragmenter(config.maxFragment ?? MAX_FRAGMENT);
  }

  get pattern(): Pattern {
    return this.config.lockKey ? 'IK' : 'XX';
  }
  get ready(): boolean {
    return this.state === 'open';
  }
  get closed(): boolean {
    return this.state === 'closed';
  }
  get hasChallenge(): boolean {
    return this.challenge !== null;
  }
  /** The handshake hash once the handshake is done. */
  get handshakeHash(): Bytes | null {
    return this.transport?.handshakeHash ?? null;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The fragments of the first handshake message; only once. */
  start(): Promise<Bytes[]> {
    return this.serial(async () => {
      if (this.state !== 'start') throw new Error('the session already started');
      this.handshake = await Initiator.create({
        pattern: this.pattern,
        s: this.config.s,
        ...(this.config.lockKey ? { rs: this.config.lockKey } : {}),
        ...(this.config.e ? { e: this.config.e } : {}),
      });
      // XX's first message goes in the clear: nothing but the ephemeral key.
      const message = await this.handshake.writeMessage(this.pattern === 'IK' ? this.hello : new Uint8Array(0));
      this.state = 'second';
      return this.fragmenter.cut(message);
    });
  }

  /** One fragment from the lock. Anything the lock would not send now ends in a close. */
  feed(fragment: Uint8Array): Promise<Action[]> {
    return this.serial(async () => {
      const out: Action[] = [];
      if (this.state === 'closed') return out;
      if (this.state === 'start') return this.close('framing: a fragment before the session started', out);
      let message: Bytes | null;
      try {
        message = this.reassembler.feed(fragment);
      } catch (e) {
        return this.close(`framing: ${(e as Error).message}`, out);
      }
      if (!message) return out;
      try {
        if (this.state === 'second') await this.handleSecond(message, out);
        else await this.handleTransport(message, out);
      } catch (e) {
        return this.close((e as Error).message, out);
      }
      return out;
    });
  }

  private async handleSecond(message: Bytes, out: Action[]): Promise<void> {
    let payload: Bytes;
    try {
      payload = await this.handshake!.readMessage(message);
    } catch (e) {
      throw new Error(`handshake message 2: ${(e as Error).message}`);
    }
    let lockId: string;
    try {
      const m = decodeMessage(payload);
      if (m.t !== 'lock') throw new Error(`a "${m.t}" message where "lock" was due`);
      lockId = m.lock;
    } catch (e) {
      throw new Error(`handshake message 2: ${(e as Error).message}`);
    }
    this.lockId = lockId;
    if (this.pattern === 'XX') {
      const third = await this.handshake!.writeMessage(this.hello);
      for (const fragment of this.fragmenter.cut(third)) out.push({ type: 'send', fragment });
    }
    this.transport = await this.handshake!.split();
    this.handshake = null;
    this.state = 'awaitChallenge';
  }

  private async handleTransport(message: Bytes, out: Action[]): Promise<void> {
    let plaintext: Bytes;
    try {
      plaintext = await this.transport!.recv.decryptWithAd(new Uint8Array(0), message);
    } catch {
      throw new Error('transport: decryption failed');
    }
    let m;
    try {
      m = decodeMessage(plaintext);
    } catch (e) {
      throw new Error(`transport: malformed message: ${(e as Error).message}`);
    }
    if (m.t === 'challenge') {
      this.challenge = m.nonce;
      if (this.state === 'awaitChallenge') {
        this.state = 'open';
        out.push({ type: 'ready', lockId: this.lockId, lockKey: this.transport!.remoteStatic });
      }
      return;
    }
    if (m.t === 'res') {
      if (this.state !== 'open' || this.inFlight === 0) throw new Error('transport: a res without a req');
      this.inFlight--;
      out.push({ type: 'result', res: m });
      return;
    }
    throw new Error(`transport: unexpected "${m.t}" message`);
  }

  /** A req echoing the outstanding challenge, which it uses up (the next comes after the res). */
  request(op: PhoneOp, arrival?: Uint8Array): Promise<Bytes[]> {
    return this.serial(async () => {
      if (this.state !== 'open') throw new Error('request: the session is not ready');
      if (!this.challenge) throw new Error('request: no challenge outstanding (wait for the res)');
      const plaintext = encodeMessage({ t: 'req', op, nonce: this.challenge, ...(arrival ? { arrival } : {}) });
      if (plaintext.length + TAGLEN > MAX_MESSAGE) throw new Error('request: over 16 KiB');
      const ciphertext = await this.transport!.send.encryptWithAd(new Uint8Array(0), plaintext);
      this.challenge = null;
      this.inFlight++;
      return this.fragmenter.cut(ciphertext);
    });
  }

  private close(reason: string, out: Action[]): Action[] {
    this.state = 'closed';
    this.handshake = null;
    this.transport = null;
    this.challenge = null;
    this.closeReason = reason;
    out.push({ type: 'close', reason });
    return out;
  }
}
