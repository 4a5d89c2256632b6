// What the web app keeps as a phone, in IndexedDB (database "latchkey-phone"), never in
// localStorage and never sent anywhere but to the lock:
//   identity      this browser's X25519 key pair: the private half a non-extractable CryptoKey
//                 (IndexedDB stores CryptoKeys by structured clone; the key cannot be read out),
//                 the public half its raw 32 bytes. One per browser profile and origin.
//   keys          the certificates the hub issued to it, by [account, lock]
//   pins          each lock's static key as met in the first (XX) session, by lock id, for IK
//   revocations   the home's signed revocation list an owner's or admin's phone carries, by account
//   meta          "session": the account last logged in here and its locks' names, so that the
//                 login screen can offer the doors when the hub cannot be reached; gone at logout
import type { Bytes } from './bytes';
import { generateKeyPair, type KeyPair } from './x25519';

const DB_NAME = 'latchkey-phone';
const VERSION = 1;

/** A certificate as the app keeps it (the hub's answer, with the bytes decoded from base64). */
export interface StoredKey {
  account: string;
  /** The lock the key was asked for: its id, or "*". */
  lock: string;
  serial: number;
  certificate: Bytes;
  /** Unix seconds, from the certificate. */
  notBefore: number;
  notAfter: number;
  ops: string[];
  user: number;
  /** When the last renewal was tried (ms), and whether it could not extend the key (the account's window ends first). */
  renewTriedAt?: number;
  capped?: boolean;
}

export interface Pin {
  lockId: string;
  key: Bytes;
  pinnedAt: number;
}

export interface StoredRevocations {
  account: string;
  list: Bytes;
  version: number;
}

interface Identity {
  id: 'self';
  privateKey: CryptoKey;
  publicKey: Bytes;
  createdAt: number;
}

let opening: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new Error('This browser has no IndexedDB to keep a phone key in'));
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore('identity', { keyPath: 'id' });
      db.createObjectStore('keys', { keyPath: ['account', 'lock'] });
      db.createObjectStore('pins', { keyPath: 'lockId' });
      db.createObjectStore('revocations', { keyPath: 'account' });
      db.createObjectStore('meta', { keyPath: 'id' });
    };
    request.onsuccess = () => {
      const db = request.result;
      // Another tab upgrading later: let it.
      db.onversionchange = () => {
        db.close();
        opening = null;
      };
      resolve(db);
    };
    request.onerror = () => {
      opening = null;
      reject(request.error ?? new Error('IndexedDB would not open'));
    };
    request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab of this app'));
  });
  return opening;
}

function run<T>(store: string, mode: IDBTransactionMode, work: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(store, mode);
        const request = work(tx.objectStore(store));
        let result: T;
        request.onsuccess = () => (result = request.result);
        tx.oncomplete = () => resolve(result);
        tx.onerror = () => reject(tx.error ?? request.error);
        tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
      }),
  );
}

/** This browser's identity, made on first use. */
export async function identity(): Promise<KeyPair> {
  const held = await run<Identity | undefined>('identity', 'readonly', (s) => s.get('self'));
  if (held) return { privateKey: held.privateKey, publicKey: held.publicKey };
  const pair = await generateKeyPair(false);
  const record: Identity = { id: 'self', privateKey: pair.privateKey, publicKey: pair.publicKey, createdAt: Date.now() };
  // Two tabs at once: add() refuses the second, which then reads the first's.
  try {
    await run('identity', 'readwrite', (s) => s.add(record));
  } catch {
    const first = await run<Identity | undefined>('identity', 'readonly', (s) => s.get('self'));
    if (first) return { privateKey: first.privateKey, publicKey: first.publicKey };
    throw new Error('Could not keep the phone identity in IndexedDB');
  }
  return pair;
}

/** The identity if there is one, without making it. */
export async function existingIdentity(): Promise<KeyPair | null> {
  const held = await run<Identity | undefined>('identity', 'readonly', (s) => s.get('self'));
  return held ? { privateKey: held.privateKey, publicKey: held.publicKey } : null;
}

export const getKey = (account: string, lock: string) =>
  run<StoredKey | undefined>('keys', 'readonly', (s) => s.get([account, lock]));
export const putKey = (key: StoredKey) => run('keys', 'readwrite', (s) => s.put(key));
export const deleteKey = (account: string, lock: string) => run('keys', 'readwrite', (s) => s.delete([account, lock]));
export async function accountKeys(account: string): Promise<StoredKey[]> {
  const all = await run<StoredKey[]>('keys', 'readonly', (s) => s.getAll());
  return all.filter((k) => k.account === account);
}

/** The key that opens `lockId` for `account`: one for that lock, else one for every lock. */
export async function keyFor(account: string, lockId: string): Promise<StoredKey | undefined> {
  return (await getKey(account, lockId)) ?? (await getKey(account, '*'));
}

export const getPin = (lockId: string) => run<Pin | undefined>('pins', 'readonly', (s) => s.get(lockId));
export const putPin = (pin: Pin) => run('pins', 'readwrite', (s) => s.put(pin));
export const deletePin = (lockId: string) => run('pins', 'readwrite', (s) => s.delete(lockId));

export const getRevocations = (account: string) =>
  run<StoredRevocations | undefined>('revocations', 'readonly', (s) => s.get(account));
export const putRevocations = (r: StoredRevocations) => run('revocations', 'readwrite', (s) => s.put(r));

/** The account last logged in here, and the names of its locks. */
export interface LastSession {
  id: 'session';
  account: string;
  locks: Record<string, string>;
}

export const lastSession = () => run<LastSession | undefined>('meta', 'readonly', (s) => s.get('session'));
export const rememberSession = (account: string, locks: Record<string, string>) =>
  run('meta', 'readwrite', (s) => s.put({ id: 'session', account, locks } satisfies LastSession));
export const forgetSession = () => run('meta', 'readwrite', (s) => s.delete('session'));
