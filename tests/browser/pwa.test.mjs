// Installable: the manifest is valid and its icons load, and the service worker registers and
// keeps the app's shell, so the app opens with the network gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Demo, launchBrowser, openApp } from './harness.mjs';

const demo = new Demo(1);
let browser;
let context;
let page;

before(async () => {
  await demo.start();
  browser = await launchBrowser();
  ({ context, page } = await openApp(browser, demo));
});

after(async () => {
  await context?.close();
  await browser?.close();
  await demo.stop();
});

// The width and height in a PNG's IHDR chunk.
function pngSize(bytes) {
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG file');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test('the page names a valid web manifest whose icons load', async () => {
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  assert.ok(href, 'a <link rel="manifest">');
  const response = await page.request.get(href);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['content-type'], 'application/manifest+json');
  const manifest = await response.json();
  assert.ok(manifest.name && manifest.short_name, 'name and short_name');
  assert.ok(['standalone', 'fullscreen', 'minimal-ui'].includes(manifest.display), `display: ${manifest.display}`);
  assert.ok(manifest.start_url, 'start_url');
  const start = new URL(manifest.start_url, demo.url);
  assert.equal(start.origin, demo.url, 'the start page is the hub itself');

  const sizes = new Set();
  for (const icon of manifest.icons) {
    const r = await page.request.get(icon.src);
    assert.equal(r.status(), 200, icon.src);
    assert.equal(r.headers()['content-type'], icon.type, icon.src);
    if (icon.type === 'image/png') {
      const { width, height } = pngSize(await r.body());
      assert.equal(`${width}x${height}`, icon.sizes, `${icon.src} is as big as it says`);
      sizes.add(icon.sizes);
    }
  }
  assert.ok(sizes.has('192x192') && sizes.has('512x512'), 'the 192 and 512 px icons installing needs');
});

test('the service worker registers for the whole app and the shell opens offline', async () => {
  const registration = await page.evaluate(async () => {
    const r = await navigator.serviceWorker.ready;
    return { scope: r.scope, script: r.active?.scriptURL ?? '' };
  });
  assert.equal(registration.scope, `${demo.url}/`);
  assert.equal(registration.script, `${demo.url}/sw.js`);

  // Controlled from the next load on; then without a network the shell still comes up.
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await context.setOffline(true);
  try {
    await page.reload();
    await page.locator('#app *').first().waitFor();
    assert.equal(await page.title(), 'latchkey');
  } finally {
    await context.setOffline(false);
  }
  assert.deepEqual(page.problems, []);
});
