// A stand-in for Chromium's push service on loopback, so that PushManager.subscribe() works in a
// test without the internet. Chromium (desktop) subscribes through Google's GCM: a device
// check-in (protobuf AndroidCheckinResponse), then a registration whose `sender` is the VAPID
// public key and whose answer `token=...` becomes the endpoint
// `https://<fcm host>/fcm/send/<token>`. Chromium's switches --gcm-checkin-url and
// --gcm-registration-url point both here (`service.switches`).
//
//   const service = await startFakePushService();
//   service.mode = 'refuse';   // 'accept' (default), 'refuse' (INVALID_SENDER) or 'hang' (never answers)
//   service.registrations      // [{sender, subtype, token}] of web push registrations accepted
//   await service.stop();
import { createServer } from 'node:http';

function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

function fixed64(n) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return [...b];
}

// AndroidCheckinResponse {stats_ok: 1, time_msec: 3, android_id: 7 (fixed64), security_token: 8 (fixed64)}:
// the GCM client needs a non-zero id and token, then signs registrations with them.
const ANDROID_ID = 4242424242424242n;
const SECURITY_TOKEN = 1717171717171717n;
const CHECKIN = Buffer.from([0x08, 0x01, 0x18, ...varint(Date.now()), 0x39, ...fixed64(ANDROID_ID), 0x41, ...fixed64(SECURITY_TOKEN)]);

export async function startFakePushService() {
  const state = { mode: 'accept', registrations: [], unregistrations: [], held: [] };
  let serial = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url === '/checkin') {
        res.writeHead(200, { 'Content-Type': 'application/x-protobuf' });
        res.end(CHECKIN);
        return;
      }
      if (req.url !== '/register') {
        res.writeHead(404);
        res.end();
        return;
      }
      const form = new URLSearchParams(body.toString('latin1'));
      const subtype = form.get('X-subtype') ?? '';
      // Chromium registers for itself too (its own sender ids); only web push (subtype wp:...) is the test's.
      if (!subtype.startsWith('wp:')) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(form.get('delete') ? `deleted=${form.get('app')}` : `token=internal-${++serial}`);
        return;
      }
      if (form.get('delete')) {
        state.unregistrations.push({ subtype });
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(`deleted=${form.get('app')}`);
        return;
      }
      if (state.mode === 'hang') {
        state.held.push(res);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      if (state.mode === 'refuse') {
        res.end('Error=INVALID_SENDER');
        return;
      }
      const token = `test-token-${++serial}`;
      state.registrations.push({ sender: form.get('sender'), subtype, token });
      res.end(`token=${token}`);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    get mode() {
      return state.mode;
    },
    /** Leaving 'hang' answers the held registrations with a refusal, so none stays pending. */
    set mode(mode) {
      state.mode = mode;
      if (mode === 'hang') return;
      for (const res of state.held.splice(0)) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('Error=INVALID_SENDER');
      }
    },
    get registrations() {
      return state.registrations;
    },
    get unregistrations() {
      return state.unregistrations;
    },
    /** Chromium's command-line switches that send its GCM traffic here. */
    switches: [`--gcm-checkin-url=${url}/checkin`, `--gcm-registration-url=${url}/register`, `--gcm-mcs-endpoint=${url}/mcs`],
    async stop() {
      for (const res of state.held.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
