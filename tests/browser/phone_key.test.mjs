// The web app as a phone (issue 12): a browser enrolled as a phone key on the lock's page (the
// real hub signs), then "Unlock here" over Web Bluetooth in Chromium's Bluetooth emulation,
// bridged to the demo lock's real TCP phone listener (phone_bridge.mjs). The first tap runs XX
// and pins the lock's key; the second runs IK. A key close to expiry is renewed when the app
// starts; a revoked key is refused in plain words; a browser without Web Bluetooth says so and
// offers the remote unlock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Demo, OWNER_PASSWORD, launchBrowser, lockCard, logIn, openApp } from './harness.mjs';
import { EmulatedLock } from './phone_bridge.mjs';

const demo = new Demo(1);
let browser;
let context;
let page;
let air;
let lock;

before(async () => {
  await demo.start();
  lock = demo.lockIds[0];
  // Linux Chromium has Web Bluetooth behind this feature (Android and desktop Chrome elsewhere have it on).
  browser = await launchBrowser(['--enable-features=WebBluetooth']);
  const phoneAddress = readFileSync(join(demo.dir, 'data', 'lock-1', 'phone.addr'), 'utf8').trim();
  air = new EmulatedLock(browser, phoneAddress);
  await air.start();
  ({ context, page } = await openApp(browser, demo));
  await air.answerChooser(page);
});

after(async () => {
  await air?.stop();
  await context?.close();
  await browser?.close();
  await demo.stop();
});

const section = () => page.getByTestId('phone-key');
const result = () => section().getByTestId('phone-result');

async function openLockPage() {
  await page.goto(`/#/locks/${encodeURIComponent(lock)}`);
  await section().waitFor();
}

async function myKeys() {
  return (await demo.api('GET', '/api/v1/phone-keys')).filter((k) => k.account === 'owner');
}

/** Taps "Unlock here" and waits for the lock's answer on the page. */
async function tapUnlock() {
  const before = air.sessions.length;
  const answers = Number(await section().getAttribute('data-answers'));
  await section().getByRole('button', { name: 'Unlock here' }).click();
  await section().locator(`[data-testid="phone-result"][data-answer="${answers + 1}"]`).waitFor();
  await section().getByRole('button', { name: 'Talking to the lock…' }).waitFor({ state: 'detached' });
  assert.equal(air.sessions.length, before + 1, 'one session per tap');
  return {
    ok: await result().getAttribute('data-ok'),
    pattern: await result().getAttribute('data-pattern'),
    text: (await result().textContent()).trim(),
    wire: air.current,
  };
}

test('the owner enrolls this browser as a key on the lock page (the hub signs it)', async () => {
  await logIn(page, 'owner', OWNER_PASSWORD);
  await openLockPage();
  assert.equal(await section().getByTestId('no-bluetooth').count(), 0);
  await section().getByRole('button', { name: 'Use this browser as a key' }).click();
  const serial = section().getByTestId('phone-key-serial');
  await serial.waitFor();
  const keys = await myKeys();
  assert.equal(keys.length, 1);
  const [key] = keys;
  assert.equal(await serial.getAttribute('data-serial'), String(key.serial));
  assert.equal(key.lock, lock);
  assert.equal(Number(await section().getByTestId('phone-key-until').getAttribute('data-not-after')), key.not_after_s);
  assert.ok(Math.abs(key.not_after_s - Date.now() / 1000 - 86400) < 120, 'valid for a day');
  // The browser's public key is 32 bytes; its private key never left WebCrypto.
  assert.equal(Buffer.from(key.phone_public_key, 'base64').length, 32);
  const extractable = await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('latchkey-phone');
        open.onsuccess = () => {
          const get = open.result.transaction('identity').objectStore('identity').get('self');
          get.onsuccess = () => resolve([get.result.privateKey.extractable, get.result.privateKey.algorithm.name]);
          get.onerror = () => reject(get.error);
        };
        open.onerror = () => reject(open.error);
      }),
  );
  assert.deepEqual(extractable, [false, 'X25519']);
  assert.equal(await section().getByTestId('phone-key-pinned').textContent(), 'learnt at first unlock');
});

