// The hub's public API as the sidecar (and the test controller) use it: REST calls with a bearer
// token, and the WebSocket stream with reconnection. Nothing private: only /api/v1/...

import http from "node:http";
import https from "node:https";
import { readFileSync } from "node:fs";
import WebSocket from "ws";

export interface Battery {
  percent?: number;
  millivolts?: number;
  low?: boolean;
  critical?: boolean;
  external_power?: boolean;
}

// The lock object of GET /api/v1/locks (API.md), as far as the bridge reads it.
export interface HubLock {
  id: string;
  name: string;
  online?: boolean;
  lock_state?: string;
  door_state?: string;
  battery?: Battery;
  operating_mode?: string;
  last_event_seq?: number;
  capabilities?: {
    features?: string[];
    max_users?: number;
    credentials_per_user?: number;
    min_pin_length?: number;
    max_pin_length?: number;
    credential_rules?: string[];
  };
  settings?: {
    require_pin_for_remote?: boolean;
    wrong_code_limit?: number;
    lockout_s?: number;
    auto_relock_s?: number;
    operating_mode?: string;
    name?: string;
  };
}

// An event of the lock's history (LOCK-SEMANTICS.md 9).
export interface HubEvent {
  seq: number;
  time?: string;
  kind: string;
  operation?: string;
  source?: string;
  user?: number;
  credential?: { type: string; index: number };
  actor?: string;
  error?: string;
  alarm?: string;
  door_state?: string;
  [key: string]: unknown;
}

export interface ApiAnswer {
  status: number;
  body: any;
}

// A refusal of the hub: the HTTP status and the error object of API.md.
export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

export class HubClient {
  readonly #base: URL;
  readonly #token: string;
  readonly #ca?: Buffer;
  readonly #agent: http.Agent;

  constructor(base: URL | string, token: string, caFile?: string) {
    this.#base = new URL(base);
    this.#token = token;
    this.#ca = caFile ? readFileSync(caFile) : undefined;
    this.#agent =
      this.#base.protocol === "https:"
        ? new https.Agent({ keepAlive: true, ca: this.#ca })
        : new http.Agent({ keepAlive: true });
  }

  get base() {
    return this.#base;
  }

  // One request; resolves with the status and the parsed JSON body (never rejects on an HTTP error status).
  request(method: string, path: string, body?: unknown, timeoutMs = 20000): Promise<ApiAnswer> {
    const url = new URL(path, this.#base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { Authorization: `Bearer ${this.#token}`, Accept: "application/json" };
    if (payload) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = String(payload.length);
    }
    const module = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = module.request(url, { method, headers, agent: this.#agent, timeout: timeoutMs }, res => {
        const chunks: Buffer[] = [];
        res.on("data", chunk => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = undefined;
          if (text.length) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: no answer in ${timeoutMs} ms`)));
      req.on("error", reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  // A request whose non-2xx answer becomes a HubError.
  async call(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<any> {
    const answer = await this.request(method, path, body, timeoutMs);
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    const error = answer.body?.error ?? {};
    throw new HubError(
      answer.status,
      String(error.code ?? "http_" + answer.status),
      String(error.message ?? `HTTP ${answer.status}`),
      error.reason === undefined ? undefined : String(error.reason),
    );
  }

  locks(): Promise<HubLock[]> {
    return this.call("GET", "/api/v1/locks");
  }

  // Opens the stream (API.md): `after` asks for the events missed since those seqs.
  openStream(after?: Map<string, number>): WebSocket {
    const url = new URL("/api/v1/stream", this.#base);
    url.protocol = this.#base.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", this.#token);
    if (after && after.size) {
      url.searchParams.set(
        "after",
        [...after].map(([lock, seq]) => `${lock}:${seq}`).join(","),
      );
    }
    return new WebSocket(url, { ca: this.#ca, handshakeTimeout: 10000 });
  }

  close() {
    this.#agent.destroy();
  }
}

export interface StreamHandlers {
  message(message: any): void;
  connected(): void;
  disconnected(reason: string, retryInMs: number): void;
  // The hub refused the token (401): retrying cannot help.
  refused(status: number): void;
}

// Keeps the stream open: reconnects with back-off (1 s doubling to 30 s) and asks for the
// events missed meanwhile (`?after=`), from the last seq seen per lock.
export class HubStream {
  readonly #hub: HubClient;
  readonly #handlers: StreamHandlers;
  readonly lastSeq = new Map<string, number>();
  #socket?: WebSocket;
  #retryMs = 1000;
  #timer?: NodeJS.Timeout;
  #pingTimer?: NodeJS.Timeout;
  #closed = false;

  constructor(hub: HubClient, handlers: StreamHandlers) {
    this.#hub = hub;
    this.#handlers = handlers;
  }

  start() {
    this.#connect();
  }

  #connect() {
    if (this.#closed) return;
    const socket = this.#hub.openStream(this.lastSeq);
    this.#socket = socket;
    let alive = true;
    socket.on("open", () => {
      this.#retryMs = 1000;
      this.#handlers.connected();
      // A dead TCP path shows only when something is sent: ping every 30 s, drop after a silent minute.
      this.#pingTimer = setInterval(() => {
        if (!alive) return socket.terminate();
        alive = false;
        socket.ping();
      }, 30000);
    });
    socket.on("pong", () => (alive = true));
    socket.on("message", data => {
      alive = true;
      let message: any;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (message?.type === "event" && typeof message.lock === "string") {
        const seq = Number(message.event?.seq);
        if (Number.isFinite(seq) && seq > (this.lastSeq.get(message.lock) ?? 0)) this.lastSeq.set(message.lock, seq);
      }
      this.#handlers.message(message);
    });
    let reported = false;
    const retry = (reason: string) => {
      if (reported) return;
      reported = true;
      clearInterval(this.#pingTimer);
      if (this.#closed) return;
      const wait = this.#retryMs;
      this.#retryMs = Math.min(this.#retryMs * 2, 30000);
      this.#handlers.disconnected(reason, wait);
      this.#timer = setTimeout(() => this.#connect(), wait);
    };
    socket.on("unexpected-response", (_req, res) => {
      if (res.statusCode === 401) {
        reported = true;
        clearInterval(this.#pingTimer);
        this.#closed = true;
        socket.terminate();
        this.#handlers.refused(401);
        return;
      }
      retry(`HTTP ${res.statusCode}`);
      socket.terminate();
    });
    socket.on("error", error => retry(error.message));
    socket.on("close", (code, why) => retry(`closed (${code}${why.length ? " " + why.toString() : ""})`));
  }

  close() {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#pingTimer);
    this.#socket?.terminate();
  }
}
