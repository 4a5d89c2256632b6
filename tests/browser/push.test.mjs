// Web Push in the app (docs/notifications.md "In the web app"), against a real demo:
// - the service worker shows a pushed payload as a notification (the push event comes from
//   DevTools' ServiceWorker.deliverPushMessage, as the browser's push service would bring it),
//   and a generic one for a payload that is not the hub's;
// - a click on it opens the event in the app: Chromium shows the notification through the
//   desktop's notification server on D-Bus (notification_daemon.mjs, on a private bus), which
//   clicks it as a person would, so the worker gets a real notificationclick (no test hook);
// - the Notifications screen saves the account's choices at the hub and lists its devices;
// - "Push on this device" subscribes for real, through a stand-in for Chromium's push service
//   on loopback (fake_push_service.mjs), posts the subscription to the hub and removes it when
//   turned off and at logout; when the service refuses or does not answer, it says why and
//   sends the hub nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, Demo, OWNER_PASSWORD, TIMEOUT, logIn } from './harness.mjs';
import { startFakePushService } from './fake_push_service.mjs';
import { startNotificationDaemon } from './notification_daemon.mjs';

const demo = new Demo(1);
const dir = mkdtempSync(join(tmpdir(), 'latchkey-push-'));
let daemon;
let service;
let context;
let page;
let cdp;
let registrationId;
const problems = [];

/** The registration id DevTools knows the app's worker by (ServiceWorker.enable lists them). */
async function workerRegistration(session, origin) {
  const found = new Promise((resolve) => {
    session.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const r = registrations.find((x) => x.scopeURL === `${origin}/` && !x.isDeleted);
      if (r) resolve(r.registrationId);
    });
  });
  await session.send('ServiceWorker.enable');
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no worker registration in DevTools')), TIMEOUT));
  return Promise.race([found, timeout]);
}

/** Delivers `data` to the worker as a push message. */
function push(data) {
  return cdp.send('ServiceWorker.deliverPushMessage', { origin: demo.url, registrationId, data });
}

/** The notifications the worker's registration shows, as the page sees them. */
function shown() {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications()).map((n) => ({
      title: n.title,
      body: n.body,
      tag: n.tag,
      icon: n.icon,
      data: n.data,
      requireInteraction: n.requireInteraction,
    }));
  });
}

/** The newest id the desktop gave a notification (each new one gets a higher id). */
const lastShownId = () => Math.max(0, ...daemon.notifications.map((n) => n.id));

/**
 * The registration's notification tagged `tag` once the desktop shows a notification newer than
 * `after` whose title `title` (a string or RegExp) accepts. The page asks only then: Chromium
 * checks the registration's list against what the platform displays, and drops a notification
 * asked about while the desktop is still being told of it.
 */
async function waitForShown(tag, title, after) {
  const desktop = await daemon.waitFor((d) => d.id > after && (title instanceof RegExp ? title.test(d.summary) : d.summary === title));
  const found = (await shown()).find((n) => n.tag === tag);
  if (!found) throw new Error(`no notification tagged ${tag}: ${JSON.stringify(await shown())}`);
  return { ...found, desktop };
}

/** Closes every notification of the registration, so the next check sees only its own. */
function closeAll() {
  return page.evaluate(async () => {
    for (const n of await (await navigator.serviceWorker.ready).getNotifications()) n.close();
  });
}

