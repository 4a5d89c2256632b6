// Offline guest codes on the lock page (OFFLINE-CODES.md; docs/offline-codes.md): the owner asks
// for a window typed in the LOCK's time zone (Europe/Berlin here, whatever the browser's), sees the
// new code big with its window, copies and shares it, finds it in the list, revokes it (revoked at
// once while the lock is online, "Revocation pending" while its link is cut, then revoked when it
// is back), and clears every code.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Demo, OWNER_PASSWORD, launchBrowser, lockCard, logIn, openApp } from './harness.mjs';

const demo = new Demo(1);
const ZONE = 'Europe/Berlin';
let browser;
let context;
let page;
let id;

before(async () => {
  await demo.start();
  [id] = demo.lockIds;
  await demo.api('PATCH', `/api/v1/locks/${id}/settings`, { timezone: ZONE });
  browser = await launchBrowser();
  ({ context, page } = await openApp(browser, demo));
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: demo.url });
  // A phone's share sheet: recorded instead of shown.
  await context.addInitScript(() => {
    window.__shared = [];
    navigator.share = async (data) => {
      window.__shared.push(data);
    };
  });
  await page.reload();
  await logIn(page, 'owner', OWNER_PASSWORD);
  await lockCard(page, id).getByRole('link', { name: 'Open' }).click();
  await page.waitForURL(`**/#/locks/${id}`);
});

after(async () => {
  await context?.close();
  await browser?.close();
  await demo.stop();
});

const section = () => page.getByTestId('offline-codes');
const row = (name) => section().getByTestId('offline-code-row').filter({ hasText: name });

/** Tomorrow's date in the lock's zone, "YYYY-MM-DD". */
function tomorrowInZone() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date(Date.now() + 86_400_000));
}
/** An instant's wall time in the lock's zone, "HH:MM". */
function wallTime(iso) {
  return new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(iso),
  );
}

async function issue(name, from, until, { oneTime = false } = {}) {
  await section().getByLabel('Code works from').fill(from);
  await section().getByLabel('Code works until').fill(until);
  await section().getByLabel('For whom (optional)').fill(name);
  const once = section().getByLabel('One-time: opens only once');
  if (oneTime) await once.check();
  else await once.uncheck();
  await section().getByRole('button', { name: 'Get offline code' }).click();
  const box = section().getByTestId('offline-code-new');
  await box.filter({ hasText: name }).waitFor();
  return box;
}

async function codes() {
  return demo.api('GET', `/api/v1/locks/${id}/offline-codes`);
}

