// The app's state in one place: the account, the locks, the events seen (fetched or live),
// the alerts, and the users of each lock (for names in the history). Components read it
// with useStore() and change it only through the actions below.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setSessionLostHandler } from './api';
import { ALARM_TITLE } from './format';
import { dropPhoneKeys } from './phone/keys';
import { dropPush } from './push/device';
import { showEventNotification } from './push/notify';
import { StreamClient, type StreamStatus } from './stream';
import type { Account, AlarmKind, Lock, LockEvent, LockUser, StreamMessage } from './types';

export interface Alert {
  id: string;
  kind: AlarmKind;
  lock: string;
  text: string;
  time: string;
}

export interface AppState {
  /** undefined while the app asks the hub who is logged in; null: show the login screen. */
  account: Account | null | undefined;
  locks: Lock[];
  locksError: string | null;
  /** Every event the app holds, by `<lock>:<seq>`. */
  events: Map<string, LockEvent>;
  alerts: Alert[];
  users: Record<string, LockUser[]>;
  stream: StreamStatus;
}

let state: AppState = {
  account: undefined,
  locks: [],
  locksError: null,
  events: new Map(),
  alerts: [],
  users: {},
  stream: 'closed',
};

const listeners = new Set<() => void>();

function update(change: Partial<AppState>): void {
  state = { ...state, ...change };
  for (const listener of listeners) listener();
}

export function getState(): AppState {
  return state;
}

/** Re-renders the calling component whenever the state changes. */
export function useStore(): AppState {
  const [, setTick] = useState(0);
  const rendered = state;
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    // Effects run after the paint: a change made in between (the answer to /me at start can
    // arrive first) found no listener, so render again if the state is not what was rendered.
    if (state !== rendered) listener();
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return state;
}

export const MAX_EVENTS = 5000;
const MAX_ALERTS = 6;

// The role in effect decides which screens exist; the hub still checks every call.
export function role(): string {
  return state.account?.effective_role ?? state.account?.role ?? 'guest';
}
export const canManage = () => role() === 'owner' || role() === 'admin';
export const canReadHistory = () => role() !== 'guest';
// The simulated world (the virtual door) is for the roles above guest (SECURITY.md).
export const canUseSim = () => role() !== 'guest';
export const isOwner = () => role() === 'owner';

export function lockName(id: string): string {
  return state.locks.find((l) => l.id === id)?.name ?? id;
}

const stream = new StreamClient({
  lastSeqs() {
    const seqs: Record<string, number> = {};
    for (const lock of state.locks) seqs[lock.id] = lock.last_event_seq;
    for (const e of state.events.values()) seqs[e.lock] = Math.max(seqs[e.lock] ?? 0, e.seq);
    return seqs;
  },
  onMessage: handleMessage,
  onStatus(status, reconnected) {
    update({ stream: status });
    // A refused upgrade looks like any closed socket: ask the hub whether the session still holds.
    if (status === 'closed') {
      api.me().catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 401) leave();
      });
    }
    // State messages only come on change: after a gap, read the locks afresh.
    if (reconnected) void loadLocks();
  },
});

function handleMessage(message: StreamMessage): void {
  if (message.type === 'event') {
    const event = { ...message.event, lock: message.event.lock ?? message.lock };
    addEvents([event]);
    if (event.kind === 'alarm' && event.alarm) raiseAlert(event);
  } else if (message.type === 'state') {
    const { type: _type, lock: id, ...rest } = message;
    void _type;
    const lock = { ...rest, id } as Lock;
    const known = state.locks.some((l) => l.id === id);
    update({ locks: known ? state.locks.map((l) => (l.id === id ? { ...l, ...lock } : l)) : [...state.locks, lock] });
  }
}

/** Adds events to the app's set (deduplicated by lock and seq). */
export function addEvents(events: LockEvent[]): void {
  if (events.length === 0) return;
  const next = new Map(state.events);
  for (const e of events) next.set(`${e.lock}:${e.seq}`, e);
  if (next.size > MAX_EVENTS) {
    const sorted = [...next.entries()].sort((a, b) => a[1].time.localeCompare(b[1].time));
    for (const [key] of sorted.slice(0, next.size - MAX_EVENTS)) next.delete(key);
  }
  update({ events: next });
}

function raiseAlert(event: LockEvent): void {
  const kind = event.alarm as AlarmKind;
  const title = ALARM_TITLE[kind] ?? kind;
  const where = lockName(event.lock);
  const text = `${title} at ${where}`;
  const alert: Alert = { id: `${event.lock}:${event.seq}`, kind, lock: event.lock, text, time: event.time };
  if (state.alerts.some((a) => a.id === alert.id)) return;
  update({ alerts: [alert, ...state.alerts].slice(0, MAX_ALERTS) });
  notify(text, `${where}, ${new Date(event.time).toLocaleTimeString()}`, event);
}

/**
 * A system notification when the person allowed them, tagged per event like a pushed one
 * (push/notify.ts: where this browser has push, the pushed notification replaces it).
 */
function notify(title: string, body: string, event: LockEvent): void {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  void showEventNotification(title, body, event.lock, event.seq).catch(() => undefined);
}

export function dismissAlert(id: string): void {
  update({ alerts: state.alerts.filter((a) => a.id !== id) });
}

export async function loadLocks(): Promise<void> {
  try {
    const locks = await api.locks();
    update({ locks, locksError: null });
  } catch (e) {
    update({ locksError: e instanceof ApiError ? e.human() : String(e) });
  }
}

export function setLock(lock: Lock): void {
  update({ locks: state.locks.map((l) => (l.id === lock.id ? lock : l)) });
}

export function patchLock(id: string, change: Partial<Lock>): void {
  update({ locks: state.locks.map((l) => (l.id === id ? { ...l, ...change } : l)) });
}

/** Reads a lock's users (owner, admin); quietly leaves names out when the lock cannot answer. */
export async function loadUsers(lock: string): Promise<LockUser[]> {
  const users = await api.users(lock);
  update({ users: { ...state.users, [lock]: users } });
  return users;
}

async function enter(account: Account): Promise<void> {
  update({ account });
  await loadLocks();
  stream.start();
}

/** At start: a valid session cookie skips the login screen. */
export async function bootstrap(): Promise<void> {
  setSessionLostHandler(() => leave());
  try {
    await enter(await api.me());
  } catch {
    update({ account: null });
  }
}

export async function login(username: string, password: string): Promise<void> {
  const account = await api.login(username, password);
  // /me carries the role in effect; the login answer may not.
  await enter(await api.me().catch(() => account));
}

function leave(): void {
  stream.stop();
  update({ account: null, locks: [], events: new Map(), alerts: [], users: {}, stream: 'closed' });
}

export async function logout(): Promise<void> {
  try {
    if (state.account) await dropPhoneKeys(state.account.username);
    // While the session still holds: the hub forgets this browser's subscription.
    await dropPush();
    await api.logout();
  } finally {
    leave();
    location.hash = '#/';
  }
}