/** The newest event of the lock after doing `what` (a sim or command call). */
async function newEvent(id, what, kind) {
  const before = (await demo.api('GET', `/api/v1/locks/${id}`)).last_event_seq;
  await what();
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const page = await demo.api('GET', `/api/v1/locks/${id}/events?after=${before}&limit=50`);
    const event = page.events.find((e) => e.kind === kind);
    if (event) return event;
    if (Date.now() > deadline) throw new Error(`no ${kind} event after ${before}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Opens the app's own page (logged in) and waits until the worker controls it. */
async function openControlled(target) {
  await target.goto('/');
  await target.getByRole('navigation').waitFor();
  await target.evaluate(() => navigator.serviceWorker.ready);
  if (!(await target.evaluate(() => navigator.serviceWorker.controller !== null))) {
    await target.reload();
    await target.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await target.getByRole('navigation').waitFor();
  }
}

function watch(p) {
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
}

before(async () => {
  await demo.start();
  daemon = await startNotificationDaemon(dir);
  service = await startFakePushService();
  // A persistent profile: Chromium brings a desktop notification's click back to the profile that
  // showed it by the profile's name, which finds the default profile but not the off-the-record
  // contexts of browser.newContext().
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...service.switches],
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: daemon.address },
    baseURL: demo.url,
    viewport: { width: 1280, height: 800 },
  });
  context.setDefaultTimeout(TIMEOUT);
  await context.grantPermissions(['notifications'], { origin: demo.url });
  page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  await page.goto('/');
  await logIn(page, 'owner', OWNER_PASSWORD);
  await openControlled(page);
  cdp = await context.newCDPSession(page);
  registrationId = await workerRegistration(cdp, demo.url);
});

after(async () => {
  await context?.close();
  await daemon?.stop();
  await service?.stop();
  await demo.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the worker shows a pushed alarm with the payload, the icon and a tag per event', async () => {
  const [id] = demo.lockIds;
  const alarm = await newEvent(id, () => demo.api('POST', `/api/v1/locks/${id}/sim/tamper`, {}), 'alarm');
  await closeAll();
  const payload = {
    title: `Pushed: tamper alarm at ${demo.lockNames[id]}`,
    body: `pushed alarm ${alarm.seq}`,
    lock: id,
    seq: alarm.seq,
    kind: 'alarm',
    url: `/#/locks/${id}/events/${alarm.seq}`,
  };
  const after = lastShownId();
  await push(JSON.stringify(payload));
  const n = await waitForShown(`latchkey:${id}:${alarm.seq}`, payload.title, after);
  assert.equal(n.title, payload.title);
  assert.equal(n.body, payload.body);
  assert.equal(n.icon, `${demo.url}/icons/icon-192.png`);
  assert.equal(n.requireInteraction, true, 'an alarm stays until the person acts on it');
  assert.deepEqual(n.data, { url: payload.url, lock: id, seq: alarm.seq, kind: 'alarm' });

  // On the desktop: critical (requireInteraction), clickable.
  assert.ok(n.desktop.body.endsWith(payload.body), n.desktop.body);
  assert.equal(n.desktop.hints.urgency, 2);
  assert.ok(n.desktop.actions.includes('default'), 'clickable');
});

test('a payload that is not the hub’s still shows a generic notification', async () => {
  for (const data of ['this is not JSON {', '', '42', '{"title": 7}']) {
    await closeAll();
    const after = lastShownId();
    await push(data);
    const n = await waitForShown('latchkey', 'latchkey', after);
    assert.equal(n.title, 'latchkey', `for ${JSON.stringify(data)}`);
    assert.match(n.body, /Something happened at your locks/);
    assert.deepEqual(n.data, { url: '/' });
    assert.equal(n.requireInteraction, false);
  }
  // An unlock is not an alarm: it goes away by itself; an address elsewhere is never opened.
  await closeAll();
  const [id] = demo.lockIds;
  const after = lastShownId();
  await push(JSON.stringify({ title: 'Opened', body: 'x', lock: id, seq: 999999, kind: 'lock_operation', url: 'https://example.com/#/locks' }));
  const n = await waitForShown(`latchkey:${id}:999999`, 'Opened', after);
  assert.equal(n.requireInteraction, false);
  assert.equal(n.data.url, '/');
  assert.deepEqual(problems, []);
});

test('a click on a pushed notification opens its event in the open app', async () => {
  const [id] = demo.lockIds;
  const unlock = await newEvent(id, () => demo.api('POST', `/api/v1/locks/${id}/unlock`, {}), 'lock_operation');
  await page.goto('/#/');
  await page.getByRole('navigation').waitFor();
  const title = `Unlocked: ${demo.lockNames[id]}`;
  await push(JSON.stringify({ title, body: `click me ${unlock.seq}`, lock: id, seq: unlock.seq, kind: 'lock_operation', url: `/#/locks/${id}/events/${unlock.seq}` }));
  const desktop = await daemon.waitFor((d) => d.summary === title && !d.closed);
  daemon.click(desktop.id);

  await page.waitForURL(`${demo.url}/#/locks/${id}/events/${unlock.seq}`);
  const focus = page.getByTestId('event-focus');
  await focus.locator(`[data-testid="event"][data-seq="${unlock.seq}"]`).waitFor();
  assert.match(await focus.innerText(), /unlocked/i);
  // The same event is highlighted in the lock's history.
  await page.locator(`[data-testid="history"] [data-seq="${unlock.seq}"][aria-current="true"]`).waitFor();
  // The worker closed the clicked notification.
  await daemon.waitFor((d) => d.id === desktop.id && d.closed);
});

