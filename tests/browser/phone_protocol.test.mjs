// The web app's phone (web/src/phone/) in Node, the same TypeScript the browser runs: the Noise
// vectors of shared/testdata (XX and IK over 25519_AESGCM_SHA256, byte for byte), the
// deterministic CBOR of docs/phone-keys.md's examples, the framing, and whole sessions against a
// real `latchkey lock` over its TCP phone listener with a certificate the real hub signed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPhone } from './phone_bundle.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// shared/ lives beside the repository: ../shared from its root.
const VECTORS = join(here, '../../../shared/testdata/noise/cacophony-25519-aesgcm-sha256.json');

const P = await loadPhone();
const hex = (b) => P.toHex(b);
const unhex = (s) => P.fromHex(s);

function vector(name) {
  const all = JSON.parse(readFileSync(VECTORS, 'utf8')).vectors;
  const v = all.find((x) => x.protocol_name === name);
  assert.ok(v, `${name} is in ${VECTORS}`);
  return v;
}

// The initiator of a cacophony vector: writes the even messages (compared byte for byte), reads
// the odd ones (their payloads compared), then the transport messages the same way.
async function runVector(v, pattern) {
  const s = await P.importKeyPair(unhex(v.init_static));
  const e = await P.importKeyPair(unhex(v.init_ephemeral));
  const hs = await P.Initiator.create({
    pattern,
    s,
    e,
    prologue: unhex(v.init_prologue),
    ...(v.init_remote_static ? { rs: unhex(v.init_remote_static) } : {}),
  });
  let transport = null;
  for (const [i, m] of v.messages.entries()) {
    const mine = i % 2 === 0;
    if (!transport) {
      if (mine) assert.equal(hex(await hs.writeMessage(unhex(m.payload))), m.ciphertext, `message ${i}`);
      else assert.equal(hex(await hs.readMessage(unhex(m.ciphertext))), m.payload, `message ${i}`);
      if (hs.done) transport = await hs.split();
    } else if (mine) {
      assert.equal(hex(await transport.send.encryptWithAd(new Uint8Array(0), unhex(m.payload))), m.ciphertext, `message ${i}`);
    } else {
      assert.equal(hex(await transport.recv.decryptWithAd(new Uint8Array(0), unhex(m.ciphertext))), m.payload, `message ${i}`);
    }
  }
  assert.equal(hex(transport.handshakeHash), v.handshake_hash);
  const lock = await P.importKeyPair(unhex(v.resp_static));
  assert.equal(hex(transport.remoteStatic), hex(lock.publicKey));
}

describe('Noise over WebCrypto', () => {
  test('Noise_XX_25519_AESGCM_SHA256: the cacophony vector byte for byte', async () => {
    await runVector(vector('Noise_XX_25519_AESGCM_SHA256'), 'XX');
  });

  test('Noise_IK_25519_AESGCM_SHA256: the cacophony vector byte for byte', async () => {
    await runVector(vector('Noise_IK_25519_AESGCM_SHA256'), 'IK');
  });

  test('the AES-GCM nonce is 4 zero bytes and the counter big-endian', () => {
    assert.equal(hex(P.nonceBytes(0)), '000000000000000000000000');
    assert.equal(hex(P.nonceBytes(1)), '000000000000000000000001');
    assert.equal(hex(P.nonceBytes(0x0102030405)), '000000000000000102030405');
  });

  test('a tampered responder message fails to decrypt', async () => {
    const v = vector('Noise_XX_25519_AESGCM_SHA256');
    const hs = await P.Initiator.create({
      pattern: 'XX',
      s: await P.importKeyPair(unhex(v.init_static)),
      e: await P.importKeyPair(unhex(v.init_ephemeral)),
      prologue: unhex(v.init_prologue),
    });
    await hs.writeMessage(unhex(v.messages[0].payload));
    const bad = unhex(v.messages[1].ciphertext);
    bad[40] ^= 1;
    await assert.rejects(hs.readMessage(bad), /decryption failed/);
  });

  test('a low-order lock key ends the handshake', async () => {
    const s = await P.generateKeyPair();
    await assert.rejects(P.Initiator.create({ pattern: 'IK', s, rs: new Uint8Array(32) }).then((hs) => hs.writeMessage(new Uint8Array(0))), /X25519/);
  });

  test('a generated identity is non-extractable', async () => {
    const pair = await P.generateKeyPair();
    assert.equal(pair.privateKey.extractable, false);
    assert.equal(pair.publicKey.length, 32);
    await assert.rejects(globalThis.crypto.subtle.exportKey('pkcs8', pair.privateKey));
  });
});

