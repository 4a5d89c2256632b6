// The session over Web Bluetooth (PHONE-KEYS.md 2; docs/phone-keys.md "The web app as a phone"):
// the lock's GATT service with a "to lock" characteristic (each fragment one write with
// response) and a "to phone" characteristic (notify and read: each notification is one
// fragment; a read returns the oldest fragment not yet delivered, or an empty value when none is
// waiting). Where notifications cannot be started, or none comes, the phone polls with reads
// every 50 ms. Chrome fires characteristicvaluechanged for a read's value as for a notification,
// so that event is the one way in: fragments stay in the lock's order.
//
// Web Bluetooth exists in Chrome and Edge (Android, desktop); not in Safari on iOS nor in Firefox.
import { type Bytes, own } from './bytes';
import { BLE_DEFAULT_FRAGMENT } from './frame';
import { FragmentQueue, type FragmentLink, LinkError } from './link';

export const LOCK_SERVICE = '4c4b0001-5a8e-4d6b-9a61-7463686b6579';
export const TO_LOCK = '4c4b0002-5a8e-4d6b-9a61-7463686b6579';
export const TO_PHONE = '4c4b0003-5a8e-4d6b-9a61-7463686b6579';
/** Web Bluetooth does not tell the MTU: write as for BLE's default of 23 (20-byte fragments). */
export const WRITE_FRAGMENT = BLE_DEFAULT_FRAGMENT;
export const POLL_MS = 50;
/** With notifications on, how long to wait for one before reading anyway. */
const NOTIFY_GRACE_MS = 200;

// The few Web Bluetooth types used here (they are not in TypeScript's DOM library).
interface Characteristic extends EventTarget {
  value?: DataView | null;
  writeValueWithResponse(value: BufferSource): Promise<void>;
  readValue(): Promise<DataView>;
  startNotifications(): Promise<Characteristic>;
}
interface GattServer {
  connected: boolean;
  connect(): Promise<GattServer>;
  disconnect(): void;
  getPrimaryService(uuid: string): Promise<{ getCharacteristic(uuid: string): Promise<Characteristic> }>;
}
interface Device extends EventTarget {
  name?: string;
  gatt?: GattServer;
}
interface Bluetooth {
  requestDevice(options: { filters: { services: string[] }[] }): Promise<Device>;
}

function bluetooth(): Bluetooth | undefined {
  return typeof navigator === 'undefined' ? undefined : (navigator as Navigator & { bluetooth?: Bluetooth }).bluetooth;
}

/** Whether this browser can talk Bluetooth LE to the lock (no on iOS Safari and Firefox). */
export function bluetoothAvailable(): boolean {
  return bluetooth() !== undefined;
}

export class BleLink implements FragmentLink {
  private readonly queue = new FragmentQueue();
  private gattChain: Promise<unknown> = Promise.resolve();
  private notifying = false;
  private polling = false;
  private closed = false;
  /** How many reads the phone made (the page shows it, the tests look). */
  reads = 0;

  private constructor(
    readonly device: Device,
    private readonly server: GattServer,
    private readonly toLock: Characteristic,
    private readonly toPhone: Characteristic,
  ) {}

  /** Asks the person to choose the lock (the browser's chooser), connects and opens the service. */
  static async connect(): Promise<BleLink> {
    const bt = bluetooth();
    if (!bt) throw new LinkError('This browser cannot talk Bluetooth', 'io');
    const device = await bt.requestDevice({ filters: [{ services: [LOCK_SERVICE] }] });
    if (!device.gatt) throw new LinkError('The lock offers no GATT server', 'io');
    const server = await device.gatt.connect();
    try {
      const service = await server.getPrimaryService(LOCK_SERVICE);
      const toLock = await service.getCharacteristic(TO_LOCK);
      const toPhone = await service.getCharacteristic(TO_PHONE);
      const link = new BleLink(device, server, toLock, toPhone);
      await link.open();
      return link;
    } catch (e) {
      server.disconnect();
      throw e;
    }
  }

  private async open(): Promise<void> {
    this.device.addEventListener('gattserverdisconnected', () => this.end('the lock disconnected'));
    this.toPhone.addEventListener('characteristicvaluechanged', (event) => {
      const view = (event.target as Characteristic).value;
      // An empty value is a read with nothing waiting.
      if (view && view.byteLength > 0) this.queue.push(own(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)));
    });
    try {
      await this.toPhone.startNotifications();
      this.notifying = true;
    } catch {
      this.notifying = false; // reads alone, every 50 ms
    }
  }

  get usesNotifications(): boolean {
    return this.notifying;
  }

  /** GATT operations one at a time: some stacks (Android's) refuse a second one in flight. */
  private gatt<T>(op: () => Promise<T>): Promise<T> {
    const next = this.gattChain.then(op, op);
    this.gattChain = next.catch(() => undefined);
    return next;
  }

  async send(fragment: Bytes): Promise<void> {
    if (this.closed) throw new LinkError('the lock disconnected', 'closed');
    try {
      await this.gatt(() => this.toLock.writeValueWithResponse(fragment));
    } catch (e) {
      throw new LinkError(`writing to the lock failed: ${(e as Error).message}`, 'io');
    }
  }

  receive(timeoutMs: number): Promise<Bytes> {
    const next = this.queue.next(timeoutMs);
    void this.poll();
    return next;
  }

  /** Reads while someone waits for a fragment and none came. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      if (this.notifying) await sleep(NOTIFY_GRACE_MS);
      while (!this.closed && this.queue.waiting) {
        this.reads++;
        try {
          await this.gatt(() => this.toPhone.readValue());
        } catch (e) {
          if (!this.server.connected) return this.end('the lock disconnected');
          this.end(`reading from the lock failed: ${(e as Error).message}`);
          return;
        }
        if (this.queue.waiting) await sleep(POLL_MS);
      }
    } finally {
      this.polling = false;
    }
  }

  private end(why: string): void {
    this.closed = true;
    this.queue.end(new LinkError(why, 'closed'));
  }

  close(): void {
    if (this.closed && !this.server.connected) return;
    this.end('closed');
    if (this.server.connected) this.server.disconnect();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
