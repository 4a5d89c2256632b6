// Notifications the open app raises itself, and the service worker's requests to open an event.
//
// The worker (public/sw.js) tags a pushed event's notification `latchkey:<lock>:<seq>`; the app
// uses the same tag for the alarm it raises from the live stream. Where this browser has push,
// the app shows its notification through the worker too, so the pushed one replaces it (same
// tag, one registration) instead of a second notification for the same event.

/** The tag of an event's notification, in the app and in the worker alike. */
export const eventTag = (lock: string, seq: number) => `latchkey:${lock}:${seq}`;

/** The app's address of an event (the route `#/locks/<id>/events/<seq>`). */
export const eventUrl = (lock: string, seq: number) => `/#/locks/${encodeURIComponent(lock)}/events/${seq}`;

const ICON = '/icons/icon-192.png';

/** A system notification for an event; the caller has checked that notifications are granted. */
export async function showEventNotification(title: string, body: string, lock: string, seq: number): Promise<void> {
  const options: NotificationOptions = { body, icon: ICON, tag: eventTag(lock, seq), data: { url: eventUrl(lock, seq), lock, seq } };
  const worker = 'serviceWorker' in navigator ? await navigator.serviceWorker.getRegistration('/').catch(() => undefined) : undefined;
  if (worker?.active && (await worker.pushManager?.getSubscription().catch(() => null))) {
    return worker.showNotification(title, options);
  }
  try {
    const notification = new Notification(title, options);
    notification.onclick = () => {
      window.focus();
      location.hash = `#/locks/${encodeURIComponent(lock)}/events/${seq}`;
      notification.close();
    };
  } catch {
    // Android allows notifications only through the worker.
    await worker?.showNotification(title, options);
  }
}

/**
 * The worker asks a window it does not control (opened before the worker took over) to open a
 * notification's address: `{type: "latchkey:open", url}`. Only this origin's worker can post to
 * `navigator.serviceWorker`, and only a same-origin address is followed.
 */
export function listenForOpenRequests(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (e: MessageEvent) => {
    const data = e.data as { type?: unknown; url?: unknown } | null;
    if (data?.type !== 'latchkey:open' || typeof data.url !== 'string') return;
    const target = new URL(data.url, location.href);
    if (target.origin !== location.origin) return;
    if (target.pathname === location.pathname) location.hash = target.hash;
    else location.assign(target.href);
  });
}
