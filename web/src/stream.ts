// The live stream (`GET /api/v1/stream`, WebSocket, authenticated by the session cookie).
// It reconnects with a growing back-off and asks for what it missed with
// `?after=<lock>:<seq>,...`, the last seq the app saw per lock, so that no event is lost.
import { streamAuthQuery } from './api';
import type { StreamMessage } from './types';

export type StreamStatus = 'connecting' | 'open' | 'closed';

export interface StreamHandlers {
  /** The last event seq the app holds per lock, read at every (re)connect. */
  lastSeqs(): Record<string, number>;
  onMessage(message: StreamMessage): void;
  onStatus(status: StreamStatus, reconnected: boolean): void;
}

const MIN_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;

export class StreamClient {
  private socket: WebSocket | null = null;
  private timer: number | undefined;
  private delay = MIN_DELAY_MS;
  private stopped = false;
  private everOpened = false;

  constructor(private readonly handlers: StreamHandlers) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.socket?.close(1000);
    this.socket = null;
  }

  private url(): string {
    const after = Object.entries(this.handlers.lastSeqs())
      .map(([lock, seq]) => `${lock}:${seq}`)
      .join(',');
    const params = [streamAuthQuery(), after ? `after=${encodeURIComponent(after)}` : '']
      .filter(Boolean)
      .join('&');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/api/v1/stream${params ? `?${params}` : ''}`;
  }

  private connect(): void {
    this.handlers.onStatus('connecting', false);
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url());
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.delay = MIN_DELAY_MS;
      this.handlers.onStatus('open', this.everOpened);
      this.everOpened = true;
    };
    socket.onmessage = (e: MessageEvent) => {
      try {
        this.handlers.onMessage(JSON.parse(String(e.data)) as StreamMessage);
      } catch {
        // A message the app cannot read is skipped; the next state message brings it up to date.
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.handlers.onStatus('closed', false);
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
  }
}