// docs/phone-keys.md "Messages": the examples with the nonce 00 01 .. 0f.
const NONCE = '000102030405060708090a0b0c0d0e0f';
const EXAMPLES = {
  lock: ['a26174646c6f636b646c6f636b736c6b2d30303131323233333434353536363737', { t: 'lock', lock: 'lk-0011223344556677' }],
  challenge: ['a26174696368616c6c656e6765656e6f6e636550' + NONCE, { t: 'challenge', nonce: NONCE }],
  req: ['a3617463726571626f7066756e6c6f636b656e6f6e636550' + NONCE, { t: 'req', op: 'unlock', nonce: NONCE }],
  ok: [
    'a3617463726573626f6bf566726573756c74a36a646f6f725f737461746566636c6f7365646a6c6f636b5f73746174' +
      '6568756e6c6f636b65646f626174746572795f70657263656e741857',
    { t: 'res', ok: true, result: { lock_state: 'unlocked', door_state: 'closed', battery_percent: 87 } },
  ],
  refused: [
    'a3617463726573626f6bf4656572726f72a264636f64656664656e69656466726561736f6e676c6f636b6f7574',
    { t: 'res', ok: false, error: { code: 'denied', reason: 'lockout' } },
  ],
};

// docs/phone-keys.md "Certificates": serial 7, lock lk-0011223344556677, user 3, phone 11 x 32.
const CERT =
  'ab617601636f707382646c6f636b66756e6c6f636b637369675840e70b3cf9a3ffb988aec1d32f6e18cec4f560d10c47' +
  'cf7b6ab072b31edc6b3f09b099affbb038b4eb0bbb782735d1cb68c85cc4b5f5b065477ed405b57a4e8803646175746f' +
  'f4646c6f636b736c6b2d303031313232333334343535363637376475736572036565706f6368026570686f6e65582011' +
  '111111111111111111111111111111111111111111111111111111111111116673657269616c07696e6f745f61667465' +
  '721a6b0803206a6e6f745f6265666f72651a6b06b1a0';

const plain = (m) => JSON.parse(JSON.stringify(m, (_k, v) => (v instanceof Uint8Array ? hex(v) : v)));

describe('deterministic CBOR', () => {
  for (const [name, [bytes, message]] of Object.entries(EXAMPLES)) {
    test(`the documented ${name} message decodes, and encodes back to the same bytes`, () => {
      const decoded = P.decodeMessage(unhex(bytes));
      assert.deepEqual(plain(decoded), message);
      assert.equal(hex(P.encodeMessage(decoded)), bytes);
    });
  }

  test('the documented certificate: its fields', () => {
    const cert = P.decodeCertificate(unhex(CERT));
    assert.equal(cert.serial, 7n);
    assert.equal(cert.lock, 'lk-0011223344556677');
    assert.equal(cert.user, 3);
    assert.equal(hex(cert.phone), '11'.repeat(32));
    assert.equal(cert.notBefore, 1795600800);
    assert.equal(cert.notAfter, 1795600800 + 86400);
    assert.deepEqual(cert.ops, ['lock', 'unlock']);
    assert.equal(cert.auto, false);
    assert.equal(cert.epoch, 2);
    assert.equal(hex(P.encodeCbor(P.decodeCbor(unhex(CERT)))), CERT);
  });

  test('the hello a phone sends with that certificate', () => {
    const hello = P.encodeMessage({ t: 'hello', cert: unhex(CERT) });
    assert.equal(hello.length, 230); // docs/phone-keys.md "Example session"
    assert.equal(hex(P.encodeMessage(P.decodeMessage(hello))), hex(hello));
  });

  test('anything but the canonical form is refused, naming what', () => {
    const refused = (bytes, pattern) => assert.throws(() => P.decodeMessage(unhex(bytes)), pattern);
    refused(EXAMPLES.lock[0] + '00', /bytes after/);
    // "t" with a one-byte length head where the short form fits.
    refused('a261747804' + '6c6f636b' + '646c6f636b736c6b2d30303131323233333434353536363737', /longer head than needed/);
    refused('a2646c6f636b736c6b2d303031313232333334343535363637376174646c6f636b', /map key "t" out of order/);
    refused('bf6174646c6f636bff', /indefinite/);
    refused('a26174696368616c6c656e6765656e6f6e63654f' + NONCE.slice(2), /nonce: not 16 bytes/);
    refused('a2617463726573626f6bf5', /result: missing/);
    refused('a36174646c6f636b646c6f636b616165' + '7a7a7a7a7a' + '01', /unknown field "zzzzz"/);
    refused('a26174646c6f636b646c6f636b612a', /lock: not a lock id/);
    refused('a1617463626f6f', /unknown message type/);
    assert.throws(() => P.decodeCbor(unhex('1817')), /longer head/);
    assert.throws(() => P.decodeCbor(unhex('a2616101616101')), /out of order or repeated/);
    assert.throws(() => P.decodeCbor(unhex('f6')), /simple value/);
  });
});