test('"Unlock here": first contact over Bluetooth runs XX, unlocks the real lock and pins its key', async () => {
  await demo.api('POST', `/api/v1/locks/${lock}/lock`);
  await lockCard(page, lock).getByTestId('lock-state').filter({ hasText: /^locked$/ }).waitFor();
  const tap = await tapUnlock();
  assert.equal(tap.ok, 'true', tap.text);
  assert.equal(tap.pattern, 'XX');
  assert.match(tap.text, /^Unlocked\./);
  assert.equal(await demo.lockState(lock), 'unlocked');
  await lockCard(page, lock).getByTestId('lock-state').filter({ hasText: /^unlocked$/ }).waitFor();
  // On the air: XX's first message is the bare ephemeral key (32 bytes), at 20-byte writes.
  assert.equal(tap.wire.messages[0], 32);
  assert.equal(tap.wire.messages.length, 3); // e; s + hello; req
  assert.ok(tap.wire.written.every((f) => f.length <= 20));
  assert.ok(tap.wire.reads > 0, 'the page polled with reads');
  assert.equal(await section().getByTestId('phone-key-pinned').textContent(), 'remembered');
  // The lock's history names the phone key.
  const { events } = await demo.api('GET', `/api/v1/locks/${lock}/events?limit=50`);
  const [key] = await myKeys();
  assert.ok(
    events.some((e) => e.kind === 'lock_operation' && e.source === 'phone' && e.credential?.serial === key.serial),
    JSON.stringify(events.slice(-3)),
  );
});

test('a second tap uses IK with the pinned key', async () => {
  await demo.api('POST', `/api/v1/locks/${lock}/lock`);
  await lockCard(page, lock).getByTestId('lock-state').filter({ hasText: /^locked$/ }).waitFor();
  const tap = await tapUnlock();
  assert.equal(tap.ok, 'true', tap.text);
  assert.equal(tap.pattern, 'IK');
  // IK's first message carries the phone's static key and the hello: 96 bytes or more.
  assert.ok(tap.wire.messages[0] >= 96, `first message ${tap.wire.messages[0]} bytes`);
  assert.equal(tap.wire.messages.length, 2); // e, es, s, ss + hello; req
  assert.equal(await demo.lockState(lock), 'unlocked');
  assert.deepEqual(air.problems, []);
});

test('a lock whose key changed (reset): the page asks before forgetting the pinned key, then XX again', async () => {
  // Pin a key the lock does not have, as if the lock had been reset since.
  await page.evaluate(
    (lockId) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('latchkey-phone');
        open.onsuccess = () => {
          const tx = open.result.transaction('pins', 'readwrite');
          tx.objectStore('pins').put({ lockId, key: crypto.getRandomValues(new Uint8Array(32)), pinnedAt: Date.now() });
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        };
        open.onerror = () => reject(open.error);
      }),
    lock,
  );
  await demo.api('POST', `/api/v1/locks/${lock}/lock`);
  const failed = await tapUnlock();
  assert.equal(failed.ok, 'false');
  assert.equal(failed.pattern, 'IK');
  assert.match(failed.text, /did not accept the key this browser remembers/);
  assert.equal(await demo.lockState(lock), 'locked');
  await section().getByRole('button', { name: 'Forget the lock’s key' }).click();
  await section().getByTestId('phone-key-pinned').filter({ hasText: 'learnt at first unlock' }).waitFor();
  const again = await tapUnlock();
  assert.equal(again.ok, 'true', again.text);
  assert.equal(again.pattern, 'XX');
  assert.equal(await demo.lockState(lock), 'unlocked');
  assert.equal(await section().getByTestId('phone-key-pinned').textContent(), 'remembered');
});

test('a key close to expiry is renewed when the app starts', async () => {
  const [current] = await myKeys();
  // The hub's shortest key (60 s, so a third of its life or less than 10 minutes is left) for
  // this browser's public key, put where the app keeps its key for this lock.
  const short = await demo.api('POST', '/api/v1/phone-keys', { phone_public_key: current.phone_public_key, lock, valid_for_s: 60 });
  await page.evaluate(
    ({ account, lockId, key }) =>
      new Promise((resolve, reject) => {
        const certificate = Uint8Array.from(atob(key.certificate), (c) => c.charCodeAt(0));
        const open = indexedDB.open('latchkey-phone');
        open.onsuccess = () => {
          const tx = open.result.transaction('keys', 'readwrite');
          tx.objectStore('keys').put({
            account,
            lock: lockId,
            serial: key.serial,
            certificate,
            notBefore: key.not_before_s,
            notAfter: key.not_after_s,
            ops: key.ops,
            user: key.user,
          });
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        };
        open.onerror = () => reject(open.error);
      }),
    { account: 'owner', lockId: lock, key: short },
  );
  await page.reload();
  // A new document finds Chromium's emulated adapter gone: put the lock back on the air.
  await air.powerOn();
  await section().waitFor();
  const serial = section().getByTestId('phone-key-serial');
  await page.waitForFunction(
    (s) => Number(document.querySelector('[data-testid="phone-key-serial"]')?.getAttribute('data-serial')) > s,
    short.serial,
  );
  const renewed = Number(await serial.getAttribute('data-serial'));
  const keys = await myKeys();
  const fresh = keys.find((k) => k.serial === renewed);
  assert.ok(fresh, `key #${renewed} is at the hub`);
  assert.equal(fresh.phone_public_key, current.phone_public_key);
  assert.ok(fresh.not_after_s - Date.now() / 1000 > 86000, 'renewed for a day');
  // Exactly one renewal, although the app's start and the lock page both looked.
  assert.equal(keys.filter((k) => k.serial > short.serial).length, 1);
  // The renewed key opens the door (the pinned lock key is kept: IK).
  await demo.api('POST', `/api/v1/locks/${lock}/lock`);
  const tap = await tapUnlock();
  assert.equal(tap.ok, 'true', tap.text);
  assert.equal(tap.pattern, 'IK');
});

