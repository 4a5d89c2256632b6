// The bridge's setup passcode and discriminator: random per install, made on first start and kept
// in the storage folder (SMART-HOME.md: never the test defaults 20202021 / 3840).

import { randomInt } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface SetupCode {
  passcode: number;
  discriminator: number;
}

const TEST_PASSCODE = 20202021;
const TEST_DISCRIMINATOR = 3840;

// Matter Core 5.1.7.1: 1..99999998, and none of the trivial values.
export function validPasscode(passcode: number): boolean {
  if (!Number.isInteger(passcode) || passcode < 1 || passcode > 99999998) return false;
  const forbidden = [
    0, 11111111, 22222222, 33333333, 44444444, 55555555, 66666666, 77777777, 88888888, 99999999, 12345678,
    87654321,
  ];
  return !forbidden.includes(passcode) && passcode !== TEST_PASSCODE;
}

export function validDiscriminator(discriminator: number): boolean {
  return Number.isInteger(discriminator) && discriminator >= 0 && discriminator <= 4095 && discriminator !== TEST_DISCRIMINATOR;
}

export function makeSetupCode(): SetupCode {
  let passcode = 0;
  while (!validPasscode(passcode)) passcode = randomInt(1, 99999999);
  let discriminator = TEST_DISCRIMINATOR;
  while (!validDiscriminator(discriminator)) discriminator = randomInt(0, 4096);
  return { passcode, discriminator };
}

// The storage folder exists and is private (0700).
export function prepareStorage(folder: string) {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
}

// Reads the install's setup code, or makes and keeps one (0600).
export function loadSetupCode(folder: string): { code: SetupCode; created: boolean } {
  const path = join(folder, "setup-code.json");
  if (existsSync(path)) {
    const stored = JSON.parse(readFileSync(path, "utf8"));
    if (validPasscode(stored.passcode) && validDiscriminator(stored.discriminator)) {
      return { code: { passcode: stored.passcode, discriminator: stored.discriminator }, created: false };
    }
    throw new Error(`${path}: not a valid passcode and discriminator; remove the file to make new ones (re-commissioning)`);
  }
  const code = makeSetupCode();
  const temporary = path + ".tmp";
  writeFileSync(temporary, JSON.stringify(code) + "\n", { mode: 0o600 });
  renameSync(temporary, path);
  return { code, created: true };
}
