// The hub's phone-key API (docs/openapi.yaml "phone keys"; docs/phone-keys.md "Issuing and
// revoking (hub)"), as far as the web app's phone uses it.

export type PhoneKeyOp = 'lock' | 'unlock' | 'unlatch';

/** POST /api/v1/phone-keys. */
export interface PhoneKeyInput {
  /** The phone's X25519 public key, 32 bytes, base64. */
  phone_public_key: string;
  /** A lock id, or "*" for every lock of the home. */
  lock?: string;
  user?: number;
  account?: string;
  /** 60..86400 for everyone (default 86400); up to 90 days for the owner. */
  valid_for_s?: number;
  ops?: PhoneKeyOp[];
  auto?: boolean;
}

/** A key as the hub shows it (the answer to POST, each item of GET). */
export interface PhoneKey {
  serial: number;
  /** The certificate: deterministic CBOR, base64. */
  certificate: string;
  lock: string;
  user: number;
  account: string;
  phone_public_key: string;
  not_before: string;
  not_after: string;
  not_before_s: number;
  not_after_s: number;
  ops: PhoneKeyOp[];
  auto: boolean;
  epoch: number;
  issued_by: string;
  issued_at: string;
  revoked: boolean;
  revoked_at?: string;
  applied?: Record<string, boolean>;
}

/** GET /api/v1/phone-keys/revocations (owner, admin). */
export interface PhoneKeyRevocations {
  /** The signed list, deterministic CBOR, base64: what an admin's phone carries to the locks. */
  list: string;
  version: number;
  epoch: number;
  revoked: number[];
  home_key: string;
}
