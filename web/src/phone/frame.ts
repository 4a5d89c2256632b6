// Framing of the phone session (docs/phone-keys.md "Framing"; src/link/phone_frame.h): each Noise
// message is cut into fragments [u8 seq][u8 flags][payload, at least 1 byte], at most
// `maxFragment` bytes each. Flags bit 0: more fragments of this message follow. seq counts
// fragments in each direction from 0 and wraps at 256. The reader is strict and fails for good.
import { type Bytes, concat } from './bytes';

export const MAX_MESSAGE = 16 * 1024;
export const HEADER = 2;
export const MAX_FRAGMENT = 512;
export const MIN_FRAGMENT = HEADER + 1;
export const FLAG_MORE = 0x01;
/** BLE's default ATT_MTU: 23, so writes of 20 bytes (MTU - 3). */
export const BLE_DEFAULT_FRAGMENT = 20;

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** min(mtu - 3, 512); an MTU below 23 is refused. */
export function maxFragmentForMtu(mtu: number): number {
  if (mtu < 23) throw new FrameError(`mtu: ${mtu} is below BLE's minimum of 23`);
  return Math.min(mtu - 3, MAX_FRAGMENT);
}

export class Fragmenter {
  readonly maxFragment: number;
  private seq = 0;

  constructor(maxFragment = MAX_FRAGMENT) {
    this.maxFragment = Math.min(Math.max(maxFragment, MIN_FRAGMENT), MAX_FRAGMENT);
  }

  cut(message: Uint8Array): Bytes[] {
    if (message.length === 0) throw new FrameError('phone message: empty');
    if (message.length > MAX_MESSAGE) throw new FrameError(`phone message: ${message.length} bytes, over 16 KiB`);
    const chunk = this.maxFragment - HEADER;
    const out: Bytes[] = [];
    for (let at = 0; at < message.length; at += chunk) {
      const payload = message.subarray(at, Math.min(at + chunk, message.length));
      const more = at + payload.length < message.length;
      out.push(concat(Uint8Array.of(this.seq, more ? FLAG_MORE : 0), payload));
      this.seq = (this.seq + 1) & 0xff;
    }
    return out;
  }
}

export class Reassembler {
  private parts: Uint8Array[] = [];
  private size = 0;
  private seq = 0;
  private failed = false;

  constructor(
    private readonly maxFragment = MAX_FRAGMENT,
    private readonly maxMessage = MAX_MESSAGE,
  ) {}

  private fail(why: string): never {
    this.failed = true;
    this.parts = [];
    throw new FrameError(why);
  }

  /** The whole message once its last fragment is in, else null. Throws FrameError for good. */
  feed(fragment: Uint8Array): Bytes | null {
    if (this.failed) throw new FrameError('fragment: the stream failed earlier');
    if (fragment.length < MIN_FRAGMENT) this.fail('fragment: no payload');
    if (fragment.length > this.maxFragment) this.fail(`fragment: ${fragment.length} bytes, over the ${this.maxFragment} allowed`);
    const seq = fragment[0]!;
    const flags = fragment[1]!;
    if (seq !== this.seq) this.fail(`fragment: seq ${seq} where ${this.seq} was due (a fragment lost, repeated or reordered)`);
    if ((flags & ~FLAG_MORE) !== 0) this.fail('fragment: reserved flag bits set');
    const payload = fragment.subarray(HEADER);
    if (payload.length > this.maxMessage - this.size) this.fail(`fragment: the message grows past ${this.maxMessage} bytes`);
    this.seq = (this.seq + 1) & 0xff;
    this.parts.push(payload);
    this.size += payload.length;
    if (flags & FLAG_MORE) return null;
    const message = concat(...this.parts);
    this.parts = [];
    this.size = 0;
    return message;
  }

  get partial(): boolean {
    return this.size > 0;
  }
}

/** A fragment as it goes over TCP: its length in two big-endian bytes, then the fragment. */
export function encodeStreamFragment(fragment: Uint8Array): Bytes {
  return concat(Uint8Array.of(fragment.length >> 8, fragment.length & 0xff), fragment);
}

/** Cuts a TCP stream back into fragments (at most one unfinished fragment held). */
export class StreamDecoder {
  private pending = new Uint8Array(0);
  private failed = false;

  constructor(private readonly maxFragment = MAX_FRAGMENT) {}

  feed(bytes: Uint8Array): Bytes[] {
    if (this.failed) throw new FrameError('phone stream: failed earlier');
    let buf = concat(this.pending, bytes);
    const out: Bytes[] = [];
    while (buf.length >= 2) {
      const length = (buf[0]! << 8) | buf[1]!;
      if (length < MIN_FRAGMENT || length > this.maxFragment) {
        this.failed = true;
        throw new FrameError(`phone stream: a fragment of ${length} bytes (allowed: ${MIN_FRAGMENT}..${this.maxFragment})`);
      }
      if (buf.length < 2 + length) break;
      out.push(buf.slice(2, 2 + length));
      buf = buf.slice(2 + length);
    }
    this.pending = buf;
    return out;
  }
}
