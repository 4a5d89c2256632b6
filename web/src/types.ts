// The hub's JSON as the app reads it (shared/spec/API.md, LOCK-SEMANTICS.md, docs/openapi.yaml).
// Names are the wire's; only what the app uses is typed.

export type Role = 'owner' | 'admin' | 'member' | 'guest';

export interface Account {
  username: string;
  role: Role;
  effective_role?: Role;
  locks?: string[];
  valid_from?: string;
  valid_until?: string;
}

export interface LoginAnswer {
  expires_at: string;
  account: Account;
  csrf_token?: string;
  token?: string;
}

export const LOCK_STATES = ['locked', 'unlocked', 'unlatched', 'locking', 'unlocking', 'jammed', 'unknown'] as const;
export type LockState = (typeof LOCK_STATES)[number];

export const DOOR_STATES = ['open', 'closed', 'ajar', 'forced_open', 'unknown'] as const;
export type DoorState = (typeof DOOR_STATES)[number];

export const OPERATING_MODES = ['normal', 'vacation', 'privacy', 'no_remote', 'passage', 'lockdown'] as const;
export type OperatingMode = (typeof OPERATING_MODES)[number];

export const SOUND_VOLUMES = ['silent', 'low', 'medium', 'high'] as const;
export type SoundVolume = (typeof SOUND_VOLUMES)[number];

export interface Battery {
  percent: number;
  millivolts: number;
  low: boolean;
  critical: boolean;
  external_power: boolean;
}

export interface Capabilities {
  max_users: number;
  credentials_per_user: number;
  min_pin_length: number;
  max_pin_length: number;
  rfid_min_bytes: number;
  rfid_max_bytes: number;
  max_user_name_length: number;
  week_day_schedules_per_user: number;
  year_day_schedules_per_user: number;
  holiday_schedules: number;
  credential_types: CredentialType[];
  credential_rules: CredentialRule[];
  features: string[];
}

export interface Settings {
  auto_relock_s: number;
  wrong_code_limit: number;
  lockout_s: number;
  lockout_escalation: boolean;
  lockout_max_s: number;
  max_wrong_per_hour: number;
  expiring_user_timeout_min: number;
  require_pin_for_remote: boolean;
  one_touch_locking: boolean;
  multi_factor_window_s: number;
  door_ajar_s: number;
  sound_volume: SoundVolume;
  operating_mode: OperatingMode;
  timezone: string;
  name: string;
}

export interface Lock {
  id: string;
  name: string;
  simulated: boolean;
  online: boolean;
  lock_state: LockState;
  door_state: DoorState;
  battery: Battery;
  operating_mode: OperatingMode;
  last_event_seq: number;
  capabilities: Capabilities;
  settings: Settings;
  address?: string;
  sim_control_url?: string;
}

export const USER_TYPES = [
  'unrestricted',
  'week_day_schedule',
  'year_day_schedule',
  'schedule_restricted',
  'programming',
  'non_access',
  'forced',
  'disposable',
  'expiring',
  'remote_only',
] as const;
export type UserType = (typeof USER_TYPES)[number];

export type CredentialType = 'programming_pin' | 'pin' | 'rfid' | 'fingerprint' | 'face';
export type CredentialRule = 'single' | 'dual' | 'tri';
export type UserStatus = 'enabled' | 'disabled';

export interface CredentialRef {
  type: CredentialType;
  index: number;
}

export const WEEK_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type WeekDay = (typeof WEEK_DAYS)[number];

export type ScheduleKind = 'week_day' | 'year_day';

export interface Schedule {
  kind: ScheduleKind;
  index?: number;
  days?: WeekDay[];
  start: string;
  end: string;
}

export interface LockUser {
  index: number;
  name: string;
  unique_id?: number | null;
  status: UserStatus;
  type: UserType;
  credential_rule: CredentialRule;
  credentials: CredentialRef[];
  created_by?: string;
  modified_by?: string;
  created_at?: number;
  modified_at?: number;
  week_day_schedules?: Schedule[];
  year_day_schedules?: Schedule[];
}

