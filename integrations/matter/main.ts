// latchkey's Matter bridge sidecar: `node integrations/matter/dist/main.js`, started by the hub
// with the environment described in src/options.ts (and README.md).
//
// matter.js reads its configuration when it is first imported, so this file sets it (storage in
// LATCHKEY_MATTER_STORAGE; no argv, MATTER_* variables, config file or signal handlers of its
// own) before loading the rest.

import { config } from "@matter/nodejs/config";
import { OptionsError, readOptions, type Options } from "./src/options.js";
import { prepareStorage } from "./src/setup_code.js";

function die(message: string): never {
  console.error(`matter: ${message}`);
  process.exit(1);
}

let options: Options;
try {
  options = readOptions();
} catch (e) {
  if (e instanceof OptionsError) die(`${e.message} (the hub sets the sidecar's environment; see integrations/matter/README.md)`);
  throw e;
}
try {
  prepareStorage(options.storage);
} catch (e) {
  die(`storage folder ${options.storage}: ${e instanceof Error ? e.message : e}`);
}

config.defaultStoragePath = options.storage;
config.loadProcessArgv = false;
config.loadProcessEnv = false;
config.loadConfigFile = false;
config.trapProcessSignals = false;

const { runSidecar } = await import("./src/sidecar.js");
await runSidecar(options, die);
