// The Matter bridge's end-to-end test driver: a real matter.js controller that commissions the
// bridge and checks it against the hub (SMART-HOME.md section 1, Tests).
//
//   node integrations/matter/dist/test/controller.js --hub URL --token OWNER_TOKEN --code PAIRING_CODE
//        [--ca PEM] [--pin 123456] [--port 5550] [--rounds 20] [--keep] [--storage DIR] [--no-hub-integration]
//        [--pair-address HOST:PORT --pair-code SETUP-CODE]   (a lock to pair during the test)
//   node integrations/matter/dist/test/controller.js --reconnect --storage DIR --hub URL --token OWNER_TOKEN
//        (after a run with --keep --storage DIR: no commissioning; reconnects to the node commissioned
//        then, from the fabric in DIR, checks it, sends one lockDoor and decommissions)
//
// Prints `[ check ]` and `[ measure ]` lines; exits 0 only when every check passed.
//
// matter.js reads its configuration when first imported: this file sets it (the storage
// folder, no argv) and then loads the checks.

import { config } from "@matter/nodejs/config";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface ControllerArgs {
  hub: string;
  token: string;
  code: string;
  ca?: string;
  pin: string;
  port: number;
  rounds: number;
  keep: boolean;
  // The controller's own storage (its fabric and the commissioned node): a fresh temporary folder,
  // removed at the end, unless --storage names one (then kept, for --reconnect).
  storage: string;
  keepStorage: boolean;
  // Check the hub's GET/POST /api/v1/integrations/matter (off with --no-hub-integration, for a
  // sidecar started by hand next to a hub without --matter).
  hubIntegration: boolean;
  // Do not commission: reconnect to the node commissioned by an earlier run with the same storage.
  reconnect: boolean;
  // A lock waiting to be paired (its link address and setup code): paired during the test, it must
  // appear on the bridge without re-commissioning, and leave it when unpaired.
  pairAddress?: string;
  pairCode?: string;
}

function usage(message: string): never {
  console.error(`controller: ${message}`);
  console.error(
    "usage: node integrations/matter/dist/test/controller.js --hub URL --token OWNER_TOKEN --code PAIRING_CODE [--ca PEM] [--pin 123456] [--port 5550] [--rounds 20] [--keep] [--storage DIR] [--no-hub-integration] [--pair-address HOST:PORT --pair-code SETUP-CODE]",
  );
  console.error("       node integrations/matter/dist/test/controller.js --reconnect --storage DIR --hub URL --token OWNER_TOKEN [--ca PEM] [--port 5550] [--no-hub-integration]");
  process.exit(2);
}

function parseArgs(argv: string[]): ControllerArgs {
  const values: Record<string, string> = {};
  let keep = false;
  let reconnect = false;
  let hubIntegration = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--keep") {
      keep = true;
      continue;
    }
    if (arg === "--no-hub-integration") {
      hubIntegration = false;
      continue;
    }
    if (arg === "--reconnect") {
      reconnect = true;
      continue;
    }
    const match = /^--(hub|token|code|ca|pin|port|rounds|storage|pair-address|pair-code)(?:=(.*))?$/.exec(arg);
    if (!match) usage(`unknown argument ${arg}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) usage(`${arg} needs a value`);
    values[match[1]] = value;
  }
  for (const name of reconnect ? ["hub", "token", "storage"] : ["hub", "token", "code"]) if (!values[name]) usage(`--${name} is required`);
  const code = (values.code ?? "").replace(/[-\s]/g, "");
  if (!reconnect && !/^\d{11}(\d{10})?$/.test(code)) usage(`--code ${values.code}: a manual pairing code has 11 or 21 digits`);
  if (values.storage) mkdirSync(values.storage, { recursive: true, mode: 0o700 });
  const port = Number(values.port ?? 5550);
  const rounds = Number(values.rounds ?? 20);
  if (!Number.isInteger(port) || port < 1 || port > 65535) usage(`--port ${values.port}`);
  if (!Number.isInteger(rounds) || rounds < 1) usage(`--rounds ${values.rounds}`);
  return {
    hub: values.hub,
    token: values.token,
    code,
    ca: values.ca,
    pin: values.pin ?? "123456",
    port,
    rounds,
    keep,
    reconnect,
    hubIntegration,
    pairAddress: values["pair-address"],
    pairCode: values["pair-code"],
    storage: values.storage ? resolve(values.storage) : mkdtempSync(join(tmpdir(), "latchkey-matter-controller-")),
    keepStorage: !!values.storage,
  };
}

const args = parseArgs(process.argv.slice(2));
config.defaultStoragePath = args.storage;
config.loadProcessArgv = false;
config.loadProcessEnv = false;
config.loadConfigFile = false;
config.trapProcessSignals = false;

const { runChecks, runReconnect } = await import("./checks.js");
process.exit(await (args.reconnect ? runReconnect(args) : runChecks(args)));
