// The sidecar's life: check the hub and the token, build the bridge, print the pairing code,
// serve the control API, stop cleanly on SIGTERM/SIGINT.

import { Environment } from "@matter/main";
import type { Server } from "node:http";
import { Bridge } from "./bridge.js";
import { startControlServer } from "./control.js";
import { HubClient, HubError } from "./hub.js";
import type { Options } from "./options.js";
import { loadSetupCode } from "./setup_code.js";

const log = (line: string) => console.log(`matter: ${line}`);

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

// The account behind the token; exits when the hub cannot be reached or refuses the token.
async function checkHub(hub: HubClient, die: (message: string) => never): Promise<string> {
  let lastError = "";
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const me = await hub.call("GET", "/api/v1/me", undefined, 5000);
      const role = me?.effective_role ?? me?.role;
      if (role !== "owner" && role !== "admin") log(`warning: the token's role is ${role}; the bridge needs admin`);
      return String(me?.username ?? "matter");
    } catch (e) {
      if (e instanceof HubError) {
        if (e.status === 401 || e.status === 403) die(`the hub at ${hub.base.origin} refused the token: ${e.status} ${e.code}: ${e.message}`);
        lastError = `${e.status} ${e.code}: ${e.message}`;
      } else {
        lastError = e instanceof Error ? e.message : String(e);
      }
      if (attempt < 3) await sleep(1000);
    }
  }
  die(`cannot reach the hub at ${hub.base.origin}: ${lastError}`);
}

export async function runSidecar(options: Options, die: (message: string) => never) {
  const vars = Environment.default.vars;
  vars.set("log.level", options.logLevel);
  vars.set("log.format", "plain");
  if (options.netInterface) vars.set("mdns.networkInterface", options.netInterface);

  let hub: HubClient;
  try {
    hub = new HubClient(options.hubUrl, options.token, options.caFile);
  } catch (e) {
    die(`LATCHKEY_HUB_CA ${options.caFile}: ${e instanceof Error ? e.message : e}`);
  }
  const account = await checkHub(hub, die);
  let locks;
  try {
    locks = await hub.locks();
  } catch (e) {
    die(`GET /api/v1/locks failed: ${e instanceof Error ? e.message : e}`);
  }
  const { code, created } = loadSetupCode(options.storage);
  log(`${created ? "made a new" : "using the"} setup code of this install (discriminator ${code.discriminator})`);
  log(`hub ${hub.base.origin} as ${account}: ${locks.length} lock(s)`);

  const bridge = new Bridge({ hub, port: options.matterPort, setup: code, relistSeconds: options.relistSeconds, log });
  try {
    await bridge.start(account, locks);
  } catch (e) {
    die(`the Matter node did not start: ${e instanceof Error ? e.stack ?? e.message : e}`);
  }
  let control: Server;
  try {
    control = await startControlServer(bridge, options.controlPort, options.controlSecret, log);
  } catch (e) {
    await bridge.close().catch(() => {});
    die(`control server on 127.0.0.1:${options.controlPort}: ${e instanceof Error ? e.message : e}`);
  }

  const status = bridge.status();
  log(`pairing code ${status.pairing_code}`);
  log(`qr ${status.qr_payload}`);
  log(
    `bridge on UDP port ${options.matterPort}${options.netInterface ? ` (mDNS on ${options.netInterface})` : ""}, ` +
      `control on 127.0.0.1:${options.controlPort}, ${status.commissioned ? `commissioned (${status.commissioned_fabrics?.length ?? 0} fabric(s))` : "waiting to be commissioned"}`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    // Before the hub gives up waiting (5 s, then SIGKILL): the sidecar ends on its own terms.
    const force = setTimeout(() => process.exit(0), 3500);
    force.unref();
    control.close();
    await bridge.close().catch(e => log(`stopping the node: ${e}`));
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}
