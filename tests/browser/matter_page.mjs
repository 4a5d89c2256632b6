// The web app's Integrations page against a hub running the Matter bridge: run by
// integrations/matter/test/run-in-netns.sh inside its namespace (the bridge needs mDNS on a
// private loopback), after the test controller commissioned the bridge and kept its fabric.
//
//   node tests/browser/matter_page.mjs --url http://127.0.0.1:18080 --password PASSWORD
//
// Checks that the page shows the QR code of the payload the API gives, the pairing code and the
// controller's fabric, and opens a new commissioning window. Exit status 0 only if all hold.
import assert from 'node:assert/strict';
import { launchBrowser, logIn, openApp } from './harness.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`missing ${name}`);
  return process.argv[i + 1];
};
const url = arg('--url');
const password = arg('--password');

async function api(token, method, path) {
  const r = await fetch(`${url}${path}`, { method, headers: { Authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json() };
}

let browser;
let failures = 0;
async function check(what, fn) {
  try {
    await fn();
    console.log(`[ check ] ok   web app: ${what}`);
  } catch (e) {
    failures++;
    console.log(`[ check ] FAIL web app: ${what}: ${e instanceof Error ? e.message : e}`);
  }
}

try {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'owner', password }),
  });
  const { token } = await login.json();
  const status = (await api(token, 'GET', '/api/v1/integrations/matter')).body;
  browser = await launchBrowser();
  const { context, page } = await openApp(browser, { url, log: () => '' });
  await logIn(page, 'owner', password);
  await page.getByRole('navigation').getByRole('link', { name: 'Integrations' }).click();
  await page.getByRole('heading', { name: 'Integrations' }).waitFor();

  await check('the QR code is the bridge\'s payload', async () => {
    const qr = page.locator('svg.qr');
    await qr.waitFor();
    assert.match(status.qr_payload, /^MT:/);
    assert.equal(await qr.getAttribute('data-payload'), status.qr_payload);
    assert.ok((await qr.locator('rect').count()) > 100, 'the code has its cells');
  });
  await check('the pairing code is shown', async () => {
    assert.equal((await page.locator('.pairing-code').textContent())?.trim(), status.pairing_code);
  });
  await check('the controller\'s fabric is listed', async () => {
    assert.ok(status.commissioned_fabrics.length >= 1, JSON.stringify(status));
    const label = status.commissioned_fabrics[0].label;
    await page.locator('ul.fabrics li').filter({ hasText: label }).first().waitFor();
  });
  await check('"Add to another ecosystem" opens a commissioning window', async () => {
    await page.getByRole('button', { name: 'Add to another ecosystem' }).click();
    await page.locator('svg.qr').waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'no error shown');
  });
  assert.deepEqual(page.problems, []);
  await context.close();
} catch (e) {
  failures++;
  console.log(`[ check ] FAIL web app: ${e instanceof Error ? e.stack : e}`);
} finally {
  await browser?.close();
}
process.exit(failures === 0 ? 0 : 1);
