// The hub's Web Push API (docs/notifications.md, docs/openapi.yaml "push"), as the web app uses it.

/** GET /api/v1/push/vapid-public-key: the applicationServerKey PushManager.subscribe wants. */
export interface VapidKey {
  /** base64url, no padding, of the 65-byte uncompressed P-256 point. */
  public_key: string;
}

/** POST /api/v1/push/subscriptions: PushSubscription.toJSON() plus a name for the list. */
export interface PushSubscriptionInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  name?: string;
}

/** One of the account's subscriptions as the hub lists it. */
export interface PushSubscriptionRecord {
  id: string;
  endpoint: string;
  name: string;
  created_at: string;
  /** The push service's last refusal, until a delivery succeeds. */
  last_error?: string;
}

export const UNLOCK_CHOICES = ['off', 'all', 'people', 'first_of_day'] as const;
export type UnlockChoice = (typeof UNLOCK_CHOICES)[number];

/** A lock user whose unlocks are sent when `unlocks` is "people". */
export interface PersonChoice {
  lock: string;
  user: number;
}

/** GET/PATCH /api/v1/me/notifications: what the hub pushes to this account. */
export interface NotificationSettings {
  alarms: boolean;
  unlocks: UnlockChoice;
  people: PersonChoice[];
  /** 0: off; else 5..1440. */
  offline_minutes: number;
}

/**
 * What the service worker receives (decrypted) for one notification. `kind` is the event kind or
 * "offline"; `url` is "/#/locks/<id>/events/<seq>" (or "/#/locks/<id>" when offline).
 */
export interface PushPayload {
  title: string;
  body: string;
  lock: string;
  seq: number;
  kind: string;
  url: string;
}
