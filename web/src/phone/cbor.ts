// Deterministic CBOR (RFC 8949 section 4.2.1) as the lock writes and reads it (src/core/cbor.h):
// integers in their shortest head, definite lengths only, map keys (text) sorted by their encoded
// bytes, so shorter keys first. The decoder accepts exactly that form, so decode -> encode gives
// back the same bytes; anything else throws a CborError naming what was wrong.
//
// Only the types the phone session and certificates use: unsigned and negative integers, byte
// and text strings, arrays, maps with text keys, false and true. Integers above 2^53 - 1 come
// back as bigint.
import { type Bytes, concat, utf8 } from './bytes';

export type CborValue = number | bigint | string | boolean | Uint8Array | CborValue[] | CborMap;
export type CborMap = Map<string, CborValue>;

export class CborError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CborError';
  }
}

// ---- Encoding ----

function head(major: number, value: number | bigint): Uint8Array {
  const v = BigInt(value);
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new CborError('integer out of range');
  const m = major << 5;
  if (v < 24n) return Uint8Array.of(m | Number(v));
  const size = v <= 0xffn ? 1 : v <= 0xffffn ? 2 : v <= 0xffff_ffffn ? 4 : 8;
  const out = new Uint8Array(1 + size);
  out[0] = m | (24 + Math.log2(size));
  for (let i = 0; i < size; i++) out[size - i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function encodeInto(value: CborValue, out: Uint8Array[]): void {
  if (typeof value === 'boolean') {
    out.push(Uint8Array.of(value ? 0xf5 : 0xf4));
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new CborError('not an integer');
    const v = BigInt(value);
    out.push(v >= 0n ? head(0, v) : head(1, -1n - v));
  } else if (typeof value === 'string') {
    const text = utf8.encode(value);
    out.push(head(3, text.length), text);
  } else if (value instanceof Uint8Array) {
    out.push(head(2, value.length), value);
  } else if (Array.isArray(value)) {
    out.push(head(4, value.length));
    for (const item of value) encodeInto(item, out);
  } else if (value instanceof Map) {
    const entries = [...value.entries()].map(([k, v]) => [encodeCbor(k), encodeCbor(v)] as const);
    entries.sort((a, b) => compareBytes(a[0], b[0]));
    for (let i = 1; i < entries.length; i++) {
      if (compareBytes(entries[i - 1]![0], entries[i]![0]) === 0) throw new CborError('a repeated map key');
    }
    out.push(head(5, entries.length));
    for (const [k, v] of entries) out.push(k, v);
  } else {
    throw new CborError('a value CBOR cannot hold here');
  }
}

/** The deterministic encoding of `value`. */
export function encodeCbor(value: CborValue): Bytes {
  const parts: Uint8Array[] = [];
  encodeInto(value, parts);
  return concat(...parts);
}

/** A map from an object's fields, leaving out those that are undefined. */
export function cborMap(fields: Record<string, CborValue | undefined>): CborMap {
  const map: CborMap = new Map();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) map.set(k, v);
  return map;
}

// ---- Decoding ----

const text = new TextDecoder('utf-8', { fatal: true });
const MAX_DEPTH = 16;

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  fail(why: string): never {
    throw new CborError(`${why} (at byte ${this.pos})`);
  }

  take(n: number): Uint8Array {
    if (n > this.bytes.length - this.pos) this.fail('truncated');
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A head: its major type and its argument, in the shortest form only. */
  head(): { major: number; arg: bigint } {
    if (this.pos >= this.bytes.length) this.fail('truncated');
    const initial = this.bytes[this.pos++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (info < 24) return { major, arg: BigInt(info) };
    if (info > 27) this.fail(info === 31 ? 'an indefinite length' : 'a reserved head');
    const size = 1 << (info - 24);
    let arg = 0n;
    for (const b of this.take(size)) arg = (arg << 8n) | BigInt(b);
    const minimum = size === 1 ? 24n : 1n << BigInt(4 * size);
    if (arg < minimum) this.fail('a longer head than needed');
    return { major, arg };
  }

  length(arg: bigint, min: number): number {
    // Every item takes at least `min` bytes: a count beyond what is left is truncated input.
    if (arg * BigInt(min) > BigInt(this.bytes.length - this.pos)) this.fail('truncated');
    return Number(arg);
  }

  item(depth: number): CborValue {
    if (depth > MAX_DEPTH) this.fail('nested too deep');
    const start = this.pos;
    const { major, arg } = this.head();
    switch (major) {
      case 0:
        return arg <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(arg) : arg;
      case 1: {
        const v = -1n - arg;
        return v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
      }
      case 2:
        return new Uint8Array(this.take(this.length(arg, 1)));
      case 3:
        try {
          return text.decode(this.take(this.length(arg, 1)));
        } catch (e) {
          if (e instanceof CborError) throw e;
          return this.fail('a text string that is not UTF-8');
        }
      case 4: {
        const n = this.length(arg, 1);
        const out: CborValue[] = [];
        for (let i = 0; i < n; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5: {
        const n = this.length(arg, 2);
        const map: CborMap = new Map();
        let previous: Uint8Array | null = null;
        for (let i = 0; i < n; i++) {
          const keyStart = this.pos;
          const key = this.item(depth + 1);
          if (typeof key !== 'string') this.fail('a map key that is not text');
          const encoded = this.bytes.subarray(keyStart, this.pos);
          if (previous && compareBytes(previous, encoded) >= 0) this.fail(`map key "${key.slice(0, 32)}" out of order or repeated`);
          previous = encoded;
          map.set(key, this.item(depth + 1));
        }
        return map;
      }
      case 7:
        this.pos = start + 1;
        if (this.bytes[start] === 0xf4) return false;
        if (this.bytes[start] === 0xf5) return true;
        return this.fail('a simple value or float other than false and true');
      default:
        return this.fail('a tag');
    }
  }
}

/** Decodes one item that must fill `bytes` exactly, in deterministic form. */
export function decodeCbor(bytes: Uint8Array): CborValue {
  const r = new Reader(bytes);
  const value = r.item(0);
  if (r.pos !== bytes.length) r.fail('bytes after the item');
  return value;
}

// ---- Reading maps with known fields ----

/** A decoded map whose fields are read one by one; `done()` refuses any field not read. */
export class Fields {
  private readonly seen = new Set<string>();
  constructor(
    private readonly map: CborMap,
    private readonly where: string,
  ) {}

  static of(value: CborValue, where: string): Fields {
    if (!(value instanceof Map)) throw new CborError(`${where}: not a map`);
    return new Fields(value, where);
  }

  private get(key: string, optional: boolean): CborValue | undefined {
    this.seen.add(key);
    const v = this.map.get(key);
    if (v === undefined && !optional) throw new CborError(`${key}: missing`);
    return v;
  }

  text(key: string): string;
  text(key: string, optional: true): string | undefined;
  text(key: string, optional = false): string | undefined {
    const v = this.get(key, optional);
    if (v !== undefined && typeof v !== 'string') throw new CborError(`${key}: not a text string`);
    return v;
  }

  bytes(key: string): Uint8Array;
  bytes(key: string, optional: true): Uint8Array | undefined;
  bytes(key: string, optional = false): Uint8Array | undefined {
    const v = this.get(key, optional);
    if (v !== undefined && !(v instanceof Uint8Array)) throw new CborError(`${key}: not a byte string`);
    return v;
  }

  bool(key: string): boolean {
    const v = this.get(key, false);
    if (typeof v !== 'boolean') throw new CborError(`${key}: not a boolean`);
    return v;
  }

  /** An unsigned integer up to 2^53 - 1 (or `max`). */
  uint(key: string, max?: number): number;
  uint(key: string, max: number | undefined, optional: true): number | undefined;
  uint(key: string, max = Number.MAX_SAFE_INTEGER, optional = false): number | undefined {
    const v = this.get(key, optional);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || v < 0 || v > max) throw new CborError(`${key}: not an integer in 0..${max}`);
    return v;
  }

  /** An unsigned 64-bit integer as a bigint. */
  uint64(key: string): bigint {
    const v = this.get(key, false);
    if ((typeof v !== 'number' && typeof v !== 'bigint') || BigInt(v) < 0n) throw new CborError(`${key}: not an unsigned integer`);
    return BigInt(v);
  }

  array(key: string): CborValue[] {
    const v = this.get(key, false);
    if (!Array.isArray(v)) throw new CborError(`${key}: not an array`);
    return v;
  }

  sub(key: string, optional = false): Fields | undefined {
    const v = this.get(key, optional);
    if (v === undefined) return undefined;
    if (!(v instanceof Map)) throw new CborError(`${key}: not a map`);
    return new Fields(v, key);
  }

  done(): void {
    for (const key of this.map.keys()) {
      if (!this.seen.has(key)) throw new CborError(`${this.where}: unknown field "${key.slice(0, 32)}"`);
    }
  }
}
