// What the lock answered, in plain words for the person at the door.
import type { Response } from './messages';

const REASON: Record<string, string> = {
  // The certificate (docs/phone-keys.md "Refusal rules").
  no_home_key: 'The lock does not know this home’s key yet: it must connect to the hub once.',
  bad_signature: 'The lock did not accept this phone key.',
  wrong_phone: 'The lock did not accept this phone key: it belongs to another phone.',
  wrong_lock: 'This phone key is for another lock.',
  clock_untrusted: 'The lock’s clock is not set, so it cannot check phone keys. Set it from the hub.',
  not_yet_valid: 'This phone key is not valid yet. Check the lock’s clock.',
  expired: 'This phone key has expired. Renew it while online, then try again.',
  below_epoch: 'This phone key was revoked (every key issued before a “revoke all”).',
  revoked: 'This phone key was revoked.',
  op_not_allowed: 'This phone key does not allow that.',
  // The access decision (LOCK-SEMANTICS.md 7).
  invalid_credential: 'The lock did not accept this phone key.',
  disabled_user: 'This person is disabled on the lock.',
  restricted: 'Not allowed right now: outside this person’s schedule, or the lock’s clock is not set.',
  incomplete: 'The lock wants another credential as well.',
  insufficient_battery: 'The lock’s battery is too low to move the bolt.',
  mode: 'The lock’s current mode does not allow this.',
  lockout: 'Too many wrong attempts: the lock is in a lockout. Try again later.',
  stale_challenge: 'The session got out of step. Try again.',
};

const CODE: Record<string, string> = {
  jammed: 'The bolt jammed. Check the door, then try again.',
  busy: 'The lock is busy. Try again in a moment.',
  rate_limited: 'Too many attempts. Try again in a few seconds.',
  internal: 'The lock had an internal error.',
};

/** The lock's refusal as a sentence. */
export function refusalWords(res: Response): string {
  const reason = res.error?.reason;
  if (reason && REASON[reason]) return REASON[reason]!;
  const code = res.error?.code ?? 'unknown';
  if (CODE[code]) return CODE[code]!;
  return `The lock refused: ${reason ?? code}.`;
}

const DONE: Record<string, string> = {
  unlocked: 'Unlocked.',
  unlatched: 'Unlatched.',
  locked: 'Locked.',
  jammed: 'The bolt jammed.',
};

export function resultWords(res: Response): string {
  const r = res.result!;
  const parts = [DONE[r.lock_state] ?? `The lock is ${r.lock_state}.`];
  if (r.door_state && r.door_state !== 'unknown') parts.push(`Door ${r.door_state}.`);
  if (r.battery_percent !== undefined) parts.push(`Battery ${r.battery_percent}%.`);
  return parts.join(' ');
}
