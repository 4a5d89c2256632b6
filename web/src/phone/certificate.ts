// A phone key's certificate (docs/phone-keys.md "Certificates"; src/core/phone_key.h), read far
// enough to show it and to know when to renew it. The lock checks the signature; the phone only
// carries the bytes, so nothing here verifies it.
import { CborError, decodeCbor, Fields } from './cbor';

export interface Certificate {
  serial: bigint;
  lock: string; // a lock id or "*"
  user: number;
  phone: Uint8Array; // 32 bytes: the phone's X25519 public key
  notBefore: number; // Unix seconds
  notAfter: number;
  ops: string[];
  auto: boolean;
  epoch: number;
}

export function decodeCertificate(bytes: Uint8Array): Certificate {
  const f = Fields.of(decodeCbor(bytes), 'certificate');
  if (f.uint('v') !== 1) throw new CborError('v: not 1');
  const ops = f.array('ops');
  if (ops.length === 0 || ops.some((op) => typeof op !== 'string')) throw new CborError('ops: not a list of operations');
  const cert: Certificate = {
    serial: f.uint64('serial'),
    lock: f.text('lock'),
    user: f.uint('user', 65535),
    phone: f.bytes('phone'),
    notBefore: f.uint('not_before'),
    notAfter: f.uint('not_after'),
    ops: ops as string[],
    auto: f.bool('auto'),
    epoch: f.uint('epoch', 0xffff_ffff),
  };
  if (f.bytes('sig').length !== 64) throw new CborError('sig: not 64 bytes');
  f.done();
  if (cert.phone.length !== 32) throw new CborError('phone: not 32 bytes');
  if (cert.notBefore >= cert.notAfter) throw new CborError('not_after: not after not_before');
  return cert;
}