test('with the hub out of reach, the login screen offers the door and the key opens it', async () => {
  // Every API call fails as if the hub were down; the lock itself keeps running.
  await page.route('**/api/**', (route) => route.abort('connectionrefused'));
  try {
    await page.reload();
    await air.powerOn();
    const doors = page.getByTestId('door-keys');
    await doors.waitFor();
    await demo.api('POST', `/api/v1/locks/${lock}/lock`);
    const name = demo.lockNames[lock];
    await doors.getByRole('button', { name: `Unlock ${name} here` }).click();
    const answer = doors.locator('[data-testid="phone-result"][data-answer="1"]');
    await answer.waitFor();
    assert.equal(await answer.getAttribute('data-ok'), 'true', await answer.textContent());
    assert.equal(await answer.getAttribute('data-pattern'), 'IK');
    assert.equal(await demo.lockState(lock), 'unlocked');
  } finally {
    await page.unroute('**/api/**');
  }
  // The hub is back: the session cookie still holds.
  await page.reload();
  await air.powerOn();
  await openLockPage();
  await section().getByTestId('phone-key-serial').waitFor();
});

test('a revoked key is refused at the door, in plain words', async () => {
  const serial = Number(await section().getByTestId('phone-key-serial').getAttribute('data-serial'));
  await demo.api('DELETE', `/api/v1/phone-keys/${serial}`);
  // The hub pushes the list to the connected lock at once; allow it a moment to apply.
  await new Promise((r) => setTimeout(r, 300));
  await demo.api('POST', `/api/v1/locks/${lock}/lock`);
  const tap = await tapUnlock();
  assert.equal(tap.ok, 'false');
  assert.equal(tap.text, 'This phone key was revoked.');
  assert.equal(await demo.lockState(lock), 'locked');
  // A revoked key is forgotten: the page offers to enroll again.
  await section().getByRole('button', { name: 'Use this browser as a key' }).waitFor();
  assert.deepEqual(page.problems, []);
});

test('logging out revokes and forgets this browser\'s keys', async () => {
  await section().getByRole('button', { name: 'Use this browser as a key' }).click();
  const serial = Number(await section().getByTestId('phone-key-serial').getAttribute('data-serial'));
  await page.getByRole('navigation').getByRole('button', { name: 'Log out' }).click();
  await page.getByLabel('Username').waitFor();
  const key = (await myKeys()).find((k) => k.serial === serial);
  assert.equal(key.revoked, true);
  const held = await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('latchkey-phone');
        open.onsuccess = () => {
          const all = open.result.transaction('keys').objectStore('keys').getAll();
          all.onsuccess = () => resolve(all.result.length);
          all.onerror = () => reject(all.error);
        };
        open.onerror = () => reject(open.error);
      }),
  );
  assert.equal(held, 0);
  await page.reload();
  await page.getByLabel('Username').waitFor();
  assert.equal(await page.getByTestId('door-keys').count(), 0);
});

test('without Web Bluetooth the page says so and offers the remote unlock', async () => {
  const other = await openApp(browser, demo);
  try {
    await other.context.addInitScript(() => {
      delete Navigator.prototype.bluetooth;
      delete navigator.bluetooth;
    });
    await other.page.reload();
    await logIn(other.page, 'owner', OWNER_PASSWORD);
    await other.page.goto(`/#/locks/${encodeURIComponent(lock)}`);
    const box = other.page.getByTestId('phone-key');
    await box.getByTestId('no-bluetooth').waitFor();
    assert.equal(
      (await box.getByTestId('no-bluetooth').textContent()).trim(),
      'This browser cannot talk Bluetooth; unlock through the hub instead.',
    );
    assert.equal(await box.getByRole('button', { name: 'Unlock here' }).count(), 0);
    assert.equal(await box.getByRole('button', { name: 'Use this browser as a key' }).count(), 0);
    await demo.api('POST', `/api/v1/locks/${lock}/lock`);
    await box.getByRole('button', { name: 'Unlock through the hub' }).click();
    await lockCard(other.page, lock).getByTestId('lock-state').filter({ hasText: /^unlocked$/ }).waitFor();
    assert.equal(await demo.lockState(lock), 'unlocked');
    assert.deepEqual(other.page.problems, []);
  } finally {
    await other.context.close();
  }
});
