// Logging in, the home screen of locks, unlocking and locking from it with the state changing on
// the card, and logging out: the app's first minute, in a real browser against a real demo.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Demo, OWNER_PASSWORD, launchBrowser, lockCard, logIn, openApp } from './harness.mjs';

const demo = new Demo(2);
let browser;

before(async () => {
  await demo.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo.stop();
});

test('a wrong password is refused with a message, the right one opens the home screen', async () => {
  const { context, page } = await openApp(browser, demo);
  try {
    await page.getByLabel('Username').fill('owner');
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /\S/, 'the alert says something');
    assert.equal(await page.locator('[data-testid="lock-card"]').count(), 0);

    await logIn(page, 'owner', OWNER_PASSWORD);
    await page.locator('[data-testid="lock-card"]').nth(1).waitFor();
    assert.equal(await page.locator('[data-testid="lock-card"]').count(), 2);
    const nav = page.getByRole('navigation');
    for (const name of ['Locks', 'History', 'Accounts', 'Webhooks']) {
      assert.ok(await nav.getByRole('link', { name }).isVisible(), `the owner's navigation has ${name}`);
    }
    for (const id of demo.lockIds) {
      const card = lockCard(page, id);
      assert.equal(await card.getAttribute('aria-label'), demo.lockNames[id]);
      assert.equal(await card.getByTestId('online').innerText(), 'online');
      assert.match(await card.getByTestId('battery').innerText(), /^\d+%$/);
      assert.equal(await card.getByTestId('mode').innerText(), 'normal');
      assert.match(await card.getByTestId('door-state').innerText(), /\S/);
      assert.ok(await card.getByRole('link', { name: 'Open' }).isVisible());
    }
    assert.deepEqual(page.problems, []);
  } finally {
    await context.close();
  }
});

test('Unlock and Lock on a card move the bolt and the card shows it', async () => {
  const [id] = demo.lockIds;
  await demo.api('POST', `/api/v1/locks/${id}/lock`);
  const { context, page } = await openApp(browser, demo);
  try {
    await logIn(page, 'owner', OWNER_PASSWORD);
    const card = lockCard(page, id);
    const state = card.getByTestId('lock-state');
    await state.filter({ hasText: /^locked$/ }).waitFor();

    await card.getByRole('button', { name: 'Unlock', exact: true }).click();
    await state.filter({ hasText: /^unlocked$/ }).waitFor();
    assert.equal(await demo.lockState(id), 'unlocked', 'the lock itself unlocked');

    await card.getByRole('button', { name: 'Lock', exact: true }).click();
    await state.filter({ hasText: /^locked$/ }).waitFor();
    assert.equal(await demo.lockState(id), 'locked');

    // A change made elsewhere (here the API) reaches the open app over the live stream.
    await demo.api('POST', `/api/v1/locks/${id}/unlock`);
    await state.filter({ hasText: /^unlocked$/ }).waitFor();
    assert.deepEqual(page.problems, []);
  } finally {
    await context.close();
  }
});

test('the session survives a reload and Log out ends it', async () => {
  const { context, page } = await openApp(browser, demo);
  try {
    await logIn(page, 'owner', OWNER_PASSWORD);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'lk_session');
    assert.ok(session, 'the app uses the cookie session');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie.includes('lk_session')), false, 'scripts cannot read the token');

    await page.reload();
    await page.locator('[data-testid="lock-card"]').first().waitFor();
    // A write after the reload: the app found its CSRF token again in the lk_csrf cookie.
    const [id] = demo.lockIds;
    await lockCard(page, id).getByRole('button', { name: 'Lock', exact: true }).click();
    await lockCard(page, id).getByTestId('lock-state').filter({ hasText: /^locked$/ }).waitFor();

    await page.getByRole('navigation').getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    assert.equal((await context.cookies()).some((c) => c.name === 'lk_session'), false, 'the cookie is gone');
    await page.reload();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    assert.equal(await page.locator('[data-testid="lock-card"]').count(), 0);
  } finally {
    await context.close();
  }
});

// Found as a rare stall: the app subscribed to its state in an effect, which Preact runs after
// the next frame, so an answer to /me that came first was never rendered and the page stayed on
// "Loading". Without frames the effect comes 100 ms late, after the answer, every time.
test('the app starts, and logs out, when its first answers come before the first frame', async () => {
  const { context, page } = await openApp(browser, demo, { lateFrames: true });
  try {
    await logIn(page, 'owner', OWNER_PASSWORD);
    await page.reload();
    await page.locator('[data-testid="lock-card"]').first().waitFor();
    await page.getByRole('navigation').getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    assert.deepEqual(page.problems, []);
  } finally {
    await context.close();
  }
});
