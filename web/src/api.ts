// The typed client of the hub's API (shared/spec/API.md). Every call resolves with the typed
// answer or rejects with an ApiError whose `human()` is a sentence a person can act on.
//
// Sessions are cookie sessions (docs: web contract): login asks for `cookie: true`, the hub sets
// an HttpOnly `lk_session` cookie and returns a CSRF token that every non-GET call echoes in
// `X-CSRF-Token` (after a reload it is read back from the `lk_csrf` cookie). A hub too old to
// set cookies answers with a bearer `token` instead; the app then keeps it in memory only.
import type {
  Account,
  AccountInput,
  ApiToken,
  CommandDone,
  CredentialCreated,
  CredentialInput,
  CredentialType,
  Delivery,
  EventKind,
  EventPage,
  Holiday,
  Lock,
  LockEvent,
  LockUser,
  LoginAnswer,
  Role,
  Schedule,
  ScheduleKind,
  Settings,
  SimDecision,
  UserInput,
  Webhook,
  MatterStatus,
} from './types';
import type { PhoneKey, PhoneKeyInput, PhoneKeyRevocations } from './phone/types';
import type { OfflineCode, OfflineCodeInput } from './offline/types';
import type { NotificationSettings, PushSubscriptionInput, PushSubscriptionRecord, VapidKey } from './push/types';

const BASE = '/api/v1';

/** Error codes of API.md plus the app's own `network` (the hub could not be reached). */
export type ErrorCode =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'denied'
  | 'not_found'
  | 'duplicate'
  | 'occupied'
  | 'resource_exhausted'
  | 'jammed'
  | 'too_large'
  | 'rate_limited'
  | 'lock_offline'
  | 'lock_timeout'
  | 'internal'
  | 'network';

/** What the caller was doing, so that a code can become a precise sentence. */
export interface ErrorContext {
  credentialType?: CredentialType;
  login?: boolean;
}

const DENIED: Record<string, string> = {
  invalid_credential: 'The lock did not accept that code or credential.',
  disabled_user: 'This person is disabled on the lock.',
  restricted: 'Not allowed right now: outside this person’s schedule, or the lock’s clock is not set.',
  incomplete: 'More credentials were needed within the multi-factor window.',
  insufficient_battery: 'The battery is too low to move the bolt. Connect USB power or replace the batteries.',
  mode: 'The lock’s current mode does not allow this.',
  lockout: 'Too many wrong codes: the lock is in a lockout. Try again later.',
};

const DUPLICATE: Record<CredentialType, string> = {
  pin: 'This PIN is already in use on this lock',
  programming_pin: 'This PIN is already in use on this lock',
  rfid: 'This card is already registered on this lock',
  fingerprint: 'This fingerprint is already registered on this lock',
  face: 'This face is already registered on this lock',
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly reason?: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** A sentence for people; the hub's own message is kept where it names the bad field. */
  human(context: ErrorContext = {}): string {
    switch (this.code) {
      case 'invalid':
        return `Not accepted: ${this.message}.`;
      case 'unauthorized':
        return context.login ? 'Wrong username or password.' : 'Your session has ended. Please log in again.';
      case 'forbidden':
        return 'Your account is not allowed to do this.';
      case 'denied':
        return DENIED[this.reason ?? ''] ?? `The lock refused: ${this.reason ?? this.message}.`;
      case 'not_found':
        return 'Not found: it may have been removed, or your account cannot see it.';
      case 'duplicate':
        return `${DUPLICATE[context.credentialType ?? 'pin']}.`;
      case 'occupied':
        return 'That slot is already taken on the lock.';
      case 'resource_exhausted':
        return 'The lock is full: no free slot left, or this person already has the most credentials allowed.';
      case 'jammed':
        return 'The bolt jammed. Check the door, then try again.';
      case 'too_large':
        return 'That is more data than the hub accepts.';
      case 'rate_limited':
        return `Too many attempts. Try again in ${this.retryAfterS ?? 'a few'} seconds.`;
      case 'lock_offline':
        return 'The lock is offline right now.';
      case 'lock_timeout':
        return 'The lock did not answer in time.';
      case 'network':
        return 'Cannot reach the hub. Check the connection.';
      default:
        return `Something went wrong on the hub: ${this.message}.`;
    }
  }
}

/** The human sentence for anything a call may throw. */
export function describeError(err: unknown, context: ErrorContext = {}): string {
  if (err instanceof ApiError) return err.human(context);
  return err instanceof Error ? err.message : String(err);
}

let csrfToken: string | null = readCookie('lk_csrf');
let bearer: string | null = null;
let onSessionLost: () => void = () => {};

