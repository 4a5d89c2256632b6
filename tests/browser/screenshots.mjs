// Screenshots of the app's main screens for the README, into docs/screenshots/*.png. Run by hand
// (`make screenshots`, or `node tests/browser/screenshots.mjs` after a build), not in CI: it
// starts a demo with two locks, gives it a few people and some history, and photographs the
// login, the home screen (desktop and phone), a lock's people, virtual door, settings and phone
// key (an unlock over Chromium's emulated Bluetooth), the history across locks, and the login
// screen's door keys on a phone.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { Demo, OWNER_PASSWORD, launchBrowser, lockCard, logIn, openApp } from './harness.mjs';
import { EmulatedLock } from './phone_bridge.mjs';

const out = join(dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');
mkdirSync(out, { recursive: true });

const demo = new Demo(2);
await demo.start();
// Web Bluetooth on, as in Chrome on Android, for the phone key.
const browser = await launchBrowser(['--enable-features=WebBluetooth']);
try {
  const [front, back] = demo.lockIds;
  const L = (id) => `/api/v1/locks/${id}`;

  // A household: a front and a back door, two people with a PIN and a card, a cleaner on a weekly
  // schedule; some history.
  await demo.api('PATCH', `${L(front)}/settings`, { name: 'Front door' });
  await demo.api('PATCH', `${L(back)}/settings`, { name: 'Back door' });
  const alice = await demo.api('POST', `${L(front)}/credentials`, { type: 'pin', data: '482915' });
  await demo.api('PATCH', `${L(front)}/users/${alice.user}`, { name: 'Alice' });
  const bob = await demo.api('POST', `${L(front)}/credentials`, { type: 'rfid', data: '04A1B2C3D4E5F6' });
  await demo.api('PATCH', `${L(front)}/users/${bob.user}`, { name: 'Bob' });
  const cleaner = await demo.api('POST', `${L(front)}/credentials`, {
    type: 'pin',
    data: '730164',
    user_type: 'week_day_schedule',
  });
  await demo.api('PATCH', `${L(front)}/users/${cleaner.user}`, { name: 'Cleaner' });
  await demo.api('POST', `${L(front)}/users/${cleaner.user}/schedules`, {
    kind: 'week_day',
    days: ['tue'],
    start: '09:00',
    end: '12:00',
  });
  await demo.api('POST', `${L(front)}/sim/keypad`, { keys: '482915#' });
  await demo.api('POST', `${L(front)}/sim/door`, { state: 'open' });
  await demo.api('POST', `${L(front)}/sim/door`, { state: 'closed' });
  await demo.api('POST', `${L(front)}/lock`);
  await demo.api('POST', `${L(front)}/sim/rfid`, { uid: '04A1B2C3D4E5F6' });
  await demo.api('POST', `${L(front)}/sim/keypad`, { keys: '111111#' });
  await demo.api('POST', `${L(back)}/sim/battery`, { percent: 12 });
  await demo.api('POST', `${L(back)}/lock`);
  await demo.api('POST', `${L(front)}/lock`);

  const shot = async (page, name, target) => {
    await page.waitForTimeout(300); // let transitions settle: a picture, not a test
    await (target ?? page).screenshot({ path: join(out, `${name}.png`), ...(target ? {} : { fullPage: false }) });
    console.log(`docs/screenshots/${name}.png`);
  };

  // The front door on the (emulated) air, bridged to its phone listener.
  const air = new EmulatedLock(browser, readFileSync(join(demo.dir, 'data', 'lock-1', 'phone.addr'), 'utf8').trim());
  await air.start();

  // Desktop.
  {
    const { context, page } = await openApp(browser, demo, { viewport: { width: 1280, height: 800 } });
    await air.answerChooser(page);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await shot(page, 'login');
    await logIn(page, 'owner', OWNER_PASSWORD);
    await page.locator('[data-testid="lock-card"]').nth(1).waitFor();
    await shot(page, 'home');

    await lockCard(page, front).getByRole('link', { name: 'Open' }).click();
    await page.getByTestId('user-row').nth(2).waitFor();
    // Tall enough for the whole lock page: element pictures then need no scrolling, which would
    // slide the sticky top bar over them.
    await page.setViewportSize({ width: 1280, height: 2400 });
    await page.getByTestId('virtual-door').getByRole('button', { name: 'Present card' }).click();
    await page.getByTestId('sim-result').filter({ hasText: /^granted$/ }).waitFor();
    const section = (name) =>
      page.locator('section').filter({ has: page.getByRole('heading', { name, exact: true, level: 2 }) }).last();
    await shot(page, 'people', section('People'));
    await shot(page, 'virtual-door', page.getByTestId('virtual-door'));
    await shot(page, 'settings', section('Settings'));

    const phoneKey = page.getByTestId('phone-key');
    await phoneKey.getByRole('button', { name: 'Use this browser as a key' }).click();
    await phoneKey.getByTestId('phone-key-serial').waitFor();
    await demo.api('POST', `${L(front)}/lock`);
    await phoneKey.getByRole('button', { name: 'Unlock here' }).click();
    await phoneKey.getByTestId('phone-result').waitFor();
    await shot(page, 'phone-key', phoneKey);

    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('navigation').getByRole('link', { name: 'History' }).click();
    await page.getByTestId('event').nth(5).waitFor();
    await shot(page, 'history');
    await context.close();
  }

  // Phone.
  {
    const { context, page } = await openApp(browser, demo, { viewport: { width: 375, height: 740 }, phone: true });
    await logIn(page, 'owner', OWNER_PASSWORD);
    await page.locator('[data-testid="lock-card"]').nth(1).waitFor();
    await shot(page, 'home-phone');

    // The hub out of reach: the login screen offers the door this phone is a key for.
    await lockCard(page, front).getByRole('link', { name: 'Open' }).tap();
    await page.getByTestId('phone-key').getByRole('button', { name: 'Use this browser as a key' }).tap();
    await page.getByTestId('phone-key-serial').waitFor();
    await page.route('**/api/**', (route) => route.abort('connectionrefused'));
    await page.reload();
    await page.getByTestId('door-keys').waitFor();
    await shot(page, 'door-keys-phone');
    await context.close();
  }
  await air.stop();
} finally {
  await browser.close();
  await demo.stop();
}
