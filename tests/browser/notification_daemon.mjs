// A desktop notification server for a test: a private D-Bus session bus (dbus-daemon with its own
// config, no service activation) and on it `org.freedesktop.Notifications` (the Desktop
// Notifications Specification, 1.2), written here over the D-Bus wire protocol. Chromium on Linux
// shows a web notification through whatever owns that name on its session bus, and turns the
// server's `ActionInvoked(id, "default")` into a click: the service worker gets a real, trusted
// `notificationclick`, as when a person clicks the notification on the desktop.
//
//   const daemon = await startNotificationDaemon(dir);   // before the browser starts
//   launch chromium with DBUS_SESSION_BUS_ADDRESS=daemon.address
//   const shown = await daemon.waitFor((n) => n.summary === 'Door forced open');
//   await daemon.click(shown.id);
//   await daemon.stop();
//
// Only what the server side needs: EXTERNAL authentication, little-endian messages, the basic
// types, arrays, structs, dict entries and variants.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';

const NAME = 'org.freedesktop.Notifications';
const PATH = '/org/freedesktop/Notifications';
const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' };
const CALL = 1;
const RETURN = 2;
const ERROR = 3;
const SIGNAL = 4;
const NO_REPLY_EXPECTED = 1;
// Header field codes and the type of each.
const FIELDS = { path: [1, 'o'], interface: [2, 's'], member: [3, 's'], error: [4, 's'], replySerial: [5, 'u'], destination: [6, 's'], sender: [7, 's'], signature: [8, 'g'] };
const FIELD_NAMES = Object.fromEntries(Object.entries(FIELDS).map(([name, [code]]) => [code, name]));

const ALIGN = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, h: 4, s: 4, o: 4, g: 1, a: 4, '(': 8, '{': 8, v: 1 };

/** The end of the single complete type that starts at `sig[i]`. */
function typeEnd(sig, i) {
  const c = sig[i];
  if (c === 'a') return typeEnd(sig, i + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let j = i + 1;
    while (sig[j] !== close) j = typeEnd(sig, j);
    return j + 1;
  }
  if (!(c in ALIGN)) throw new Error(`D-Bus: unknown type '${c}' in '${sig}'`);
  return i + 1;
}

/** The complete types of a signature: "susssasa{sv}i" -> ["s", "u", ..., "as", "a{sv}", "i"]. */
function splitSignature(sig) {
  const types = [];
  for (let i = 0; i < sig.length; ) {
    const end = typeEnd(sig, i);
    types.push(sig.slice(i, end));
    i = end;
  }
  return types;
}

class Writer {
  constructor() {
    this.bytes = [];
  }
  get length() {
    return this.bytes.length;
  }
  align(n) {
    while (this.bytes.length % n) this.bytes.push(0);
  }
  raw(buffer) {
    for (const b of buffer) this.bytes.push(b);
  }
  uint32(v) {
    this.align(4);
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.raw(b);
  }
  patchUint32(at, v) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    b.forEach((byte, k) => (this.bytes[at + k] = byte));
  }
  value(type, v) {
    const c = type[0];
    switch (c) {
      case 'y':
        this.bytes.push(v & 0xff);
        return;
      case 'b':
        return this.uint32(v ? 1 : 0);
      case 'u':
      case 'h':
        return this.uint32(v);
      case 'i': {
        this.align(4);
        const b = Buffer.alloc(4);
        b.writeInt32LE(v);
        return this.raw(b);
      }
      case 's':
      case 'o': {
        const text = Buffer.from(String(v), 'utf8');
        this.uint32(text.length);
        this.raw(text);
        this.bytes.push(0);
        return;
      }
      case 'g': {
        const text = Buffer.from(String(v), 'ascii');
        this.bytes.push(text.length);
        this.raw(text);
        this.bytes.push(0);
        return;
      }
      case 'v': {
        const [sig, inner] = v;
        this.value('g', sig);
        return this.value(sig, inner);
      }
      case 'a': {
        const element = type.slice(1);
        this.uint32(0);
        const lengthAt = this.length - 4;
        this.align(ALIGN[element[0]]);
        const start = this.length;
        const items = element[0] === '{' ? Object.entries(v) : v;
        for (const item of items) this.value(element, item);
        this.patchUint32(lengthAt, this.length - start);
        return;
      }
      case '(':
      case '{': {
        this.align(8);
        splitSignature(type.slice(1, -1)).forEach((t, k) => this.value(t, v[k]));
        return;
      }
      default:
        throw new Error(`D-Bus: cannot write type '${type}'`);
    }
  }
}

