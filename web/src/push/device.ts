// This browser as a Web Push receiver (docs/notifications.md "In the web app"): its
// PushSubscription, made by the app's service worker registration with the hub's VAPID key, and
// the hub's record of it for the signed-in account.
//
//   const reason = pushUnavailable();          // null, or why this browser cannot receive push
//   await enablePush('Chrome on Android', mine); // permission, subscribe, POST to the hub
//   await disablePush();                       // DELETE at the hub, then unsubscribe the browser
//
// The browser holds one subscription per origin, whoever is signed in; it counts as on for the
// account only when the account's list at the hub has its endpoint.
import { api, ApiError } from '../api';
import type { PushSubscriptionRecord } from './types';

/** Why this browser cannot receive push at all, as a sentence; null when it can. */
export function pushUnavailable(): string | null {
  if (!window.isSecureContext) {
    return 'Push needs the app over HTTPS: open the hub at its https:// address.';
  }
  if (!('serviceWorker' in navigator)) {
    return 'This browser has no service workers, so it cannot receive push notifications.';
  }
  if (!('PushManager' in window)) {
    return (
      'This browser has no Push API (PushManager), so it cannot receive push notifications. On an iPhone or iPad ' +
      '(iOS 16.4 or later), add latchkey to the home screen (Share, Add to Home Screen) and turn push on in the app opened from there.'
    );
  }
  if (!('Notification' in window)) return 'This browser cannot show notifications.';
  return null;
}

/** True when the browser's settings block notifications for the hub (only the person can undo it). */
export const notificationsBlocked = () => 'Notification' in window && Notification.permission === 'denied';

export const BLOCKED =
  'Notifications are blocked for this site in the browser. Allow them in the site settings (the icon left of the address, or ' +
  'Settings, Site settings, Notifications), then turn push on again.';

/** The app's service worker registration, without waiting for one that is not there. */
async function registration(): Promise<ServiceWorkerRegistration> {
  const registered = await navigator.serviceWorker.getRegistration('/');
  if (!registered) throw new Error('The app’s service worker is not installed yet: reload the page and try again.');
  if (registered.active) return registered;
  return within(navigator.serviceWorker.ready, 10_000, 'The app’s service worker did not start: reload the page and try again.');
}

function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (e: unknown) => (clearTimeout(timer), reject(e)),
    );
  });
}

/** This browser's subscription, if it has one (null where push is unavailable). */
export async function browserSubscription(): Promise<PushSubscription | null> {
  if (pushUnavailable()) return null;
  const registered = await navigator.serviceWorker.getRegistration('/');
  return (await registered?.pushManager.getSubscription()) ?? null;
}

/** A name for the subscription list: the browser and the system, e.g. "Firefox on Android". */
export function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chromium\//.test(ua)
        ? 'Chromium'
        : /Chrome\//.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : 'Browser';
  const system = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad|iPod/.test(ua)
      ? 'iOS'
      : /Mac OS X/.test(ua)
        ? 'macOS'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux|CrOS/.test(ua)
            ? 'Linux'
            : '';
  return system ? `${browser} on ${system}` : browser;
}

