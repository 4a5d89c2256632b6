// A lock on the air for the web app's "Unlock here", in Chromium's Bluetooth emulation (the
// DevTools protocol's BluetoothEmulation and DeviceAccess domains), bridged to a real lock's TCP
// phone listener:
//
//   page --writeValueWithResponse("to lock")--> characteristicOperationReceived(write)
//        --> [2-byte big-endian length][fragment] --> the lock's phone listener
//   the lock's fragments --> a queue --> characteristicOperationReceived(read)
//        --> simulateCharacteristicOperationResponse(data) --> the page's readValue()
//
// The emulated peripheral cannot notify (the protocol has no command for it, and
// startNotifications fails), so the page polls with reads, which answer the oldest fragment not
// yet delivered, or an empty value. Each session gets its own TCP connection: a fragment with seq
// 0 starts one, as at the lock's GATT server. When the lock ends a session the link stays up, as
// there too; the phone then reads nothing more and gives up on its own.
import { connect } from 'node:net';

export const SERVICE = '4c4b0001-5a8e-4d6b-9a61-7463686b6579';
export const TO_LOCK = '4c4b0002-5a8e-4d6b-9a61-7463686b6579';
export const TO_PHONE = '4c4b0003-5a8e-4d6b-9a61-7463686b6579';
/** Chromium reads the response data as base64 (CDP "binary"). */
const b64 = (bytes) => Buffer.from(bytes).toString('base64');

export class EmulatedLock {
  constructor(browser, phoneAddress, { address = '4C:4B:00:00:00:01', name = 'latchkey-0001' } = {}) {
    this.browser = browser;
    this.phoneAddress = phoneAddress;
    this.address = address;
    this.name = name;
    /** One entry per GATT connection: what the phone wrote (fragments, messages) and read. */
    this.sessions = [];
    this.prompts = 0;
    this.problems = [];
  }

  /** Turns the emulated adapter on and puts the lock with its service on it. */
  async start() {
    const cdp = (this.cdp = await this.browser.newBrowserCDPSession());
    cdp.on('BluetoothEmulation.gattOperationReceived', (e) => this.onGatt(e).catch((err) => this.problems.push(`gatt: ${err.message}`)));
    cdp.on('BluetoothEmulation.characteristicOperationReceived', (e) =>
      this.onCharacteristic(e).catch((err) => this.problems.push(`characteristic: ${err.message}`)),
    );
    await this.powerOn();
  }

  /**
   * The adapter, the lock and its GATT table. A page that loads a new document (a reload) finds
   * the emulated adapter gone ("Bluetooth adapter not available"): call this again after it.
   */
  async powerOn() {
    const cdp = this.cdp;
    await cdp.send('BluetoothEmulation.disable').catch(() => {});
    await cdp.send('BluetoothEmulation.enable', { state: 'powered-on', leSupported: true });
    await cdp.send('BluetoothEmulation.simulatePreconnectedPeripheral', {
      address: this.address,
      name: this.name,
      manufacturerData: [],
      knownServiceUuids: [SERVICE],
    });
    await cdp.send('BluetoothEmulation.simulateAdvertisement', {
      entry: {
        deviceAddress: this.address,
        rssi: -50,
        scanRecord: { name: this.name, uuids: [SERVICE], appearance: 0, txPower: 0, manufacturerData: [] },
      },
    });
    const { serviceId } = await cdp.send('BluetoothEmulation.addService', { address: this.address, serviceUuid: SERVICE });
    ({ characteristicId: this.toLock } = await cdp.send('BluetoothEmulation.addCharacteristic', {
      serviceId,
      characteristicUuid: TO_LOCK,
      properties: { write: true, writeWithoutResponse: true },
    }));
    ({ characteristicId: this.toPhone } = await cdp.send('BluetoothEmulation.addCharacteristic', {
      serviceId,
      characteristicUuid: TO_PHONE,
      properties: { read: true, notify: true },
    }));
  }