class Reader {
  constructor(buffer, pos = 0) {
    this.buf = buffer;
    this.pos = pos;
  }
  align(n) {
    this.pos = Math.ceil(this.pos / n) * n;
  }
  value(type) {
    const c = type[0];
    this.align(ALIGN[c]);
    const b = this.buf;
    switch (c) {
      case 'y':
        return b.readUInt8(this.pos++);
      case 'b':
        return (this.pos += 4), b.readUInt32LE(this.pos - 4) !== 0;
      case 'n':
        return (this.pos += 2), b.readInt16LE(this.pos - 2);
      case 'q':
        return (this.pos += 2), b.readUInt16LE(this.pos - 2);
      case 'i':
        return (this.pos += 4), b.readInt32LE(this.pos - 4);
      case 'u':
      case 'h':
        return (this.pos += 4), b.readUInt32LE(this.pos - 4);
      case 'x':
        return (this.pos += 8), b.readBigInt64LE(this.pos - 8);
      case 't':
        return (this.pos += 8), b.readBigUInt64LE(this.pos - 8);
      case 'd':
        return (this.pos += 8), b.readDoubleLE(this.pos - 8);
      case 's':
      case 'o': {
        const n = this.value('u');
        const text = b.toString('utf8', this.pos, this.pos + n);
        this.pos += n + 1;
        return text;
      }
      case 'g': {
        const n = this.value('y');
        const text = b.toString('ascii', this.pos, this.pos + n);
        this.pos += n + 1;
        return text;
      }
      case 'v':
        return this.value(this.value('g'));
      case 'a': {
        const n = this.value('u');
        const element = type.slice(1);
        this.align(ALIGN[element[0]]);
        const end = this.pos + n;
        if (element === 'y') {
          this.pos = end;
          return b.subarray(end - n, end);
        }
        const items = [];
        while (this.pos < end) items.push(this.value(element));
        return element[0] === '{' ? Object.fromEntries(items) : items;
      }
      case '(':
      case '{':
        return splitSignature(type.slice(1, -1)).map((t) => this.value(t));
      default:
        throw new Error(`D-Bus: cannot read type '${type}'`);
    }
  }
}

/** One message as bytes: the header with its fields, then the body. */
function encode({ type, flags = 0, serial, fields, signature = '', body = [] }) {
  const bodyWriter = new Writer();
  splitSignature(signature).forEach((t, k) => bodyWriter.value(t, body[k]));
  const w = new Writer();
  w.raw(Buffer.from('l'));
  w.value('y', type);
  w.value('y', flags);
  w.value('y', 1);
  w.uint32(bodyWriter.length);
  w.uint32(serial);
  const headerFields = Object.entries({ ...fields, ...(signature ? { signature } : {}) })
    .filter(([, v]) => v !== undefined)
    .map(([name, v]) => [FIELDS[name][0], [FIELDS[name][1], v]]);
  w.value('a(yv)', headerFields);
  w.align(8);
  w.raw(bodyWriter.bytes);
  return Buffer.from(w.bytes);
}