/** base64url (padding optional) to bytes, as applicationServerKey wants them. */
export function base64UrlBytes(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// A browser that cannot reach its push service may leave subscribe() unanswered for minutes
// (Chromium retries its check-in); the person hears back after this.
const SUBSCRIBE_TIMEOUT_MS = 20_000;
const NO_ANSWER = 'no answer in 20 s';

/** What a refused (or unanswered) PushManager.subscribe means for the person. */
function subscribeFailure(e: unknown): string {
  const name = e instanceof DOMException ? e.name : '';
  const detail = e instanceof Error && e.message ? ` (${e.message})` : '';
  if (name === 'NotAllowedError') return notificationsBlocked() ? BLOCKED : `The browser did not allow push for this site${detail}.`;
  return (
    `This browser could not subscribe at its push service${detail}. Push goes through the browser maker’s service on the ` +
    'internet (Google’s for Chrome, Mozilla’s for Firefox, Apple’s for Safari): check that this device is online, and that ' +
    'push is not turned off in the browser.'
  );
}

/**
 * Turns push on for the signed-in account: asks for permission when the browser has not been
 * asked, subscribes with the hub's VAPID key and sends the subscription to the hub. `mine` is the
 * account's list: a browser subscription that it does not hold (another account's, or one the hub
 * dropped) is replaced by a fresh one, so nothing of another account keeps arriving here. A
 * subscription the hub refuses is undone in the browser too.
 */
export async function enablePush(name: string, mine: PushSubscriptionRecord[]): Promise<PushSubscriptionRecord> {
  const unavailable = pushUnavailable();
  if (unavailable) throw new Error(unavailable);
  let permission = Notification.permission;
  if (permission === 'default') permission = await Notification.requestPermission();
  if (permission === 'denied') throw new Error(BLOCKED);
  if (permission !== 'granted') throw new Error('Push stays off: the browser was not allowed to show notifications.');

  const worker = await registration();
  const key = base64UrlBytes((await api.vapidPublicKey()).public_key);
  let subscription = await worker.pushManager.getSubscription();
  if (subscription && !(mine.some((r) => r.endpoint === subscription!.endpoint) && sameKey(subscription, key))) {
    await subscription.unsubscribe().catch(() => false);
    subscription = null;
  }
  if (!subscription) {
    const asked = worker.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    try {
      subscription = await within(asked, SUBSCRIBE_TIMEOUT_MS, NO_ANSWER);
    } catch (e) {
      // A subscription that comes after the person was told it failed is not kept.
      void asked.then((late) => late.unsubscribe(), () => undefined);
      throw new Error(subscribeFailure(e));
    }
  }
  const { endpoint, keys } = subscription.toJSON();
  if (!endpoint || !keys?.p256dh || !keys?.auth) {
    await subscription.unsubscribe().catch(() => false);
    throw new Error('The browser’s subscription has no endpoint or keys; push is not available here.');
  }
  try {
    return await api.addPushSubscription({ endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth }, name: name.trim() || deviceName() });
  } catch (e) {
    await subscription.unsubscribe().catch(() => false);
    if (e instanceof ApiError && e.code === 'forbidden') throw new Error(`The hub refuses this browser’s push service: ${e.message}.`);
    if (e instanceof ApiError && e.code === 'resource_exhausted') {
      throw new Error(`Your account has as many devices with push as the hub allows: remove one below first (${e.message}).`);
    }
    throw e;
  }
}

/** The subscription was made with this VAPID key (the hub's key may have been made anew). */
function sameKey(subscription: PushSubscription, key: Uint8Array): boolean {
  const used = subscription.options.applicationServerKey;
  if (!used) return false;
  const bytes = new Uint8Array(used);
  return bytes.length === key.length && bytes.every((b, i) => b === key[i]);
}

/**
 * Turns push off on this browser: the hub forgets the subscription for this account, then the
 * browser drops it. When the hub cannot be told, the browser keeps its subscription (so the
 * screen stays true) and the error is thrown; `force` drops it anyway (logout), and the push
 * service's 404/410 later makes the hub forget it.
 */
export async function disablePush(force = false): Promise<void> {
  const subscription = await browserSubscription();
  if (!subscription) return;
  try {
    for (const record of await api.pushSubscriptions()) {
      if (record.endpoint === subscription.endpoint) await api.deletePushSubscription(record.id);
    }
  } catch (e) {
    if (!force) throw e;
  }
  await subscription.unsubscribe();
}

/** At logout (before the session ends): this browser stops receiving the account's push. */
export async function dropPush(): Promise<void> {
  try {
    await within(disablePush(true), 8_000, 'push: timeout');
  } catch {
    // Logout goes on; a subscription left at the hub dies at the push service's next 404/410.
  }
}