/** Cuts or restores the demo lock's link to the hub, at the lock's own sim control. */
async function network(connected) {
  const lock = await demo.api('GET', `/api/v1/locks/${id}`);
  const r = await fetch(`${lock.sim_control_url}/sim/network`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Sim-Secret': demo.simSecret(id) },
    body: JSON.stringify({ connected }),
  });
  assert.equal(r.status, 200, await r.text());
  const deadline = Date.now() + 20_000;
  while ((await demo.api('GET', `/api/v1/locks/${id}`)).online !== connected) {
    if (Date.now() > deadline) throw new Error(`the lock did not go ${connected ? 'online' : 'offline'}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('a code for a window in the lock’s time zone is shown big, copied, shared and listed', async () => {
  const day = tomorrowInZone();
  const box = await issue('Cleaner', `${day}T10:20`, `${day}T13:10`, { oneTime: true });

  const digits = await box.getAttribute('data-code');
  assert.match(digits, /^\d{12}$/);
  assert.equal((await box.getByTestId('offline-code-digits').innerText()).trim(), digits.replace(/(\d{4})(?=\d)/g, '$1 '));
  const window = await box.getByTestId('offline-code-window').innerText();
  assert.match(window, /10:00/, 'rounded down to the hour, in lock time (UTC would be 09:00)');
  assert.match(window, /14:00|0?2:00\sPM/, 'rounded up to the hour (in the browser locale\'s style)');
  assert.match(window, new RegExp(ZONE));
  assert.match(window, /opens once/);

  // The hub has it as typed in Berlin time.
  const [code] = await codes();
  assert.equal(code.code, digits);
  assert.equal(code.type, 'one_time');
  assert.equal(code.name, 'Cleaner');
  assert.equal(wallTime(code.starts_at), '10:00');
  assert.equal(wallTime(code.ends_at), '14:00');

  await box.getByRole('button', { name: 'Copy code' }).click();
  await box.getByText('Copied.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), digits);
  await box.getByRole('button', { name: 'Share…' }).click();
  const shared = await page.evaluate(() => window.__shared);
  assert.equal(shared.length, 1);
  assert.ok(shared[0].text.includes(digits.replace(/(\d{4})(?=\d)/g, '$1 ')), shared[0].text);

  await box.getByRole('button', { name: 'Done' }).click();
  await row('Cleaner').waitFor();
  assert.equal(await row('Cleaner').getAttribute('data-status'), 'issued');
  assert.match(await row('Cleaner').innerText(), /Issued/);
  assert.deepEqual(page.problems, []);
});

test('a code that ended or ends before it starts is refused in the page', async () => {
  const day = tomorrowInZone();
  await section().getByLabel('Code works from').fill(`${day}T12:00`);
  await section().getByLabel('Code works until').fill(`${day}T11:00`);
  await section().getByRole('button', { name: 'Get offline code' }).click();
  await section().getByRole('alert').filter({ hasText: 'must start before it ends' }).waitFor();
  assert.equal((await codes()).length, 1, 'nothing issued');
});

test('revoking: revoked at once while the lock is online, pending while it is cut off', async () => {
  await row('Cleaner').getByRole('button', { name: 'Revoke Cleaner' }).click();
  await row('Cleaner').getByText('Revoked: the lock refuses it.').waitFor();
  await section().locator('[data-testid="offline-code-row"][data-status="revoked"]').filter({ hasText: 'Cleaner' }).waitFor();
  assert.equal((await codes()).find((c) => c.name === 'Cleaner').delivered, true);

  const day = tomorrowInZone();
  await issue('Plumber', `${day}T15:00`, `${day}T17:00`);
  await section().getByTestId('offline-code-new').getByRole('button', { name: 'Done' }).click();
  await network(false);
  await row('Plumber').getByRole('button', { name: 'Revoke Plumber' }).click();
  await row('Plumber').getByText(/Revocation pending/).first().waitFor();
  assert.equal(await row('Plumber').getAttribute('data-status'), 'revocation_pending');
  assert.match(await row('Plumber').getByTestId('offline-code-status').innerText(), /Revocation pending/);

  // The lock comes back: the hub sends the list, and the page sees the status change by itself.
  await network(true);
  await section().locator('[data-testid="offline-code-row"][data-status="revoked"]').filter({ hasText: 'Plumber' }).waitFor();
  assert.deepEqual(page.problems, []);
});

test('clear all codes: a clear code, and every earlier code cleared', async () => {
  const day = tomorrowInZone();
  await issue('Guest', `${day}T18:00`, `${day}T20:00`);
  await section().getByTestId('offline-code-new').getByRole('button', { name: 'Done' }).click();
  await section().getByRole('button', { name: 'Clear all codes' }).click();
  await section().getByRole('button', { name: 'Yes, end every code issued so far' }).click();
  const box = section().getByTestId('offline-code-new');
  await box.getByText('The lock already refuses every earlier code.').waitFor();
  assert.match(await box.getAttribute('data-code'), /^\d{12}$/);
  await section().locator('[data-testid="offline-code-row"][data-status="cleared"]').filter({ hasText: 'Guest' }).waitFor();
  const all = await codes();
  assert.equal(all.find((c) => c.name === 'Guest').status, 'cleared');
  assert.equal(all.find((c) => c.type === 'clear').status, 'issued');
  assert.deepEqual(page.problems, []);
});
