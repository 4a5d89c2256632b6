// The hub's offline-code API (docs/openapi.yaml "offline codes"; docs/offline-codes.md).

export type OfflineCodeType = 'window' | 'one_time' | 'clear';
export type OfflineCodeStatus = 'issued' | 'used' | 'revoked' | 'revocation_pending' | 'cleared' | 'expired';

/** POST /api/v1/locks/{lock}/offline-codes. Times are RFC 3339; the hub rounds them outward to the hour. */
export interface OfflineCodeInput {
  starts_at?: string;
  ends_at?: string;
  one_time?: boolean;
  name?: string;
  /** A clear code: every code issued before it stops opening (window: now for 24 h unless given). */
  clear?: boolean;
}

/** A code as the hub shows it (the answer to POST and DELETE, each item of GET). */
export interface OfflineCode {
  id: string;
  lock: string;
  /** The 12 digits, while the code can still open the door (and right after issuing). */
  code?: string;
  type: OfflineCodeType;
  starts_at: string;
  ends_at: string;
  duration_hours: number;
  name: string;
  created_by: string;
  created_at: string;
  status: OfflineCodeStatus;
  /** The first use the lock reported. */
  used_at?: string;
  revoked_at?: string;
  cleared_at?: string;
  /** For a revoked or cleared code: whether the lock has it. */
  delivered?: boolean;
  /** POST only: whether the lock holds its offline-code key (until it does, no code opens). */
  lock_has_key?: boolean;
}