function readCookie(name: string): string | null {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

/** Called when any call other than login answers 401: the app shows the login screen. */
export function setSessionLostHandler(handler: () => void): void {
  onSessionLost = handler;
}

/** The query string the stream needs besides the cookie (only for a bearer-token hub). */
export function streamAuthQuery(): string {
  return bearer ? `token=${encodeURIComponent(bearer)}` : '';
}

// A request the hub has not answered by then fails as a network error instead of leaving a
// screen waiting forever (a lock's own answer takes at most 10 s at the hub: lock_timeout).
const TIMEOUT_MS = 30_000;

async function call<T>(method: string, path: string, body?: unknown, timeoutMs = TIMEOUT_MS): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    csrfToken ??= readCookie('lk_csrf');
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  }
  if (bearer) headers['Authorization'] = `Bearer ${bearer}`;
  let response: Response;
  let text: string;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    response = await fetch(BASE + path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      signal: abort.signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    text = await response.text();
  } catch (e) {
    const message = abort.signal.aborted ? 'the hub did not answer in time' : e instanceof Error ? e.message : 'network error';
    throw new ApiError(0, 'network', message);
  } finally {
    clearTimeout(timer);
  }
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!response.ok) {
    const err = (json as { error?: { code?: string; message?: string; reason?: string; retry_after_s?: number } })?.error;
    const error = new ApiError(
      response.status,
      (err?.code as ErrorCode) ?? 'internal',
      err?.message ?? `HTTP ${response.status}`,
      err?.reason,
      err?.retry_after_s ?? (Number(response.headers.get('Retry-After')) || undefined),
    );
    if (response.status === 401 && path !== '/auth/login' && path !== '/me') onSessionLost();
    throw error;
  }
  return json as T;
}

const enc = encodeURIComponent;
const lockPath = (lock: string) => `/locks/${enc(lock)}`;