test('a click with no app window open opens one at the event', async () => {
  const [id] = demo.lockIds;
  const alarm = await newEvent(id, () => demo.api('POST', `/api/v1/locks/${id}/sim/tamper`, {}), 'alarm');
  await page.goto('about:blank');
  const title = `Second tamper at ${demo.lockNames[id]}`;
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin: demo.url,
    registrationId,
    data: JSON.stringify({ title, body: 'b', lock: id, seq: alarm.seq, kind: 'alarm', url: `/#/locks/${id}/events/${alarm.seq}` }),
  });
  const desktop = await daemon.waitFor((d) => d.summary === title && !d.closed);
  const opened = context.waitForEvent('page');
  daemon.click(desktop.id);
  const fresh = await opened;
  watch(fresh);
  await fresh.waitForURL(`${demo.url}/#/locks/${id}/events/${alarm.seq}`);
  await fresh.getByTestId('event-focus').locator(`[data-seq="${alarm.seq}"]`).first().waitFor();
  await fresh.close();
  await openControlled(page);
  assert.deepEqual(problems, []);
});

test('a click reaches an app window the worker does not control (loaded past it)', async () => {
  const [id] = demo.lockIds;
  const unlock = await newEvent(id, () => demo.api('POST', `/api/v1/locks/${id}/lock`, {}), 'lock_operation');
  // After a hard reload (Shift+reload) no worker controls the page: the worker cannot navigate it
  // and asks the app to go there itself.
  await page.goto('/#/history');
  await page.getByRole('navigation').waitFor();
  await cdp.send('Page.reload', { ignoreCache: true });
  await page.waitForFunction(() => document.readyState === 'complete' && navigator.serviceWorker.controller === null);
  await page.getByRole('navigation').waitFor();
  const title = `Locked: ${demo.lockNames[id]}`;
  await push(JSON.stringify({ title, body: 'b', lock: id, seq: unlock.seq, kind: 'lock_operation', url: `/#/locks/${id}/events/${unlock.seq}` }));
  const desktop = await daemon.waitFor((d) => d.summary === title && !d.closed);
  daemon.click(desktop.id);
  await page.waitForURL(`${demo.url}/#/locks/${id}/events/${unlock.seq}`);
  await page.getByTestId('event-focus').locator(`[data-seq="${unlock.seq}"]`).first().waitFor();
  await openControlled(page);
  assert.deepEqual(problems, []);
});

