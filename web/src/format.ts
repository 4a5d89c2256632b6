// Words for the wire's names, and sentences for events. Times are shown in the browser's local time.
import type { AlarmKind, CredentialType, EventKind, LockEvent, LockUser, UserType } from './types';

export const USER_TYPE_LABEL: Record<UserType, string> = {
  unrestricted: 'Unrestricted (any time)',
  week_day_schedule: 'Recurring (week-day schedule)',
  year_day_schedule: 'Temporary (from–until)',
  schedule_restricted: 'Schedule restricted (all schedules)',
  programming: 'Programming (keypad admin)',
  non_access: 'Doorbell only (never opens)',
  forced: 'Duress (opens, silent alarm)',
  disposable: 'One-time (service staff)',
  expiring: 'Expiring after first use',
  remote_only: 'Remote only (app, not keypad)',
};

export const CREDENTIAL_LABEL: Record<CredentialType, string> = {
  programming_pin: 'Programming PIN',
  pin: 'PIN',
  rfid: 'RFID card',
  fingerprint: 'Fingerprint',
  face: 'Face',
};

export const EVENT_KIND_LABEL: Record<EventKind, string> = {
  lock_operation: 'Lock operations',
  lock_operation_error: 'Refused attempts',
  alarm: 'Alarms',
  door_state: 'Door',
  change: 'Changes',
  power: 'Power',
};

export const ALARM_TITLE: Record<AlarmKind, string> = {
  lock_jammed: 'Bolt jammed',
  wrong_code_limit: 'Wrong-code lockout',
  tamper: 'Tamper alarm',
  door_forced_open: 'Door forced open',
  door_ajar: 'Door left ajar',
  forced_user: 'Duress code used',
  low_battery: 'Low battery',
  critical_battery: 'Battery critical',
  power_cycled: 'Power cycled',
  lockdown: 'Emergency lockdown',
  events_lost: 'History events lost',
  factory_reset: 'Factory reset',
};

const SOURCE_LABEL: Record<string, string> = {
  keypad: 'keypad',
  rfid: 'card',
  fingerprint: 'finger',
  face: 'face',
  phone: 'phone',
  remote: 'remote',
  auto: 'auto',
  manual: 'thumbturn',
  key: 'key',
  button: 'outside button',
  schedule: 'schedule',
};

const OPERATION_PAST: Record<string, string> = {
  lock: 'locked',
  unlock: 'unlocked',
  unlatch: 'unlatched',
  non_access: 'rang (doorbell user)',
  forced_user: 'opened with a duress code',
};

const ERROR_LABEL: Record<string, string> = {
  invalid_credential: 'wrong credential',
  disabled_user: 'person disabled',
  restricted: 'outside schedule',
  incomplete: 'multi-factor incomplete',
  insufficient_battery: 'battery too low',
  mode: 'not allowed in this mode',
  lockout: 'lockout',
};

const DATA_LABEL: Record<string, string> = {
  pin: 'PIN',
  rfid: 'Card',
  fingerprint: 'Fingerprint',
  face: 'Face',
  programming_pin: 'Programming PIN',
  week_day_schedule: 'Recurring schedule',
  year_day_schedule: 'Date-range schedule',
  holiday_schedule: 'Holiday',
  settings: 'Settings',
  home_key: 'Phone keys: home key',
  phone_revocations: 'Phone keys: revocation list',
};

export const MODE_LABEL: Record<string, string> = {
  normal: 'Normal',
  vacation: 'Vacation',
  privacy: 'Privacy',
  no_remote: 'No remote',
  passage: 'Passage (stays open)',
  lockdown: 'Emergency lockdown',
};

export function sourceLabel(source: string | undefined): string {
  return source ? (SOURCE_LABEL[source] ?? source) : '';
}

