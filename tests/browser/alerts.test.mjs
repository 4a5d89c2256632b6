// Alarms reach the person live: wrong codes typed on the virtual keypad until the lock locks the
// keypad out raise a "Wrong-code lockout" toast and, with notifications permitted, a browser
// notification; a tamper alarm too. Alarms from a lock are seen by a guest who may use it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Demo, OWNER_PASSWORD, launchBrowser, lockCard, logIn, openApp } from './harness.mjs';

const demo = new Demo(1);
let browser;
let context;
let page;

before(async () => {
  await demo.start();
  browser = await launchBrowser();
  ({ context, page } = await openApp(browser, demo, { notifications: true }));
  await logIn(page, 'owner', OWNER_PASSWORD);
});

after(async () => {
  await context?.close();
  await browser?.close();
  await demo.stop();
});

test('wrong codes up to the limit raise a lockout alert and a browser notification', async () => {
  const [id] = demo.lockIds;
  const limit = (await demo.api('GET', `/api/v1/locks/${id}`)).settings.wrong_code_limit;
  assert.ok(limit >= 1 && limit <= 10, `a wrong-code limit to type through (${limit})`);
  await lockCard(page, id).getByRole('link', { name: 'Open' }).click();
  const door = page.getByTestId('virtual-door');
  await door.waitFor();

  for (let attempt = 1; attempt <= limit; attempt++) {
    for (const key of [...'13579' + String(attempt % 10), '#']) {
      await door.getByRole('button', { name: `Key ${key}`, exact: true }).click();
    }
    await page.getByTestId('sim-result').filter({ hasText: /^denied: (invalid_credential|lockout)$/ }).waitFor();
    // The next attempt only after this one's answer, so each is counted once.
    await page.waitForFunction(
      () => !document.querySelector('[data-testid="virtual-door"] button[aria-label="Key #"]')?.hasAttribute('disabled'),
    );
  }

  const alert = page.locator('[data-testid="alert"][data-kind="wrong_code_limit"]');
  await alert.waitFor();
  assert.match(await alert.innerText(), new RegExp(`Wrong-code lockout at ${demo.lockNames[id]}`));
  const region = page.locator('[role="status"], [aria-live]').filter({ has: alert });
  assert.ok((await region.count()) >= 1, 'the alert is in a live region, so screen readers announce it');

  await page.waitForFunction(() => window.__notifications.length > 0);
  const notes = await page.evaluate(() => window.__notifications);
  assert.ok(
    notes.some((n) => /Wrong-code lockout/.test(n.title)),
    `a notification for the lockout: ${JSON.stringify(notes)}`,
  );

  // During the lockout even a code is refused with the reason shown.
  for (const key of [...'000000', '#']) await door.getByRole('button', { name: `Key ${key}`, exact: true }).click();
  await page.getByTestId('sim-result').filter({ hasText: /^denied: lockout$/ }).waitFor();
});

test('a tamper alarm appears live too', async () => {
  const door = page.getByTestId('virtual-door');
  await door.getByRole('button', { name: 'Tamper', exact: true }).click();
  const alert = page.locator('[data-testid="alert"][data-kind="tamper"]');
  await alert.waitFor();
  assert.match(await alert.innerText(), /Tamper/);
  await page.waitForFunction(() => window.__notifications.some((n) => /Tamper/.test(n.title)));
  assert.deepEqual(page.problems, []);
});
