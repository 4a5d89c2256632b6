// The messages of the phone session (docs/phone-keys.md "Messages"; src/link/phone_message.h):
// one deterministic CBOR map each, with "t" naming it.
//
//   lock       {"t": "lock", "lock": text}                            lock -> phone, handshake payload
//   hello      {"t": "hello", "cert": bytes, "revocations"?: bytes}   phone -> lock, last handshake payload
//   challenge  {"t": "challenge", "nonce": bytes(16)}                 lock -> phone
//   req        {"t": "req", "op": text, "nonce": bytes(16), "arrival"?: bytes}   phone -> lock
//   res        {"t": "res", "ok": bool, "result"?: {...}, "error"?: {...}}       lock -> phone
//
// decodeMessage takes only the canonical form and only the fields of the message's type. It is
// lenient about the words inside (a lock state, an error code or reason it does not know is
// shown as it is), strict about the shape: a malformed message ends the session.
import type { Bytes } from './bytes';
import { CborError, type CborValue, cborMap, decodeCbor, encodeCbor, Fields } from './cbor';

export const NONCE_LEN = 16;
export const MAX_CERT_BYTES = 1024;
export const MAX_REVOCATION_BYTES = 8192;
export const MAX_ARRIVAL_BYTES = 256;

export type PhoneOp = 'lock' | 'unlock' | 'unlatch' | 'status';
export const PHONE_OPS: readonly PhoneOp[] = ['lock', 'unlock', 'unlatch', 'status'];

export interface LockHello {
  t: 'lock';
  lock: string;
}
export interface Hello {
  t: 'hello';
  cert: Uint8Array;
  revocations?: Uint8Array;
}
export interface Challenge {
  t: 'challenge';
  nonce: Uint8Array;
}
export interface Request {
  t: 'req';
  op: PhoneOp;
  nonce: Uint8Array;
  arrival?: Uint8Array;
}
export interface Result {
  lock_state: string;
  door_state?: string;
  battery_percent?: number;
}
export interface ErrorInfo {
  code: string;
  reason?: string;
}
export interface Response {
  t: 'res';
  ok: boolean;
  result?: Result;
  error?: ErrorInfo;
}
export type Message = LockHello | Hello | Challenge | Request | Response;

function blob(field: string, value: Uint8Array | undefined, max: number): Uint8Array | undefined {
  if (value !== undefined && (value.length < 1 || value.length > max)) {
    throw new CborError(`${field}: not 1..${max} bytes`);
  }
  return value;
}

/** A lock id as the session carries it: 1..64 printable ASCII characters, no spaces, not "*". */
export function isLockId(id: string): boolean {
  return id.length >= 1 && id.length <= 64 && id !== '*' && /^[\x21-\x7e]+$/.test(id);
}

function check(m: Message): void {
  switch (m.t) {
    case 'lock':
      if (!isLockId(m.lock)) throw new CborError('lock: not a lock id (1..64 printable characters, no spaces)');
      return;
    case 'hello':
      if (blob('cert', m.cert, MAX_CERT_BYTES) === undefined) throw new CborError('cert: missing');
      blob('revocations', m.revocations, MAX_REVOCATION_BYTES);
      return;
    case 'challenge':
      if (m.nonce.length !== NONCE_LEN) throw new CborError('nonce: not 16 bytes');
      return;
    case 'req':
      if (!PHONE_OPS.includes(m.op)) throw new CborError('op: not one of lock, unlock, unlatch, status');
      if (m.nonce.length !== NONCE_LEN) throw new CborError('nonce: not 16 bytes');
      blob('arrival', m.arrival, MAX_ARRIVAL_BYTES);
      return;
    case 'res':
      if (m.ok && !m.result) throw new CborError('result: missing (ok is true)');
      if (m.ok && m.error) throw new CborError('error: present although ok is true');
      if (!m.ok && !m.error) throw new CborError('error: missing (ok is false)');
      if (!m.ok && m.result) throw new CborError('result: present although ok is false');
      if (m.result?.battery_percent !== undefined) {
        const b = m.result.battery_percent;
        if (!Number.isInteger(b) || b < 0 || b > 100) throw new CborError('result.battery_percent: not an integer in 0..100');
      }
      return;
  }
}

/** The deterministic CBOR of a message; throws for one the other side would refuse. */
export function encodeMessage(m: Message): Bytes {
  check(m);
  let fields: Record<string, CborValue | undefined>;
  switch (m.t) {
    case 'lock':
      fields = { lock: m.lock };
      break;
    case 'hello':
      fields = { cert: m.cert, revocations: m.revocations };
      break;
    case 'challenge':
      fields = { nonce: m.nonce };
      break;
    case 'req':
      fields = { op: m.op, nonce: m.nonce, arrival: m.arrival };
      break;
    case 'res':
      fields = {
        ok: m.ok,
        result: m.result && cborMap({ ...m.result }),
        error: m.error && cborMap({ ...m.error }),
      };
      break;
  }
  return encodeCbor(cborMap({ t: m.t, ...fields }));
}

function nonce(f: Fields): Uint8Array {
  const n = f.bytes('nonce');
  if (n.length !== NONCE_LEN) throw new CborError('nonce: not 16 bytes');
  return n;
}

/** Parses one message; a CborError names the field for anything but the canonical form. */
export function decodeMessage(bytes: Uint8Array): Message {
  const f = Fields.of(decodeCbor(bytes), 'message');
  const t = f.text('t');
  let m: Message;
  switch (t) {
    case 'lock':
      m = { t, lock: f.text('lock') };
      break;
    case 'hello': {
      const revocations = f.bytes('revocations', true);
      m = { t, cert: f.bytes('cert'), ...(revocations ? { revocations } : {}) };
      break;
    }
    case 'challenge':
      m = { t, nonce: nonce(f) };
      break;
    case 'req': {
      const op = f.text('op');
      if (!PHONE_OPS.includes(op as PhoneOp)) throw new CborError('op: not one of lock, unlock, unlatch, status');
      const arrival = f.bytes('arrival', true);
      m = { t, op: op as PhoneOp, nonce: nonce(f), ...(arrival ? { arrival } : {}) };
      break;
    }
    case 'res': {
      const res: Response = { t, ok: f.bool('ok') };
      const r = f.sub('result', true);
      if (r) {
        res.result = { lock_state: r.text('lock_state') };
        const door = r.text('door_state', true);
        if (door !== undefined) res.result.door_state = door;
        const battery = r.uint('battery_percent', 100, true);
        if (battery !== undefined) res.result.battery_percent = battery;
        r.done();
      }
      const e = f.sub('error', true);
      if (e) {
        res.error = { code: e.text('code') };
        const reason = e.text('reason', true);
        if (reason !== undefined) res.error.reason = reason;
        e.done();
      }
      m = res;
      break;
    }
    default:
      throw new CborError(`t: unknown message type "${t.slice(0, 32)}"`);
  }
  f.done();
  check(m);
  return m;
}