/** The whole message at the start of `buffer`, or null when more bytes are needed. */
function decode(buffer) {
  if (buffer.length < 16) return null;
  if (buffer[0] !== 0x6c) throw new Error('D-Bus: only little-endian messages are read here');
  const bodyLength = buffer.readUInt32LE(4);
  const fieldsLength = buffer.readUInt32LE(12);
  const bodyStart = Math.ceil((16 + fieldsLength) / 8) * 8;
  if (buffer.length < bodyStart + bodyLength) return null;
  const r = new Reader(buffer, 12);
  const fields = {};
  for (const [code, value] of r.value('a(yv)')) if (FIELD_NAMES[code]) fields[FIELD_NAMES[code]] = value;
  const body = new Reader(buffer.subarray(0, bodyStart + bodyLength), bodyStart);
  const args = splitSignature(fields.signature ?? '').map((t) => body.value(t));
  return { message: { type: buffer[1], flags: buffer[2], serial: buffer.readUInt32LE(8), fields, args }, size: bodyStart + bodyLength };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A connection to the bus that owns `org.freedesktop.Notifications` and answers its methods. */
class NotificationServer {
  constructor(socketPath) {
    this.socketPath = socketPath;
    this.serial = 0;
    this.pending = new Map();
    this.notifications = [];
    this.nextId = 1;
    this.waiters = [];
  }

  async connect() {
    this.socket = createConnection(this.socketPath);
    await new Promise((resolve, reject) => this.socket.once('connect', resolve).once('error', reject));
    this.socket.on('error', () => {});
    // SASL EXTERNAL: the bus checks our uid against the socket's credentials.
    const uid = Buffer.from(String(process.getuid())).toString('hex');
    const answer = new Promise((resolve) => this.socket.once('data', (d) => resolve(d.toString('ascii'))));
    this.socket.write(Buffer.concat([Buffer.from([0]), Buffer.from(`AUTH EXTERNAL ${uid}\r\n`)]));
    const line = await answer;
    if (!line.startsWith('OK ')) throw new Error(`D-Bus authentication refused: ${line.trim()}`);
    this.socket.write('BEGIN\r\n');
    let buffered = Buffer.alloc(0);
    this.socket.on('data', (data) => {
      buffered = Buffer.concat([buffered, data]);
      for (let next = decode(buffered); next; next = decode(buffered)) {
        buffered = buffered.subarray(next.size);
        this.receive(next.message);
      }
    });
    await this.call({ ...BUS, member: 'Hello' });
    const [owner] = await this.call({ ...BUS, member: 'RequestName' }, 'su', [NAME, 4 /* DO_NOT_QUEUE */]);
    if (owner !== 1) throw new Error(`${NAME} is owned by another connection on the test bus (${owner})`);
  }

  send(message) {
    this.socket.write(encode({ serial: ++this.serial, ...message }));
    return this.serial;
  }

  call({ destination, path, interface: iface, member }, signature = '', body = []) {
    const serial = this.send({ type: CALL, fields: { destination, path, interface: iface, member }, signature, body });
    return new Promise((resolve, reject) => this.pending.set(serial, { resolve, reject }));
  }

  signal(member, signature, body) {
    this.send({ type: SIGNAL, fields: { path: PATH, interface: NAME, member }, signature, body });
  }

  receive(message) {
    if (message.type === RETURN || message.type === ERROR) {
      const waiter = this.pending.get(message.fields.replySerial);
      this.pending.delete(message.fields.replySerial);
      if (message.type === RETURN) waiter?.resolve(message.args);
      else waiter?.reject(new Error(`${message.fields.error}: ${message.args[0] ?? ''}`));
      return;
    }
    if (message.type !== CALL) return;
    const reply = (signature = '', body = []) => {
      if (message.flags & NO_REPLY_EXPECTED) return;
      this.send({ type: RETURN, fields: { replySerial: message.serial, destination: message.fields.sender }, signature, body });
    };
    const { interface: iface, member } = message.fields;
    if (iface === 'org.freedesktop.DBus.Peer' && member === 'Ping') return reply();
    if (iface === NAME || iface === undefined) {
      switch (member) {
        case 'GetCapabilities':
          return reply('as', [['actions', 'body', 'persistence']]);
        case 'GetServerInformation':
          return reply('ssss', ['latchkey-test', 'latchkey', '1', '1.2']);
        case 'Notify': {
          const [app, replaces, icon, summary, body, actions, hints, timeout] = message.args;
          const id = replaces || this.nextId++;
          const notification = { id, app, icon, summary, body, actions, hints, timeout, closed: false };
          this.notifications = this.notifications.filter((n) => n.id !== id).concat(notification);
          reply('u', [id]);
          this.wake();
          return;
        }
        case 'CloseNotification': {
          const [id] = message.args;
          const shown = this.notifications.find((n) => n.id === id);
          reply();
          if (shown && !shown.closed) {
            shown.closed = true;
            this.signal('NotificationClosed', 'uu', [id, 3 /* closed by CloseNotification */]);
          }
          this.wake();
          return;
        }
      }
    }
    if (!(message.flags & NO_REPLY_EXPECTED)) {
      this.send({
        type: ERROR,
        fields: { replySerial: message.serial, destination: message.fields.sender, error: 'org.freedesktop.DBus.Error.UnknownMethod' },
        signature: 's',
        body: [`no ${iface}.${member} here`],
      });
    }
  }

  wake() {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/**
 * Starts the private bus and the server on it in `dir`; resolves once the server owns the name,
 * so a browser started after sees it.
 */
export async function startNotificationDaemon(dir) {
  const socket = join(dir, 'bus');
  const config = join(dir, 'bus.conf');
  writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const bus = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  bus.stderr.on('data', (d) => (log += d));
  const exited = new Promise((resolve) => bus.once('exit', resolve));
  let failed = null;
  bus.once('error', (e) => (failed = e));
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (failed) throw new Error(`cannot start dbus-daemon: ${failed.message}`);
    if (bus.exitCode !== null) throw new Error(`dbus-daemon exited: ${log}`);
    if (Date.now() > deadline) throw new Error(`dbus-daemon made no socket in 10 s: ${log}`);
    await sleep(20);
  }
  const server = new NotificationServer(socket);
  await server.connect();
  return {
    address: `unix:path=${socket}`,
    /** Every notification shown so far (the newest last; `closed` once the browser closed it). */
    get notifications() {
      return server.notifications;
    },
    /** The first notification that `test` accepts, once the browser has shown it. */
    async waitFor(test, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = server.notifications.find(test);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no such notification; shown: ${JSON.stringify(server.notifications.map((n) => n.summary))}`);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, left);
          server.waiters.push(() => (clearTimeout(timer), resolve()));
        });
      }
    },
    /** What a person's click on notification `id` makes the desktop say to the browser. */
    click(id, action = 'default') {
      server.signal('ActionInvoked', 'us', [id, action]);
    },
    async stop() {
      server.socket?.destroy();
      if (bus.exitCode === null && bus.signalCode === null) {
        bus.kill('SIGTERM');
        await exited;
      }
    },
  };
}