describe('framing', () => {
  test('the documented example session: fragments at ATT_MTU 23 and at 512', () => {
    // Noise bytes -> fragments at 23 (18 payload bytes each) and at 512.
    for (const [size, at23, at512] of [[32, 2, 1], [129, 8, 1], [294, 17, 1], [326, 19, 1], [52, 3, 1], [56, 4, 1], [91, 6, 1]]) {
      const message = new Uint8Array(size).map((_, i) => i);
      assert.equal(new P.Fragmenter(P.maxFragmentForMtu(23)).cut(message).length, at23, `${size} bytes at 23`);
      assert.equal(new P.Fragmenter(512).cut(message).length, at512, `${size} bytes at 512`);
    }
  });

  test('cut and reassembled, seq counting fragments across messages and wrapping at 256', () => {
    const out = new P.Fragmenter(20);
    const inn = new P.Reassembler();
    let total = 0;
    for (let n = 1; n <= 60; n++) {
      const message = new Uint8Array(n * 7).map((_, i) => (i * n) & 0xff);
      const fragments = out.cut(message);
      for (const [i, f] of fragments.entries()) {
        assert.ok(f.length <= 20);
        assert.equal(f[0], total++ & 0xff);
        assert.equal(f[1], i < fragments.length - 1 ? 1 : 0);
        const whole = inn.feed(f);
        assert.equal(whole === null, i < fragments.length - 1);
        if (whole) assert.equal(hex(whole), hex(message));
      }
    }
    assert.ok(total > 256);
  });

  test('the reader refuses a lost, repeated or malformed fragment, for good', () => {
    const fragments = new P.Fragmenter(20).cut(new Uint8Array(50).fill(7));
    const lost = new P.Reassembler();
    assert.throws(() => lost.feed(fragments[1]), /seq 1 where 0 was due/);
    assert.throws(() => lost.feed(fragments[0]), /failed earlier/);
    const repeated = new P.Reassembler();
    repeated.feed(fragments[0]);
    assert.throws(() => repeated.feed(fragments[0]), /seq 0 where 1/);
    assert.throws(() => new P.Reassembler().feed(Uint8Array.of(0, 2, 1)), /reserved flag/);
    assert.throws(() => new P.Reassembler().feed(Uint8Array.of(0, 0)), /no payload/);
    assert.throws(() => new P.Reassembler().feed(new Uint8Array(513)), /over the 512/);
    const big = new P.Reassembler();
    assert.throws(() => {
      for (let i = 0; i < 40; i++) big.feed(P.concat(Uint8Array.of(i, 1), new Uint8Array(510)));
    }, /grows past 16384/);
    assert.throws(() => P.maxFragmentForMtu(22), /below/);
    assert.equal(P.maxFragmentForMtu(517), 512);
  });

  test('the TCP stream: 2-byte big-endian lengths, however the bytes are chunked', () => {
    const fragments = new P.Fragmenter(30).cut(new Uint8Array(200).map((_, i) => i));
    const stream = P.concat(...fragments.map((f) => P.encodeStreamFragment(f)));
    for (const chunk of [1, 2, 3, 7, 64, stream.length]) {
      const decoder = new P.StreamDecoder();
      const got = [];
      for (let at = 0; at < stream.length; at += chunk) got.push(...decoder.feed(stream.subarray(at, at + chunk)));
      assert.deepEqual(got.map(hex), fragments.map(hex));
    }
    assert.throws(() => new P.StreamDecoder().feed(Uint8Array.of(0, 2)), /a fragment of 2 bytes/);
    assert.throws(() => new P.StreamDecoder().feed(Uint8Array.of(2, 1)), /a fragment of 513 bytes/);
  });
});

// ---- Against a real lock ----

