// Accounts for family and guests: the owner creates a guest account for one of two locks in the
// Accounts screen; the guest logs in, sees only that lock, can operate it, and has no owner screens.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Demo, OWNER_PASSWORD, launchBrowser, lockCard, logIn, openApp } from './harness.mjs';

const demo = new Demo(2);
let browser;
const GUEST = 'cleaner';
const GUEST_PASSWORD = 'tuesday-mornings';

before(async () => {
  await demo.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo.stop();
});

test('the owner creates a guest account for one lock', async () => {
  const [first, second] = demo.lockIds;
  const { context, page } = await openApp(browser, demo);
  try {
    await logIn(page, 'owner', OWNER_PASSWORD);
    await page.getByRole('navigation').getByRole('link', { name: 'Accounts' }).click();
    await page.getByLabel('Username').fill(GUEST);
    await page.getByLabel('Password', { exact: true }).fill(GUEST_PASSWORD);
    await page.getByLabel('Role').selectOption('guest');
    await page.getByLabel(demo.lockNames[first], { exact: true }).check();
    assert.equal(await page.getByLabel(demo.lockNames[second], { exact: true }).isChecked(), false);
    await page.getByLabel('Valid until').fill('2099-06-15T12:00');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByTestId('account-row').filter({ hasText: GUEST }).waitFor();

    const account = await demo.api('GET', `/api/v1/accounts/${GUEST}`);
    assert.equal(account.role, 'guest');
    assert.deepEqual(account.locks, [first]);
    assert.ok(account.valid_until?.startsWith('2099-06-15'), JSON.stringify(account));
  } finally {
    await context.close();
  }
});

test('the guest sees only its lock and can operate it', async () => {
  const [first, second] = demo.lockIds;
  await demo.api('POST', `/api/v1/locks/${first}/lock`);
  const { context, page } = await openApp(browser, demo);
  try {
    await logIn(page, GUEST, GUEST_PASSWORD);
    await lockCard(page, first).waitFor();
    assert.equal(await page.getByTestId('lock-card').count(), 1);
    assert.equal(await lockCard(page, second).count(), 0);
    assert.ok(!(await page.locator('body').innerText()).includes(demo.lockNames[second]), 'not even its name');

    const nav = page.getByRole('navigation');
    assert.equal(await nav.getByRole('link', { name: 'Accounts' }).count(), 0);
    assert.equal(await nav.getByRole('link', { name: 'Webhooks' }).count(), 0);

    await lockCard(page, first).getByRole('button', { name: 'Unlock', exact: true }).click();
    await lockCard(page, first).getByTestId('lock-state').filter({ hasText: /^unlocked$/ }).waitFor();
    assert.equal(await demo.lockState(first), 'unlocked');

    // The other lock's page, typed by hand, is not there for this account.
    await page.goto(`/#/locks/${second}`);
    await page.getByRole('heading', { name: 'Lock not found' }).waitFor();
    assert.deepEqual(page.problems, []);
  } finally {
    await context.close();
  }
});