test('the Notifications screen saves the account’s choices at the hub', async () => {
  const [id] = demo.lockIds;
  const alice = await demo.api('POST', `/api/v1/locks/${id}/users`, { name: 'Alice Push' });
  await page.getByRole('navigation').getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
  const form = page.getByTestId('notify-choices');
  await form.waitFor();

  // The hub's defaults.
  assert.equal(await form.getByLabel('Alarms').isChecked(), true);
  assert.equal(await form.getByLabel('Off', { exact: true }).isChecked(), true);
  assert.equal(await form.getByLabel('A lock is offline for more than').isChecked(), false);

  await form.getByLabel('Alarms').uncheck();
  await form.getByLabel('Unlocks by chosen people').check();
  await form.getByRole('group', { name: demo.lockNames[id] }).getByLabel('Alice Push').check();
  await form.getByLabel('A lock is offline for more than').check();
  await form.getByLabel('Minutes offline').fill('45');
  await form.getByRole('button', { name: 'Save choices' }).click();
  await form.getByText('Notification choices saved.').waitFor();
  assert.deepEqual(await demo.api('GET', '/api/v1/me/notifications'), {
    alarms: false,
    unlocks: 'people',
    people: [{ lock: id, user: alice.index }],
    offline_minutes: 45,
  });

  await page.reload();
  await form.waitFor();
  assert.equal(await form.getByLabel('Alarms').isChecked(), false);
  assert.equal(await form.getByLabel('Unlocks by chosen people').isChecked(), true);
  assert.equal(await form.getByRole('group', { name: demo.lockNames[id] }).getByLabel('Alice Push').isChecked(), true);
  assert.equal(await form.getByLabel('A lock is offline for more than').isChecked(), true);
  assert.equal(await form.getByLabel('Minutes offline').inputValue(), '45');

  // A value the hub refuses: its message, and nothing changed.
  await form.getByLabel('Minutes offline').fill('2');
  await form.getByRole('button', { name: 'Save choices' }).click();
  const error = form.getByRole('alert');
  await error.waitFor();
  assert.match(await error.innerText(), /Not accepted: .*offline_minutes/);
  assert.equal((await demo.api('GET', '/api/v1/me/notifications')).offline_minutes, 45);

  await form.getByLabel('Every unlock').check();
  await form.getByLabel('A lock is offline for more than').uncheck();
  await form.getByRole('button', { name: 'Save choices' }).click();
  await form.getByText('Notification choices saved.').waitFor();
  const settings = await demo.api('GET', '/api/v1/me/notifications');
  assert.equal(settings.unlocks, 'all');
  assert.equal(settings.offline_minutes, 0);
  assert.deepEqual(problems, []);
});

