// Enrolling this browser as a phone and keeping its keys fresh (PHONE-KEYS.md 3): the hub signs
// a certificate for the browser's public key (POST /api/v1/phone-keys); the app keeps it in
// IndexedDB and renews it while online, at app start and on the lock's page, once less than a
// third of its life (or less than 10 minutes) remains. An owner's or admin's phone also carries
// the home's signed revocation list to the locks.
import { api } from '../api';
import { equal, fromBase64, toBase64 } from './bytes';
import { decodeCertificate } from './certificate';
import { accountKeys, deleteKey, forgetSession, getKey, identity, putKey, putRevocations, type StoredKey } from './keystore';
import type { PhoneKey } from './types';

/** Renew once less than this is left, whatever the key's life. */
export const RENEW_MARGIN_S = 600;
/** At most one renewal attempt per key in this time (a failed one, or one that could not extend). */
const RETRY_MS = 5 * 60_000;
const CAPPED_RETRY_MS = 60 * 60_000;

const nowS = () => Math.floor(Date.now() / 1000);

export function renewalDue(key: StoredKey, now = nowS()): boolean {
  const life = key.notAfter - key.notBefore;
  return key.notAfter - now < Math.max(life / 3, RENEW_MARGIN_S);
}

export function expired(key: StoredKey, now = nowS()): boolean {
  return now >= key.notAfter;
}

/** The hub's answer as kept, after checking that the certificate is this browser's. */
function toStored(account: string, lock: string, answer: PhoneKey, phone: Uint8Array): StoredKey {
  const certificate = fromBase64(answer.certificate);
  const cert = decodeCertificate(certificate);
  if (!equal(cert.phone, phone)) throw new Error('The hub signed a key for another phone');
  return {
    account,
    lock,
    serial: Number(cert.serial),
    certificate,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    ops: cert.ops,
    user: cert.user,
  };
}

/** Makes this browser's identity if needed and asks the hub for a key to `lock` (an id or "*"). */
export async function enroll(account: string, lock: string, manager: boolean): Promise<StoredKey> {
  const me = await identity();
  const answer = await api.issuePhoneKey({ phone_public_key: toBase64(me.publicKey), lock });
  const key = toStored(account, lock, answer, me.publicKey);
  await putKey(key);
  if (manager) await refreshRevocations(account).catch(() => undefined);
  return key;
}

/** A new key for the same lock, replacing `key`. The old one is left to expire (not revoked). */
export async function renew(key: StoredKey): Promise<StoredKey> {
  const me = await identity();
  try {
    const answer = await api.issuePhoneKey({ phone_public_key: toBase64(me.publicKey), lock: key.lock });
    const next = toStored(key.account, key.lock, answer, me.publicKey);
    // The account's window ends first: renewing again soon would only make more keys.
    if (next.notAfter <= key.notAfter + 60) {
      next.capped = true;
      next.renewTriedAt = Date.now();
    }
    await putKey(next);
    return next;
  } catch (e) {
    await putKey({ ...key, renewTriedAt: Date.now() });
    throw e;
  }
}

// Renewals under way, by account and lock: the app's start and the lock's page may ask at once.
const renewing = new Map<string, Promise<StoredKey>>();

/** Renews `key` if it is due and was not tried lately; the key in effect either way. */
export function renewIfDue(key: StoredKey): Promise<StoredKey> {
  if (!renewalDue(key)) return Promise.resolve(key);
  const wait = key.capped ? CAPPED_RETRY_MS : RETRY_MS;
  if (key.renewTriedAt !== undefined && Date.now() - key.renewTriedAt < wait) return Promise.resolve(key);
  const id = JSON.stringify([key.account, key.lock]);
  const running = renewing.get(id);
  if (running) return running;
  const next = getKey(key.account, key.lock)
    // Renewed meanwhile (another tab, or a renewal that just ended): nothing to do.
    .then((current) => (current && current.serial !== key.serial ? current : renew(key)))
    .catch(() => key) // offline, or no longer allowed: the old key stays until it expires
    .finally(() => renewing.delete(id));
  renewing.set(id, next);
  return next;
}

/** At app start: renew every key of the account that is due; refresh the carried list. */
export async function renewAll(account: string, manager: boolean): Promise<void> {
  let keys: StoredKey[];
  try {
    keys = await accountKeys(account);
  } catch {
    return; // no IndexedDB: no phone keys
  }
  for (const key of keys) await renewIfDue(key);
  if (manager && keys.length > 0) await refreshRevocations(account).catch(() => undefined);
}

/** The home's signed revocation list, for an owner's or admin's phone to carry. */
export async function refreshRevocations(account: string): Promise<void> {
  const r = await api.phoneKeyRevocations();
  if (r.version > 0) await putRevocations({ account, list: fromBase64(r.list), version: r.version });
}

/**
 * Before logging out: this browser stops being a key for the account. Each key is revoked at the
 * hub (so the locks refuse it even if the browser's storage were copied) and forgotten here. The
 * browser's identity and the locks' pinned keys stay: they are no credential by themselves.
 */
export async function dropPhoneKeys(account: string): Promise<void> {
  try {
    await forgetSession();
    const keys = await accountKeys(account);
    await Promise.allSettled(keys.map((key) => api.revokePhoneKey(key.serial)));
    for (const key of keys) await deleteKey(key.account, key.lock);
  } catch {
    // No IndexedDB: no keys.
  }
}