/** The session's fragments over TCP to a lock's phone listener (2-byte big-endian lengths). */
async function tcpLink(address) {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const socket = connect({ host, port });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const queue = new P.FragmentQueue();
  const decoder = new P.StreamDecoder();
  socket.on('data', (chunk) => {
    try {
      for (const f of decoder.feed(new Uint8Array(chunk))) queue.push(f);
    } catch (e) {
      queue.end(new P.LinkError(e.message, 'io'));
      socket.destroy();
    }
  });
  socket.on('close', () => queue.end(new P.LinkError('the lock closed the connection', 'closed')));
  socket.on('error', () => {});
  return {
    send: (f) => new Promise((resolve, reject) => socket.write(P.encodeStreamFragment(f), (e) => (e ? reject(e) : resolve()))),
    receive: (ms) => queue.next(ms),
    close: () => socket.destroy(),
  };
}

describe('sessions with a real lock (TCP phone listener, certificate from the real hub)', async () => {
  const { Demo } = await import('./harness.mjs');
  const demo = new Demo(1);
  let lock;
  let address;
  let identity;
  let key;

  before(async () => {
    await demo.start();
    lock = demo.lockIds[0];
    address = readFileSync(join(demo.dir, 'data', 'lock-1', 'phone.addr'), 'utf8').trim();
    identity = await P.generateKeyPair();
    key = await demo.api('POST', '/api/v1/phone-keys', { phone_public_key: P.toBase64(identity.publicKey), lock });
    await demo.api('POST', `/api/v1/locks/${lock}/lock`);
  });

  after(async () => {
    await demo.stop();
  });

  const run = async (options) =>
    P.operate(await tcpLink(address), { identity, cert: P.fromBase64(key.certificate), maxFragment: 512, op: 'unlock', ...options });

  let pinned;
  test('first contact runs XX and unlocks; the lock names itself', async () => {
    const cert = P.decodeCertificate(P.fromBase64(key.certificate));
    assert.equal(cert.serial, BigInt(key.serial));
    assert.equal(hex(cert.phone), hex(identity.publicKey));
    const out = await run({ expectLockId: lock });
    assert.equal(out.pattern, 'XX');
    assert.equal(out.lockId, lock);
    assert.deepEqual(plain(out.res), { t: 'res', ok: true, result: out.res.result });
    assert.equal(out.res.result.lock_state, 'unlocked');
    assert.equal(await demo.lockState(lock), 'unlocked');
    pinned = out.lockKey;
  });

  test('with the pinned key the next session is IK, at BLE-sized fragments', async () => {
    await demo.api('POST', `/api/v1/locks/${lock}/lock`);
    const out = await run({ lockKey: pinned, maxFragment: 20, expectLockId: lock });
    assert.equal(out.pattern, 'IK');
    assert.equal(hex(out.lockKey), hex(pinned));
    assert.equal(out.res.ok, true);
    assert.equal(await demo.lockState(lock), 'unlocked');
    const status = await run({ lockKey: pinned, op: 'status' });
    assert.equal(status.res.result.lock_state, 'unlocked');
  });

  test('a session with another lock than meant ends before any request', async () => {
    await assert.rejects(run({ lockKey: pinned, expectLockId: 'lk-ffffffffffffffff' }), (e) => e.name === 'DoorError' && e.stage === 'wrong_lock');
  });

  test('a certificate for another phone is refused by the lock, with its reason', async () => {
    const stranger = await P.generateKeyPair();
    const out = await run({ identity: stranger, lockKey: pinned });
    assert.equal(out.res.ok, false);
    assert.equal(out.res.error.code, 'denied');
    assert.equal(out.res.error.reason, 'wrong_phone');
  });

  test('once revoked at the hub, the lock refuses the key: revoked', async () => {
    await demo.api('DELETE', `/api/v1/phone-keys/${key.serial}`);
    let out;
    for (let i = 0; i < 50; i++) {
      out = await run({ lockKey: pinned });
      if (!out.res.ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(out.res.ok, false);
    assert.equal(out.res.error.reason, 'revoked');
  });

  // Last: a failed handshake puts the source in the listener's back-off (250 ms, doubling).
  test('a wrong pinned key (the lock was reset) fails in the handshake', async () => {
    const other = await P.generateKeyPair();
    await assert.rejects(run({ lockKey: other.publicKey }), (e) => e.name === 'DoorError' && e.pinnedKeyFailed && e.cause === 'closed');
  });
});
