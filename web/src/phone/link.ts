// What the session needs from a transport: fragments out, fragments in. Web Bluetooth
// (ble.ts) in the app; TCP to the lock's phone listener in the tests.
import type { Bytes } from './bytes';

export interface FragmentLink {
  /** Sends one fragment (one GATT write). */
  send(fragment: Bytes): Promise<void>;
  /** The next fragment from the lock; rejects with LinkError when the link closes or `timeoutMs` passes. */
  receive(timeoutMs: number): Promise<Bytes>;
  close(): void;
}

export class LinkError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'closed' | 'io',
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

/** Fragments as they arrive, for receive() to hand out in order. */
export class FragmentQueue {
  private items: Bytes[] = [];
  private waiters: { resolve: (b: Bytes) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }[] = [];
  private ended: LinkError | null = null;

  push(fragment: Bytes): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(fragment);
    } else {
      this.items.push(fragment);
    }
  }

  end(error: LinkError): void {
    if (this.ended) return;
    this.ended = error;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }

  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  next(timeoutMs: number): Promise<Bytes> {
    const item = this.items.shift();
    if (item) return Promise.resolve(item);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new LinkError('the lock did not answer in time', 'timeout'));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }
}
