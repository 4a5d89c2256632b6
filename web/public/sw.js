// latchkey service worker: keeps the app shell (index, built assets, manifest, icons) so the app
// opens without a network; it never caches /api (live lock state and secrets must not be stale or
// stored). Hand-written on purpose: the shell is small and the rules are few.
const CACHE = 'latchkey-shell-v1';
const SHELL = ['/', '/manifest.webmanifest', '/icons/icon.svg', '/icons/icon-192.png', '/icons/icon-512.png'];

// The built assets have hashed names; read them from the current index.html.
async function cacheShell() {
  const cache = await caches.open(CACHE);
  const index = await fetch('/', { cache: 'no-store' });
  if (!index.ok) throw new Error('index: HTTP ' + index.status);
  const html = await index.clone().text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  await cache.put('/', index);
  await cache.addAll(SHELL.filter((u) => u !== '/').concat(assets));
  // Drop assets of older builds.
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (path.startsWith('/assets/') && !assets.includes(path)) await cache.delete(request);
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname === '/healthz' || url.pathname === '/metrics') return;

  if (request.mode === 'navigate') {
    // Network first so a new build shows at once; the cached shell when the hub is unreachable.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && (url.pathname === '/' || url.pathname === '/index.html')) {
            const copy = response.clone();
            void caches.open(CACHE).then((c) => c.put('/', copy));
          }
          return response;
        })
        .catch(() => caches.match('/').then((r) => r || Response.error())),
    );
    return;
  }

  if (url.pathname.startsWith('/assets/') || SHELL.includes(url.pathname)) {
    // Hashed assets never change; cache first, then fill the cache from the network.
    event.respondWith(
      caches.match(request).then(
        (hit) =>
          hit ||
          fetch(request).then((response) => {
            if (response.ok && url.pathname.startsWith('/assets/')) {
              const copy = response.clone();
              void caches.open(CACHE).then((c) => c.put(request, copy));
            }
            return response;
          }),
      ),
    );
  }
});

// Web Push (docs/notifications.md): the hub sends {title, body, lock, seq, kind, url}, encrypted
// for this browser; each push becomes a notification. Browsers penalise a push that shows nothing
// (Chrome shows its own "updated in the background", Safari ends the subscription), so a payload
// that is not what the hub sends still shows a generic one, and nothing here throws.
const ICON = '/icons/icon-192.png';
const GENERIC = { title: 'latchkey', body: 'Something happened at your locks. Open the app to see it.' };

/** A same-origin path for `url`, else the app's start: a notification opens nothing elsewhere. */
function appPath(url) {
  try {
    const target = new URL(typeof url === 'string' && url ? url : '/', self.location.origin);
    if (target.origin === self.location.origin) return target.pathname + target.search + target.hash;
  } catch {
    // not a URL
  }
  return '/';
}

/** The notification for a push's data: the hub's payload, or the generic one. */
function pushNotification(data) {
  let payload = null;
  try {
    payload = data ? data.json() : null;
  } catch {
    payload = null;
  }
  if (!payload || typeof payload !== 'object' || typeof payload.title !== 'string' || !payload.title) {
    return { title: GENERIC.title, options: { body: GENERIC.body, icon: ICON, tag: 'latchkey', data: { url: '/' } } };
  }
  const lock = typeof payload.lock === 'string' ? payload.lock : '';
  const seq = Number.isSafeInteger(payload.seq) ? payload.seq : 0;
  const kind = typeof payload.kind === 'string' ? payload.kind : '';
  return {
    title: payload.title,
    options: {
      body: typeof payload.body === 'string' ? payload.body : '',
      icon: ICON,
      // One notification per event (the app's own for the same event has this tag too); a lock's
      // "offline" replaces its previous one.
      tag: kind === 'offline' ? `latchkey:${lock}:offline` : `latchkey:${lock}:${seq}`,
      // An alarm stays until the person acts on it.
      requireInteraction: kind === 'alarm',
      data: { url: appPath(payload.url), lock, seq, kind },
    },
  };
}

self.addEventListener('push', (event) => {
  let shown;
  try {
    const { title, options } = pushNotification(event.data);
    shown = self.registration.showNotification(title, options);
  } catch {
    shown = self.registration.showNotification(GENERIC.title, { body: GENERIC.body, icon: ICON, tag: 'latchkey', data: { url: '/' } });
  }
  event.waitUntil(shown.catch(() => undefined));
});

/**
 * Opens `path` in the app: the open app's window (the focused one first) is focused and moved
 * there, else a new window opens. A window this worker does not control (opened before it took
 * over) cannot be navigated from here; it is asked to go there itself (src/push/notify.ts).
 */
async function openApp(path) {
  const target = new URL(path, self.location.origin).href;
  const isApp = (client) => {
    const p = new URL(client.url).pathname;
    return p === '/' || p === '/index.html';
  };
  const all = (await self.clients.matchAll({ type: 'window', includeUncontrolled: true })).filter(isApp);
  const client = all.find((c) => c.focused) || all.find((c) => c.visibilityState === 'visible') || all[0];
  if (!client) {
    await self.clients.openWindow(target);
    return;
  }
  await client.focus().catch(() => undefined);
  const controlled = (await self.clients.matchAll({ type: 'window' })).some((c) => c.id === client.id);
  if (controlled) {
    const moved = await client.navigate(target).catch(() => null);
    if (moved) return;
  }
  client.postMessage({ type: 'latchkey:open', url: target });
}

// A tap on a notification (pushed, or raised by the app through the worker) opens its event.
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data;
  event.waitUntil(openApp(appPath(data && data.url)).catch(() => undefined));
});
