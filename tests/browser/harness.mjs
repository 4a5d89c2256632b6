// What every browser test needs: a real `latchkey demo` (the hub and simulated locks paired over
// the real link) in its own temporary folder on a free loopback port, a headless Debian chromium
// driven by playwright-core, the owner's API token for setting things up, and the app's login.
//
// The binary comes from LATCHKEY_BINARY (CTest sets it), else build/src/cli/latchkey.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const BINARY = process.env.LATCHKEY_BINARY ?? join(here, '../../build/src/cli/latchkey');
export const CHROMIUM = process.env.LATCHKEY_CHROMIUM ?? '/usr/bin/chromium';
/** The switches every test's Chromium runs with: headless in a container, nothing fetched from outside. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const OWNER_PASSWORD = 'correct-horse-battery';
// Generous: the machine builds and tests with two cores shared by everything else.
export const TIMEOUT = 20_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function bindable(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback port below the kernel's ephemeral range: a port the kernel hands out (port 0)
 * goes back to that range, where another process's next connection may take it before the demo
 * binds it.
 */
async function freePort() {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the default range
  }
  const top = Math.max(11000, low);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10000 + Math.floor(Math.random() * (top - 10000));
    if (await bindable(port)) return port;
  }
  throw new Error('no free loopback port');
}