function query(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${enc(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export type SimWhat =
  | 'keypad'
  | 'rfid'
  | 'finger'
  | 'face'
  | 'button'
  | 'thumbturn'
  | 'key'
  | 'door'
  | 'battery'
  | 'external_power'
  | 'tamper'
  | 'jam'
  | 'clock'
  | 'power_cycle'
  | 'network';

export const api = {
  async login(username: string, password: string): Promise<Account> {
    const answer = await call<LoginAnswer>('POST', '/auth/login', { username, password, cookie: true });
    csrfToken = answer.csrf_token ?? readCookie('lk_csrf');
    bearer = answer.csrf_token ? null : (answer.token ?? null);
    return answer.account;
  },
  async logout(): Promise<void> {
    try {
      await call('POST', '/auth/logout');
    } finally {
      csrfToken = null;
      bearer = null;
    }
  },
  // Short: at start, an unanswered /me must not hold the login screen back.
  me: () => call<Account>('GET', '/me', undefined, 8_000),

  locks: () => call<Lock[]>('GET', '/locks'),
  matter: () => call<MatterStatus>('GET', '/integrations/matter'),
  openMatterCommissioning: () => call<MatterStatus>('POST', '/integrations/matter/commissioning'),
  removeMatterFabric: (index: number) => call<unknown>('DELETE', `/integrations/matter/fabrics/${index}`),
  lock: (id: string) => call<Lock>('GET', lockPath(id)),
  command: (id: string, action: 'lock' | 'unlock' | 'unlatch', body: { pin?: string; timeout_s?: number } = {}) =>
    call<CommandDone>('POST', `${lockPath(id)}/${action}`, body),
  patchSettings: (id: string, settings: Partial<Settings>) =>
    call<Settings>('PATCH', `${lockPath(id)}/settings`, settings),
  setClock: (id: string) => call<{ time: number }>('POST', `${lockPath(id)}/clock`),
  sim: (id: string, what: SimWhat, body: Record<string, unknown> = {}) =>
    call<SimDecision>('POST', `${lockPath(id)}/sim/${what}`, body),

  users: (id: string) => call<LockUser[]>('GET', `${lockPath(id)}/users`),
  addUser: (id: string, user: UserInput) => call<LockUser>('POST', `${lockPath(id)}/users`, user),
  patchUser: (id: string, index: number, user: UserInput) =>
    call<LockUser>('PATCH', `${lockPath(id)}/users/${index}`, user),
  deleteUser: (id: string, index: number) => call<unknown>('DELETE', `${lockPath(id)}/users/${index}`),
  addCredential: (id: string, credential: CredentialInput) =>
    call<CredentialCreated>('POST', `${lockPath(id)}/credentials`, credential),
  deleteCredential: (id: string, type: CredentialType, index: number) =>
    call<unknown>('DELETE', `${lockPath(id)}/credentials/${type}/${index}`),
  schedules: (id: string, user: number) => call<Schedule[]>('GET', `${lockPath(id)}/users/${user}/schedules`),
  addSchedule: (id: string, user: number, schedule: Schedule) =>
    call<Schedule>('POST', `${lockPath(id)}/users/${user}/schedules`, schedule),
  deleteSchedule: (id: string, user: number, kind: ScheduleKind, index: number) =>
    call<unknown>('DELETE', `${lockPath(id)}/users/${user}/schedules/${kind}/${index}`),

  lockEvents: (id: string, params: { after?: number; limit?: number; kind?: EventKind; user?: number } = {}) =>
    call<EventPage>('GET', `${lockPath(id)}/events${query(params)}`),
  /** Newest first; `before` is a `next_before` (`<time ms>.<seq>.<lock>`, docs/hub.md "History"). */
  events: (
    params: {
      limit?: number;
      before?: string;
      before_time?: string;
      after_time?: string;
      lock?: string;
      kind?: EventKind;
      user?: number;
      actor?: string;
    } = {},
  ) => call<{ events: LockEvent[]; next_before?: string }>('GET', `/events${query(params)}`),

  accounts: () => call<Account[]>('GET', '/accounts'),
  addAccount: (account: AccountInput) => call<Account>('POST', '/accounts', account),
  patchAccount: (username: string, account: AccountInput) =>
    call<Account>('PATCH', `/accounts/${enc(username)}`, account),
  deleteAccount: (username: string) => call<unknown>('DELETE', `/accounts/${enc(username)}`),

  holidays: (id: string) => call<Holiday[]>('GET', `${lockPath(id)}/holidays`),
  addHoliday: (id: string, holiday: Omit<Holiday, 'index'> & { index?: number }) =>
    call<Holiday>('POST', `${lockPath(id)}/holidays`, holiday),
  deleteHoliday: (id: string, index: number) => call<unknown>('DELETE', `${lockPath(id)}/holidays/${index}`),
  pairLock: (lock: { address: string; setup_code: string; name?: string }) => call<Lock>('POST', '/locks', lock),
  unpairLock: (id: string) => call<unknown>('DELETE', lockPath(id)),

  tokens: () => call<ApiToken[]>('GET', '/tokens'),
  addToken: (token: { name: string; role?: Role; locks?: string[]; expires_at?: string }) =>
    call<{ id: string; token: string }>('POST', '/tokens', token),
  deleteToken: (tokenId: string) => call<unknown>('DELETE', `/tokens/${enc(tokenId)}`),

  webhooks: () => call<Webhook[]>('GET', '/webhooks'),
  addWebhook: (hook: { url: string; kinds?: EventKind[]; secret?: string }) =>
    call<Webhook>('POST', '/webhooks', hook),
  deleteWebhook: (hookId: string) => call<unknown>('DELETE', `/webhooks/${enc(hookId)}`),
  deliveries: (hookId: string) => call<Delivery[]>('GET', `/webhooks/${enc(hookId)}/deliveries?limit=20`),

  issuePhoneKey: (key: PhoneKeyInput) => call<PhoneKey>('POST', '/phone-keys', key),
  phoneKeyRevocations: () => call<PhoneKeyRevocations>('GET', '/phone-keys/revocations'),
  revokePhoneKey: (serial: number) => call<PhoneKey>('DELETE', `/phone-keys/${serial}`),

  offlineCodes: (id: string) => call<OfflineCode[]>('GET', `${lockPath(id)}/offline-codes`),
  /** 201 with the new code; a clear code also says whether the lock already refuses the earlier ones. */
  issueOfflineCode: (id: string, input: OfflineCodeInput) => call<OfflineCode>('POST', `${lockPath(id)}/offline-codes`, input),
  /** `status` revoked (the lock has it) or revocation_pending (queued until the lock connects). */
  revokeOfflineCode: (id: string, code: string) => call<OfflineCode>('DELETE', `${lockPath(id)}/offline-codes/${enc(code)}`),

  vapidPublicKey: () => call<VapidKey>('GET', '/push/vapid-public-key'),
  pushSubscriptions: () => call<PushSubscriptionRecord[]>('GET', '/push/subscriptions'),
  /** 201 for a new endpoint; 200 when this account already had it (updated). */
  addPushSubscription: (subscription: PushSubscriptionInput) =>
    call<PushSubscriptionRecord>('POST', '/push/subscriptions', subscription),
  deletePushSubscription: (id: string) => call<unknown>('DELETE', `/push/subscriptions/${enc(id)}`),
  notificationSettings: () => call<NotificationSettings>('GET', '/me/notifications'),
  patchNotificationSettings: (change: Partial<NotificationSettings>) =>
    call<NotificationSettings>('PATCH', '/me/notifications', change),
};