export interface UserInput {
  index?: number;
  name?: string;
  status?: UserStatus;
  type?: UserType;
  credential_rule?: CredentialRule;
}

export interface CredentialInput {
  type: CredentialType;
  data: string;
  index?: number;
  user?: number;
  user_type?: UserType;
  user_status?: UserStatus;
}

export interface CredentialCreated {
  type: CredentialType;
  index: number;
  user: number;
  next_free_index: number | null;
}

export const EVENT_KINDS = ['lock_operation', 'lock_operation_error', 'alarm', 'door_state', 'change', 'power'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const ALARM_KINDS = [
  'lock_jammed',
  'wrong_code_limit',
  'tamper',
  'door_forced_open',
  'door_ajar',
  'forced_user',
  'low_battery',
  'critical_battery',
  'power_cycled',
  'lockdown',
  'events_lost',
  'factory_reset',
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

export type EventSource =
  | 'keypad'
  | 'rfid'
  | 'fingerprint'
  | 'face'
  | 'phone'
  | 'remote'
  | 'auto'
  | 'manual'
  | 'key'
  | 'button'
  | 'schedule';

export interface Actor {
  name?: string;
  role?: string;
}

/**
 * The credential an event names: a lock's credential, a phone key by its certificate's serial, or
 * an offline code by its window.
 */
export interface EventCredential {
  type: CredentialType | 'phone_key' | 'offline_code';
  index: number;
  /** A phone key's serial (`type` phone_key, index 0). */
  serial?: number;
  /** An offline code's window: its start (RFC 3339) and length in hours (`type` offline_code). */
  start?: string;
  duration?: number;
}

export interface LockEvent {
  seq: number;
  time: string;
  kind: EventKind;
  hash: string;
  lock: string;
  operation?: string;
  source?: EventSource;
  user?: number | 'all';
  credential?: EventCredential;
  /** An auto-unlock by a phone on approach (present only when true). */
  auto?: boolean;
  /** The account (or `hub`, `keypad`...) that acted; an object in older hubs. */
  actor?: string | Actor;
  error?: string;
  alarm?: AlarmKind;
  door_state?: DoorState;
  data_type?: string;
  index?: number | 'all';
  external_power?: boolean;
  count?: number;
}

export interface EventPage {
  events: LockEvent[];
  next_after?: number;
}

export interface SimDecision {
  result?: 'granted' | 'denied' | 'pending';
  reason?: string;
  user?: number;
  lock_state?: LockState;
}

export interface CommandDone {
  result: 'ok';
  lock_state: LockState;
}

export interface AccountInput {
  username?: string;
  password?: string;
  role?: Exclude<Role, 'owner'>;
  locks?: string[];
  valid_from?: string;
  valid_until?: string;
}

export interface Holiday {
  index: number;
  start: string;
  end: string;
  operating_mode: OperatingMode;
}

export interface ApiToken {
  id: string;
  name: string;
  role?: Role;
  locks?: string[];
  expires_at?: string;
  created_at: string;
}

export interface Webhook {
  id: string;
  url: string;
  kinds?: EventKind[];
  created_at: string;
  secret?: string;
}

export interface Delivery {
  id: string;
  lock: string;
  seq: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at?: string;
  last_error?: string;
  created_at: string;
}

/** A stream message (API.md "History and live events"). */
export type StreamMessage =
  | { type: 'event'; lock: string; event: LockEvent }
  | ({ type: 'state'; lock: string } & Lock);

/** GET /api/v1/integrations/matter (docs/integrations.md). */
export interface MatterStatus {
  enabled: boolean;
  running: boolean;
  udp_port?: number;
  pairing_code?: string;
  qr_payload?: string;
  commissioned?: boolean;
  commissioned_fabrics?: { index: number; label: string; vendor_id: number }[];
}