test('the account’s devices with push are listed and can be removed', async () => {
  const p256dh = createECDH('prime256v1').generateKeys().toString('base64url');
  const made = await demo.api('POST', '/api/v1/push/subscriptions', {
    endpoint: `https://push.example.com/send/${randomBytes(8).toString('hex')}`,
    keys: { p256dh, auth: randomBytes(16).toString('base64url') },
    name: 'Kitchen tablet',
  });
  await page.goto('/#/notifications');
  await page.reload();
  const row = page.locator(`[data-testid="push-subscription"][data-id="${made.id}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /Kitchen tablet/);
  assert.match(await row.innerText(), /Since /);
  await row.getByRole('button', { name: 'Remove Kitchen tablet' }).click();
  await row.waitFor({ state: 'detached' });
  assert.deepEqual(await demo.api('GET', '/api/v1/push/subscriptions'), []);
});

test('"Push on this device" says why when the push service refuses or does not answer, and sends the hub nothing', async () => {
  const posted = [];
  const record = (r) => {
    if (r.method() === 'POST' && r.url().includes('/api/v1/push/subscriptions')) posted.push(r.url());
  };
  page.on('request', record);
  await page.goto('/#/notifications');
  const card = page.getByTestId('push-device');
  const toggle = card.getByRole('switch', { name: 'Push on this device' });
  await toggle.waitFor();
  assert.equal(await toggle.isChecked(), false);

  const subscriptionNow = () => page.evaluate(async () => (await (await navigator.serviceWorker.ready).pushManager.getSubscription()) !== null);
  for (const [mode, why] of [
    ['refuse', /could not subscribe at its push service \(Registration failed - push service error\)/],
    ['hang', /could not subscribe at its push service \(no answer in 20 s\)/],
  ]) {
    service.mode = mode;
    await toggle.click();
    const error = card.getByRole('alert');
    await error.waitFor({ timeout: 40_000 });
    assert.match(await error.innerText(), why);
    assert.match(await error.innerText(), /check that this device is online/);
    await page.waitForFunction(() => !document.querySelector('#push-device-on').checked);
    await page.waitForFunction(() => !document.querySelector('#push-device-on').disabled);
    assert.equal(await subscriptionNow(), false, `${mode}: no subscription left in the browser`);
  }
  service.mode = 'accept';
  assert.deepEqual(posted, []);
  assert.deepEqual(await demo.api('GET', '/api/v1/push/subscriptions'), []);
  page.off('request', record);

  // Notifications blocked for the site: the card says where to allow them.
  await cdp.send('Browser.setPermission', { permission: { name: 'notifications' }, setting: 'denied', origin: demo.url });
  try {
    await page.reload();
    await card.getByText(/Notifications are blocked for this site/).waitFor();
    await toggle.click();
    await card.getByRole('alert').filter({ hasText: /Notifications are blocked for this site/ }).waitFor();
    await page.waitForFunction(() => !document.querySelector('#push-device-on').checked);
  } finally {
    await context.grantPermissions(['notifications'], { origin: demo.url });
  }

  // A browser without the Push API (iOS outside the home screen, some privacy browsers).
  const bare = await context.newPage();
  watch(bare);
  await bare.addInitScript(() => delete window.PushManager);
  await bare.goto('/#/notifications');
  const unavailable = bare.getByTestId('push-unavailable');
  await unavailable.waitFor();
  assert.match(await unavailable.innerText(), /no Push API/);
  assert.equal(await bare.getByRole('switch', { name: 'Push on this device' }).count(), 0);
  await bare.close();
  assert.deepEqual(problems, []);
});

test('"Push on this device" subscribes with the hub’s key; turning it off and logging out remove it', async () => {
  service.mode = 'accept';
  await page.goto('/#/notifications');
  const card = page.getByTestId('push-device');
  const toggle = card.getByRole('switch', { name: 'Push on this device' });
  await card.getByLabel('Name of this device').fill('Test laptop');
  await toggle.click();
  await card.getByText(/Push is on: this device gets your notifications, listed as “Test laptop”/).waitFor();
  assert.equal(await toggle.isChecked(), true);

  const browserSubscription = () =>
    page.evaluate(async () => (await (await navigator.serviceWorker.ready).pushManager.getSubscription())?.toJSON() ?? null);
  const mine = await browserSubscription();
  assert.match(mine.endpoint, /^https:\/\/[^/]+\/fcm\/send\/test-token-\d+$/);
  const { public_key } = await demo.api('GET', '/api/v1/push/vapid-public-key');
  assert.equal(service.registrations.at(-1).sender, public_key, 'subscribed with the hub’s VAPID key');
  const atHub = await demo.api('GET', '/api/v1/push/subscriptions');
  assert.equal(atHub.length, 1);
  assert.equal(atHub[0].endpoint, mine.endpoint);
  assert.equal(atHub[0].name, 'Test laptop');
  const row = page.locator(`[data-testid="push-subscription"][data-id="${atHub[0].id}"]`);
  await row.getByText('this device').waitFor();

  // While this browser has push, the app's own notification of a live alarm goes through the
  // worker with the event's tag, so the pushed one for the same event replaces it.
  const [id] = demo.lockIds;
  const before = lastShownId();
  const alarm = await newEvent(id, () => demo.api('POST', `/api/v1/locks/${id}/sim/tamper`, {}), 'alarm');
  const tag = `latchkey:${id}:${alarm.seq}`;
  const own = await waitForShown(tag, /^Tamper alarm at /, before);
  await push(JSON.stringify({ title: 'Pushed tamper', body: 'b', lock: id, seq: alarm.seq, kind: 'alarm', url: `/#/locks/${id}/events/${alarm.seq}` }));
  // Replaced in place on the desktop (the same id), one notification for the event.
  await daemon.waitFor((d) => d.id === own.desktop.id && d.summary === 'Pushed tamper');
  const forEvent = (await shown()).filter((n) => n.tag === tag);
  assert.deepEqual(forEvent.map((n) => n.title), ['Pushed tamper']);

  // Off: the hub forgets it, the browser drops it.
  await toggle.click();
  await card.getByText('Push is off on this device.').waitFor();
  assert.equal(await toggle.isChecked(), false);
  assert.deepEqual(await demo.api('GET', '/api/v1/push/subscriptions'), []);
  assert.equal(await browserSubscription(), null);

  // On again, then log out: the same.
  await toggle.click();
  await card.getByText(/Push is on/).waitFor();
  assert.equal((await demo.api('GET', '/api/v1/push/subscriptions')).length, 1);
  await page.getByRole('navigation').getByRole('button', { name: 'Log out' }).click();
  await page.getByLabel('Username').waitFor();
  assert.deepEqual(await demo.api('GET', '/api/v1/push/subscriptions'), []);
  assert.equal(await browserSubscription(), null);
  assert.deepEqual(problems, []);
});
