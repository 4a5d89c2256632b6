// The bridge's translation of latchkey's lock model into the Door Lock cluster (src/mapping.ts):
// every source of an operation, the duress unlock shown as a plain one and its alarm never sent,
// the alarms controllers get, lock states while moving or jammed, battery levels and PINs.
// Run by CTest (matter.mapping): node --test dist/test/mapping.test.js
import assert from "node:assert/strict";
import { test } from "node:test";
import { DoorLock } from "@matter/main/clusters/door-lock";
import { PowerSource } from "@matter/main/clusters/power-source";
import {
  alarmOf,
  batteryOf,
  credentialsOf,
  lockStateOf,
  operatingModeOf,
  operationOf,
  pinOf,
  sourceOf,
  userIndexOf,
} from "../src/mapping.js";

test("keypad, RFID, biometrics, manual and remote operations keep their source", () => {
  const S = DoorLock.OperationSource;
  assert.equal(sourceOf("keypad"), S.Keypad);
  assert.equal(sourceOf("rfid"), S.Rfid);
  assert.equal(sourceOf("fingerprint"), S.Biometric);
  assert.equal(sourceOf("face"), S.Biometric);
  assert.equal(sourceOf("manual"), S.Manual);
  assert.equal(sourceOf("key"), S.Manual);
  assert.equal(sourceOf("button"), S.Button);
  assert.equal(sourceOf("remote"), S.Remote);
  assert.equal(sourceOf("auto"), S.Auto);
  assert.equal(sourceOf("schedule"), S.Schedule);
  assert.equal(sourceOf("phone"), S.Unspecified);
  assert.equal(sourceOf(undefined), S.Unspecified);
});

test("a duress unlock is an ordinary unlock and its alarm is never sent", () => {
  assert.equal(operationOf("forced_user"), operationOf("unlock"));
  assert.equal(operationOf("forced_user"), DoorLock.LockOperationType.Unlock);
  assert.equal(alarmOf("forced_user"), undefined);
});

test("alarms become DoorLockAlarm codes; the rest have none", () => {
  const A = DoorLock.AlarmCode;
  assert.equal(alarmOf("lock_jammed"), A.LockJammed);
  assert.equal(alarmOf("wrong_code_limit"), A.WrongCodeEntryLimit);
  assert.equal(alarmOf("tamper"), A.FrontEsceutcheonRemoved);
  assert.equal(alarmOf("door_forced_open"), A.DoorForcedOpen);
  assert.equal(alarmOf("door_ajar"), A.DoorAjar);
  for (const none of ["low_battery", "critical_battery", "lockdown", "events_lost", "nonsense", undefined]) {
    assert.equal(alarmOf(none), undefined, String(none));
  }
});

test("lock states: moving or jammed is NotFullyLocked, unknown is null", () => {
  const L = DoorLock.LockState;
  assert.equal(lockStateOf("locked"), L.Locked);
  assert.equal(lockStateOf("unlocked"), L.Unlocked);
  assert.equal(lockStateOf("unlatched"), L.Unlatched);
  for (const moving of ["locking", "unlocking", "jammed"]) assert.equal(lockStateOf(moving), L.NotFullyLocked);
  assert.equal(lockStateOf("unknown"), null);
  assert.equal(operatingModeOf("lockdown"), DoorLock.OperatingMode.Privacy);
  assert.equal(operatingModeOf("no_remote"), DoorLock.OperatingMode.NoRemoteLockUnlock);
});

test("battery, credentials, users and PINs", () => {
  assert.deepEqual(batteryOf({ percent: 80, millivolts: 5600, low: false, critical: false }), {
    batPercentRemaining: 160,
    batVoltage: 5600,
    batChargeLevel: PowerSource.BatChargeLevel.Ok,
    batReplacementNeeded: false,
  });
  assert.equal(batteryOf({ percent: 10, low: true }).batChargeLevel, PowerSource.BatChargeLevel.Warning);
  assert.equal(batteryOf({ percent: 3, low: true, critical: true }).batChargeLevel, PowerSource.BatChargeLevel.Critical);
  assert.equal(batteryOf({ percent: 150 }).batPercentRemaining, 200);
  assert.deepEqual(credentialsOf({ credential: { type: "rfid", index: 4 } } as never), [
    { credentialType: DoorLock.CredentialType.Rfid, credentialIndex: 4 },
  ]);
  assert.equal(credentialsOf({} as never), null);
  assert.equal(userIndexOf({ user: 3 } as never), 3);
  assert.equal(userIndexOf({ user: "all" } as never), null);
  assert.equal(userIndexOf({ user: 0 } as never), null);
  assert.equal(pinOf(new TextEncoder().encode("123456")), "123456");
  assert.equal(pinOf(new Uint8Array()), undefined);
  assert.equal(pinOf(undefined), undefined);
});