  /** Answers the device chooser of `page` by picking this lock (also after the page reloads). */
  async answerChooser(page) {
    const session = await page.context().newCDPSession(page);
    await session.send('DeviceAccess.enable');
    // The domain is enabled per document: a reload or navigation needs it again.
    page.on('domcontentloaded', () => session.send('DeviceAccess.enable').catch(() => {}));
    const answered = new Set();
    session.on('DeviceAccess.deviceRequestPrompted', (e) => {
      // The prompt is sent again as devices appear; answer each once, when the lock is listed.
      if (answered.has(e.id) || !e.devices.some((d) => d.id === this.address)) return;
      answered.add(e.id);
      this.prompts++;
      session.send('DeviceAccess.selectPrompt', { id: e.id, deviceId: this.address }).catch((err) => this.problems.push(`selectPrompt: ${err.message}`));
    });
    return session;
  }

  get current() {
    return this.sessions[this.sessions.length - 1];
  }

  async onGatt(e) {
    if (e.type === 'connection') this.connections = (this.connections ?? 0) + 1;
    await this.cdp.send('BluetoothEmulation.simulateGATTOperationResponse', { address: e.address, type: e.type, code: 0 });
  }

  openSession() {
    this.current?.socket.destroy();
    const [host, port] = [this.phoneAddress.slice(0, this.phoneAddress.lastIndexOf(':')), Number(this.phoneAddress.slice(this.phoneAddress.lastIndexOf(':') + 1))];
    const session = {
      socket: connect({ host, port }),
      written: [], // fragments from the phone
      messages: [], // their Noise messages' sizes, reassembled by the more-fragments flag
      partial: 0,
      fromLock: [], // fragments from the lock not yet read
      stream: Buffer.alloc(0),
      reads: 0,
      emptyReads: 0,
      closed: false,
    };
    session.socket.on('data', (chunk) => {
      session.stream = Buffer.concat([session.stream, chunk]);
      while (session.stream.length >= 2) {
        const n = session.stream.readUInt16BE(0);
        if (session.stream.length < 2 + n) break;
        session.fromLock.push(session.stream.subarray(2, 2 + n));
        session.stream = session.stream.subarray(2 + n);
      }
    });
    session.socket.on('error', () => {});
    // When the lock ends the session (it could not read an IK message, say), the connection
    // stays up as at a real lock (docs/phone-keys.md "Bluetooth LE": the last fragments stay
    // readable until the phone disconnects): reads find nothing more, and the phone gives up.
    session.socket.on('close', () => {
      session.closed = true;
    });
    this.sessions.push(session);
  }

  async onCharacteristic(e) {
    const session = this.current;
    const reply = (code, data) =>
      this.cdp.send('BluetoothEmulation.simulateCharacteristicOperationResponse', {
        characteristicId: e.characteristicId,
        type: e.type,
        code,
        ...(data !== undefined ? { data } : {}),
      });
    if (e.type === 'write' && e.characteristicId === this.toLock) {
      const fragment = Buffer.from(e.data, 'base64');
      // A phone starts each session at seq 0. Chromium's emulation does not report the page's
      // disconnect, and may reuse the connection for the next requestDevice, so seq 0 (other
      // than after 256 fragments) is a new session too.
      if (!session || (fragment[0] === 0 && session.written.length % 256 !== 0)) return this.onCharacteristicNew(e);
      session.written.push(fragment);
      session.partial += fragment.length - 2;
      if ((fragment[1] & 1) === 0) {
        session.messages.push(session.partial);
        session.partial = 0;
      }
      const frame = Buffer.alloc(2 + fragment.length);
      frame.writeUInt16BE(fragment.length, 0);
      fragment.copy(frame, 2);
      session.socket.write(frame);
      return reply(0);
    }
    if (e.type === 'read' && e.characteristicId === this.toPhone && session) {
      session.reads++;
      const next = session.fromLock.shift();
      if (!next) session.emptyReads++;
      return reply(0, next ? b64(next) : '');
    }
    // Anything else (a write to "to phone", notifications): not supported, as GATT says.
    return reply(6, e.type === 'read' ? '' : undefined);
  }

  onCharacteristicNew(e) {
    this.openSession();
    return this.onCharacteristic(e);
  }

  async stop() {
    for (const s of this.sessions) s.socket.destroy();
    await this.cdp?.send('BluetoothEmulation.disable').catch(() => {});
  }
}
