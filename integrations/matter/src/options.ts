// The sidecar's process contract: everything it needs comes from the environment the hub sets.
//
//   LATCHKEY_HUB_URL               http://127.0.0.1:8080 or https://... (required)
//   LATCHKEY_HUB_CA                with https://: a PEM file of the hub's (self-signed) certificate to trust
//   LATCHKEY_TOKEN                 an API token of the account `matter` (role admin) (required)
//   LATCHKEY_MATTER_PORT           the Matter UDP port (default 5540)
//   LATCHKEY_MATTER_STORAGE        a folder (0700) for fabrics and the commissioning data (required)
//   LATCHKEY_MATTER_CONTROL_PORT   the loopback control server's TCP port (required)
//   LATCHKEY_MATTER_CONTROL_SECRET its bearer secret (required)
// Optional, for tests and unusual hosts:
//   LATCHKEY_MATTER_INTERFACE      limit mDNS to this network interface (default: all; `lo` when the
//                                  host has no other interface, as in a test's network namespace)
//   LATCHKEY_MATTER_LOG_LEVEL      matter.js's own log level (default `warn`)
//   LATCHKEY_MATTER_RELIST_S       how often the lock list is read again (default 60)

import { networkInterfaces } from "node:os";

export interface Options {
  hubUrl: URL;
  caFile?: string;
  token: string;
  matterPort: number;
  storage: string;
  controlPort: number;
  controlSecret: string;
  netInterface?: string;
  logLevel: string;
  relistSeconds: number;
}

export class OptionsError extends Error {}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === "") throw new OptionsError(`${name} is not set`);
  return value;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback?: number): number {
  const text = env[name];
  if (text === undefined || text === "") {
    if (fallback === undefined) throw new OptionsError(`${name} is not set`);
    return fallback;
  }
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new OptionsError(`${name}: ${JSON.stringify(text)} is not a port (1..65535)`);
  }
  return value;
}

// With no interface but loopback (a test's network namespace), mDNS must be told to use `lo`:
// matter.js leaves internal interfaces out of its announcements.
export function defaultInterface(): string | undefined {
  const all = networkInterfaces();
  const external = Object.values(all).some(infos => infos?.some(info => !info.internal));
  if (external) return undefined;
  return Object.keys(all).find(name => all[name]?.some(info => info.internal));
}

export function readOptions(env: NodeJS.ProcessEnv = process.env): Options {
  const urlText = required(env, "LATCHKEY_HUB_URL");
  let hubUrl: URL;
  try {
    hubUrl = new URL(urlText);
  } catch {
    throw new OptionsError(`LATCHKEY_HUB_URL: ${JSON.stringify(urlText)} is not a URL`);
  }
  if (hubUrl.protocol !== "http:" && hubUrl.protocol !== "https:") {
    throw new OptionsError(`LATCHKEY_HUB_URL: ${JSON.stringify(urlText)} is neither http:// nor https://`);
  }
  const relist = Number(env.LATCHKEY_MATTER_RELIST_S ?? "60");
  return {
    hubUrl,
    caFile: env.LATCHKEY_HUB_CA || undefined,
    token: required(env, "LATCHKEY_TOKEN"),
    matterPort: port(env, "LATCHKEY_MATTER_PORT", 5540),
    storage: required(env, "LATCHKEY_MATTER_STORAGE"),
    controlPort: port(env, "LATCHKEY_MATTER_CONTROL_PORT"),
    controlSecret: required(env, "LATCHKEY_MATTER_CONTROL_SECRET"),
    netInterface: env.LATCHKEY_MATTER_INTERFACE || defaultInterface(),
    logLevel: env.LATCHKEY_MATTER_LOG_LEVEL || "warn",
    relistSeconds: Number.isFinite(relist) && relist >= 1 ? relist : 60,
  };
}
