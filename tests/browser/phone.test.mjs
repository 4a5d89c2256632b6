// A phone-sized screen (375 x 667, touch): nothing scrolls sideways, the big buttons are inside
// the screen and large enough to tap, and tapping Unlock works.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Demo, OWNER_PASSWORD, launchBrowser, lockCard, logIn, openApp } from './harness.mjs';

const WIDTH = 375;
const demo = new Demo(2);
let browser;
let context;
let page;

before(async () => {
  await demo.start();
  browser = await launchBrowser();
  ({ context, page } = await openApp(browser, demo, { viewport: { width: WIDTH, height: 667 }, phone: true }));
});

after(async () => {
  await context?.close();
  await browser?.close();
  await demo.stop();
});

async function assertNoSidewaysScroll(what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${what}: the page is ${scroll}px wide on a ${client}px screen`);
}

// Inside the screen horizontally and at least `min` px in both directions (a fingertip).
async function assertTappable(locator, what, min = 40) {
  await locator.scrollIntoViewIfNeeded();
  const box = await locator.boundingBox();
  assert.ok(box, `${what} is rendered`);
  assert.ok(box.x >= 0 && box.x + box.width <= WIDTH + 0.5, `${what} is inside the screen: ${JSON.stringify(box)}`);
  assert.ok(box.height >= min && box.width >= min, `${what} is big enough to tap: ${JSON.stringify(box)}`);
}

test('the login screen fits the phone', async () => {
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await assertNoSidewaysScroll('login');
  await assertTappable(page.getByRole('button', { name: 'Log in' }), 'Log in');
  await logIn(page, 'owner', OWNER_PASSWORD);
});

test('the home screen fits the phone and its buttons can be tapped', async () => {
  const [id] = demo.lockIds;
  await demo.api('POST', `/api/v1/locks/${id}/lock`);
  await page.locator('[data-testid="lock-card"]').nth(1).waitFor();
  await assertNoSidewaysScroll('home');
  const card = lockCard(page, id);
  for (const name of ['Lock', 'Unlock']) {
    await assertTappable(card.getByRole('button', { name, exact: true }), name);
  }
  await card.getByTestId('lock-state').filter({ hasText: /^locked$/ }).waitFor();
  await card.getByRole('button', { name: 'Unlock', exact: true }).tap();
  await card.getByTestId('lock-state').filter({ hasText: /^unlocked$/ }).waitFor();
  assert.equal(await demo.lockState(id), 'unlocked');
  assert.ok(await page.getByRole('navigation').getByRole('button', { name: 'Log out' }).isVisible());
});

test('the lock page and its virtual keypad fit the phone', async () => {
  const [id] = demo.lockIds;
  await lockCard(page, id).getByRole('link', { name: 'Open' }).tap();
  const door = page.getByTestId('virtual-door');
  await door.waitFor();
  await assertNoSidewaysScroll('lock page');
  for (const key of ['1', '5', '0', '#']) {
    await assertTappable(door.getByRole('button', { name: `Key ${key}`, exact: true }), `Key ${key}`);
  }
  await page.getByRole('navigation').getByRole('link', { name: 'History' }).tap();
  await page.getByTestId('history').waitFor();
  await assertNoSidewaysScroll('history');
  assert.deepEqual(page.problems, []);
});