export class Demo {
  constructor(locks) {
    this.locks = locks;
    this.dir = mkdtempSync(join(tmpdir(), 'latchkey-browser-'));
    this.process = null;
    this.port = 0;
    this.token = '';
    this.lockIds = [];
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the demo and waits until /healthz answers and every lock is online. */
  async start() {
    // Another process may still take the port between the pick and the demo's bind: try again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce();
      } catch (e) {
        if (attempt >= 5 || !/Address already in use/.test(String(e?.message))) throw e;
        await this.exited;
      }
    }
  }

  async startOnce() {
    this.port = await freePort();
    const log = openSync(join(this.dir, 'demo.log'), 'a');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LATCHKEY_')));
    env.LATCHKEY_OWNER_PASSWORD = OWNER_PASSWORD;
    this.process = spawn(
      BINARY,
      ['demo', '--data', join(this.dir, 'data'), '--http', `127.0.0.1:${this.port}`, '--locks', String(this.locks), '--motor-ms', '0'],
      { env, stdio: ['ignore', log, log] },
    );
    closeSync(log);
    this.exited = new Promise((resolve) => this.process.once('exit', resolve));
    let exited = false;
    let failed = null;
    this.exited.then(() => (exited = true));
    this.process.once('error', (e) => (failed = e));
    const deadline = Date.now() + 30_000;
    while (true) {
      if (failed) throw new Error(`cannot start ${BINARY}: ${failed.message}`);
      if (exited) throw new Error(`the demo exited at start:\n${this.log()}`);
      if (Date.now() > deadline) throw new Error(`the demo did not come up in 30 s:\n${this.log()}`);
      try {
        if (!this.token) {
          const r = await fetch(`${this.url}/api/v1/auth/login`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ username: 'owner', password: OWNER_PASSWORD }),
          });
          if (r.ok) this.token = (await r.json()).token;
        }
        if (this.token) {
          const locks = await this.api('GET', '/api/v1/locks');
          if (locks.length === this.locks && locks.every((l) => l.online)) {
            // The demo's order: lock-1, lock-2, ...
            this.lockIds = [];
            for (let i = 1; i <= this.locks; i++) {
              this.lockIds.push(readFileSync(join(this.dir, 'data', `lock-${i}`, 'lock-id'), 'utf8').trim());
            }
            this.lockNames = Object.fromEntries(locks.map((l) => [l.id, l.name]));
            return;
          }
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
  }

  /** A call as the owner (bearer token); the JSON answer, or an Error with the status and body. */
  async api(method, path, body) {
    const r = await fetch(`${this.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** The bolt as the simulated lock itself reports it (its own sim control, not the hub's mirror). */
  async lockState(id) {
    const lock = await this.api('GET', `/api/v1/locks/${id}`);
    const r = await fetch(`${lock.sim_control_url}/state`, { headers: { 'X-Sim-Secret': this.simSecret(id) } });
    return (await r.json()).lock_state;
  }

  /** This run's sim-control secret of lock `id` (DATA/lock-N/sim-control.secret). */
  simSecret(id) {
    for (let n = 1; n <= this.locks; n++) {
      const dir = join(this.dir, 'data', `lock-${n}`);
      try {
        if (readFileSync(join(dir, 'lock-id'), 'utf8').trim() === id) return readFileSync(join(dir, 'sim-control.secret'), 'utf8').trim();
      } catch {
        // not this one
      }
    }
    throw new Error(`no sim-control secret for ${id}`);
  }

  log() {
    try {
      return readFileSync(join(this.dir, 'demo.log'), 'utf8');
    } catch {
      return '(no log)';
    }
  }

  async stop() {
    // A process that never started has no pid and never exits.
    if (this.process?.pid && this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGTERM');
      const timer = setTimeout(() => this.process.kill('SIGKILL'), 8_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Debian's chromium, headless; `args`: more command-line switches (a test's features). */
export async function launchBrowser(args = []) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
  });
}

/**
 * A fresh browser context and page on the demo. `notifications`: the page sees
 * Notification.permission === "granted" and every `new Notification(title, {body})` is recorded
 * in window.__notifications (the real API cannot be clicked through in a headless test).
 * `phone`: a touch screen that reports itself as mobile, with `viewport` as its size.
 * `lateFrames`: animation frames never come, as on a busy phone or a background tab, so
 * Preact's effects run only after its 100 ms fallback, well after the hub's first answers.
 */
export async function openApp(
  browser,
  demo,
  { viewport = { width: 1280, height: 800 }, notifications = false, phone = false, lateFrames = false } = {},
) {
  const context = await browser.newContext({
    viewport,
    baseURL: demo.url,
    ...(phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  context.setDefaultTimeout(TIMEOUT);
  if (notifications) {
    await context.addInitScript(() => {
      window.__notifications = [];
      class RecordingNotification {
        static permission = 'granted';
        static requestPermission() {
          return Promise.resolve('granted');
        }
        constructor(title, options = {}) {
          window.__notifications.push({ title, body: options.body ?? '' });
        }
        close() {}
      }
      Object.defineProperty(window, 'Notification', { value: RecordingNotification, configurable: true, writable: true });
    });
  }
  if (lateFrames) {
    await context.addInitScript(() => {
      window.requestAnimationFrame = () => 0;
    });
  }
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // A CSP violation is a bug of the app or of the hub's headers. (A 401 from /me before the
    // login is how the app learns to show the login screen: failed loads are not counted.)
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.problems = problems;
  const trail = [];
  page.on('requestfailed', (r) => trail.push(`failed ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on('console', (m) => trail.push(`console ${m.type()}: ${m.text()}`));
  await page.goto('/');
  // The app has started once it shows the login form or its navigation; if it does not, say
  // everything about the page before failing.
  const started = page.getByLabel('Username').or(page.getByRole('navigation')).first();
  try {
    await started.waitFor({ timeout: 10_000 });
  } catch (e) {
    console.error(`the app did not start at ${page.url()}:\n${(await page.content()).slice(0, 2000)}\n${trail.join('\n')}`);
    console.error(`demo log:\n${demo.log().split('\n').slice(-40).join('\n')}`);
    throw e;
  }
  return { context, page };
}

/** Logs in through the login screen and waits for the home screen. */
export async function logIn(page, username, password) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation').getByRole('button', { name: 'Log out' }).waitFor();
}

/** The home screen's card of a lock. */
export function lockCard(page, id) {
  return page.locator(`[data-testid="lock-card"][data-lock-id="${id}"]`);
}