export function humanize(name: string): string {
  const s = name.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const shortTime = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

/** An RFC 3339 time or epoch milliseconds, in the browser's local time. */
export function formatTime(time: string | number | undefined): string {
  if (time === undefined || time === '') return '';
  const d = new Date(time);
  return Number.isNaN(d.getTime()) ? String(time) : timeFormat.format(d);
}

export function formatShortTime(time: string | number): string {
  const d = new Date(time);
  return Number.isNaN(d.getTime()) ? String(time) : shortTime.format(d);
}

/** The account (or `hub`) that acted, if any. */
export function actorName(event: LockEvent): string {
  const a = event.actor;
  return typeof a === 'string' ? a : (a?.name ?? '');
}

const GUEST_PHONE = 'a guest phone';

/**
 * How an operation came: "phone key #7 (auto-unlock)" for a phone key, "offline code for
 * <start>, 4 h" for an offline code, else the source.
 */
export function eventHow(event: LockEvent): string {
  const credential = event.credential;
  if (credential?.type === 'offline_code') {
    const window = credential.start ? ` for ${formatShortTime(credential.start)}, ${credential.duration ?? '?'} h` : '';
    return `offline code${window}`;
  }
  if (credential?.type !== 'phone_key') return sourceLabel(event.source);
  const key = credential.serial !== undefined ? `phone key #${credential.serial}` : 'phone key';
  return event.auto ? `${key} (auto-unlock)` : key;
}

/** The person behind an event: the lock user's name, else the account that acted. */
export function eventWho(event: LockEvent, users: LockUser[] | undefined): string {
  // A phone key for no user of the lock: a guest's phone, limited by its certificate.
  if (event.user === 0 && event.credential?.type === 'phone_key') return GUEST_PHONE;
  if (typeof event.user === 'number') {
    const user = users?.find((u) => u.index === event.user);
    if (user?.name) return user.name;
    return `User ${event.user}`;
  }
  if (event.user === 'all') return 'All users';
  return actorName(event);
}

/** One readable line: who did what, how, and the result. */
export function describeEvent(event: LockEvent, users: LockUser[] | undefined): string {
  const who = eventWho(event, users);
  const how = eventHow(event);
  const actor = actorName(event);
  const by = actor && actor !== who ? ` (app: ${actor})` : '';
  switch (event.kind) {
    case 'lock_operation': {
      const what = OPERATION_PAST[event.operation ?? ''] ?? event.operation ?? 'operated';
      const subject = who === GUEST_PHONE ? 'A guest phone' : who || (event.source === 'auto' ? 'Auto-relock' : 'Someone');
      return `${subject} ${what}${how ? ` by ${how}` : ''}${by}: granted`;
    }
    case 'lock_operation_error': {
      const what = event.operation ?? 'access';
      const reason = ERROR_LABEL[event.error ?? ''] ?? event.error ?? 'refused';
      return `${humanize(what)} refused by ${how || 'lock'}${who ? ` for ${who}` : ''}${by}: ${reason}`;
    }
    case 'alarm': {
      const title = ALARM_TITLE[event.alarm as AlarmKind] ?? humanize(event.alarm ?? 'alarm');
      return `Alarm: ${title}${event.count ? ` (${event.count})` : ''}`;
    }
    case 'door_state':
      return `Door ${humanize(event.door_state ?? 'unknown').toLowerCase()}`;
    case 'change': {
      const op = { add: 'added', modify: 'changed', clear: 'removed' }[event.operation ?? ''] ?? event.operation;
      const doer = actor || sourceLabel(event.source);
      const byDoer = doer ? ` by ${doer}` : '';
      if (event.data_type === 'user') return `Person ${who || 'unknown'} ${op}${byDoer}`;
      if (event.data_type === 'clock') return `Clock set${byDoer}`;
      const data = DATA_LABEL[event.data_type ?? ''] ?? humanize(event.data_type ?? 'data');
      const idx = event.index !== undefined && event.data_type !== 'settings' ? ` ${event.index}` : '';
      const forWho = typeof event.user === 'number' || event.user === 'all' ? ` for ${who}` : '';
      return `${data}${idx} ${op}${forWho}${byDoer}`;
    }
    case 'power':
      return event.external_power ? 'USB power connected' : 'USB power disconnected';
    default:
      return humanize(String((event as LockEvent).kind));
  }
}
