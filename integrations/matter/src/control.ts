// The control server the hub talks to (loopback only, bearer secret):
//   GET    /status              the pairing code, QR payload and fabrics
//   POST   /commissioning       opens a commissioning window; answers the status
//   DELETE /fabrics/{index}     removes a fabric (404 when there is none)
// Errors are {"error": {"code", "message"}} as in the hub's API.

import http from "node:http";
import { timingSafeEqual, createHash } from "node:crypto";
import type { Bridge, Log } from "./bridge.js";

function send(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
  res.end(text);
}

function fail(res: http.ServerResponse, status: number, code: string, message: string) {
  send(res, status, { error: { code, message } });
}

// Compares digests, so neither the length nor the content of the secret leaks through timing.
function sameSecret(given: string, secret: string) {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(secret).digest();
  return timingSafeEqual(a, b);
}

export function startControlServer(bridge: Bridge, port: number, secret: string, log: Log): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? "";
    const given = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    if (!sameSecret(given, secret)) {
      res.setHeader("WWW-Authenticate", "Bearer");
      return fail(res, 401, "unauthorized", "a valid Authorization: Bearer secret is required");
    }
    // The body is not used by any route; drain it.
    req.resume();
    const path = (req.url ?? "/").split("?")[0];
    const handle = async () => {
      if (path === "/status") {
        if (req.method !== "GET") return fail(res, 405, "method_not_allowed", "GET /status");
        return send(res, 200, bridge.status());
      }
      if (path === "/commissioning") {
        if (req.method !== "POST") return fail(res, 405, "method_not_allowed", "POST /commissioning");
        await bridge.openCommissioningWindow();
        log("commissioning window opened (15 minutes)");
        return send(res, 200, bridge.status());
      }
      const fabric = /^\/fabrics\/([^/]+)$/.exec(path);
      if (fabric) {
        if (req.method !== "DELETE") return fail(res, 405, "method_not_allowed", "DELETE /fabrics/{index}");
        const index = /^\d{1,3}$/.test(fabric[1]) ? Number(fabric[1]) : NaN;
        if (!(await bridge.removeFabric(index))) return fail(res, 404, "not_found", `no fabric ${fabric[1]}`);
        return send(res, 200, bridge.status());
      }
      return fail(res, 404, "not_found", `no route ${req.method} ${path}`);
    };
    handle().catch(e => {
      log(`control ${req.method} ${path} failed: ${e instanceof Error ? e.message : e}`);
      if (!res.headersSent) fail(res, 500, "internal", e instanceof Error ? e.message : String(e));
    });
  });
  server.requestTimeout = 30000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
