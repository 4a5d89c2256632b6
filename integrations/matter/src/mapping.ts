// latchkey's lock model (LOCK-SEMANTICS.md) in the Matter Door Lock cluster's terms
// (SMART-HOME.md section 1). Pure functions, no I/O.

import { DoorLock } from "@matter/main/clusters/door-lock";
import { PowerSource } from "@matter/main/clusters/power-source";
import { Status } from "@matter/main/types";
import type { Battery, HubEvent, HubLock } from "./hub.js";

export function lockStateOf(state: string | undefined): DoorLock.LockState | null {
  switch (state) {
    case "locked":
      return DoorLock.LockState.Locked;
    case "unlocked":
      return DoorLock.LockState.Unlocked;
    case "unlatched":
      return DoorLock.LockState.Unlatched;
    case "locking":
    case "unlocking":
    case "jammed":
      return DoorLock.LockState.NotFullyLocked;
    default:
      return null; // unknown: the bolt sensor has not been read yet
  }
}

export function doorStateOf(state: string | undefined): DoorLock.DoorState | null {
  switch (state) {
    case "open":
      return DoorLock.DoorState.DoorOpen;
    case "closed":
      return DoorLock.DoorState.DoorClosed;
    case "ajar":
      return DoorLock.DoorState.DoorAjar;
    case "forced_open":
      return DoorLock.DoorState.DoorForcedOpen;
    default:
      return null;
  }
}

// `lockdown` (beyond Matter) is shown as Privacy: no outside interface works.
export function operatingModeOf(mode: string | undefined): DoorLock.OperatingMode {
  switch (mode) {
    case "vacation":
      return DoorLock.OperatingMode.Vacation;
    case "privacy":
    case "lockdown":
      return DoorLock.OperatingMode.Privacy;
    case "no_remote":
      return DoorLock.OperatingMode.NoRemoteLockUnlock;
    case "passage":
      return DoorLock.OperatingMode.Passage;
    default:
      return DoorLock.OperatingMode.Normal;
  }
}

export function sourceOf(source: string | undefined): DoorLock.OperationSource {
  switch (source) {
    case "keypad":
      return DoorLock.OperationSource.Keypad;
    case "rfid":
      return DoorLock.OperationSource.Rfid;
    case "fingerprint":
    case "face":
      return DoorLock.OperationSource.Biometric;
    case "remote":
      return DoorLock.OperationSource.Remote;
    case "auto":
      return DoorLock.OperationSource.Auto;
    case "manual":
    case "key": // Matter: Manual is "key, thumbturn, handle"
      return DoorLock.OperationSource.Manual;
    case "button":
      return DoorLock.OperationSource.Button;
    case "schedule":
      return DoorLock.OperationSource.Schedule;
    default:
      return DoorLock.OperationSource.Unspecified; // phone keys and anything new
  }
}

// A duress unlock (`forced_user`) is shown as an ordinary unlock: nobody at the door may learn
// from a phone or a speaker that the silent alarm went off.
export function operationOf(operation: string | undefined): DoorLock.LockOperationType | undefined {
  switch (operation) {
    case "lock":
      return DoorLock.LockOperationType.Lock;
    case "unlock":
    case "forced_user":
      return DoorLock.LockOperationType.Unlock;
    case "unlatch":
      return DoorLock.LockOperationType.Unlatch;
    case "non_access":
      return DoorLock.LockOperationType.NonAccessUserEvent;
    default:
      return undefined;
  }
}

export function operationErrorOf(error: string | undefined): DoorLock.OperationError {
  switch (error) {
    case "invalid_credential":
      return DoorLock.OperationError.InvalidCredential;
    case "disabled_user":
      return DoorLock.OperationError.DisabledUserDenied;
    case "restricted":
      return DoorLock.OperationError.Restricted;
    case "insufficient_battery":
      return DoorLock.OperationError.InsufficientBattery;
    default:
      return DoorLock.OperationError.Unspecified; // mode, incomplete, lockout
  }
}

// The alarm a Matter controller sees, or undefined for none. `forced_user` never: see operationOf.
// Battery alarms are PowerSource's batChargeLevel; lockdown and the rest have no Matter code.
export function alarmOf(alarm: string | undefined): DoorLock.AlarmCode | undefined {
  switch (alarm) {
    case "lock_jammed":
      return DoorLock.AlarmCode.LockJammed;
    case "wrong_code_limit":
      return DoorLock.AlarmCode.WrongCodeEntryLimit;
    case "tamper":
      return DoorLock.AlarmCode.FrontEsceutcheonRemoved;
    case "door_forced_open":
      return DoorLock.AlarmCode.DoorForcedOpen;
    case "door_ajar":
      return DoorLock.AlarmCode.DoorAjar;
    case "power_cycled":
      return DoorLock.AlarmCode.LockRadioPowerCycled;
    case "factory_reset":
      return DoorLock.AlarmCode.LockFactoryReset;
    default:
      return undefined;
  }
}

export function credentialTypeOf(type: string | undefined): DoorLock.CredentialType | undefined {
  switch (type) {
    case "programming_pin":
      return DoorLock.CredentialType.ProgrammingPin;
    case "pin":
      return DoorLock.CredentialType.Pin;
    case "rfid":
      return DoorLock.CredentialType.Rfid;
    case "fingerprint":
      return DoorLock.CredentialType.Fingerprint;
    case "face":
      return DoorLock.CredentialType.Face;
    default:
      return undefined;
  }
}

export function credentialsOf(event: HubEvent): DoorLock.Credential[] | null {
  const type = credentialTypeOf(event.credential?.type);
  const index = event.credential?.index;
  if (type === undefined || typeof index !== "number") return null;
  return [{ credentialType: type, credentialIndex: index }];
}

export function userIndexOf(event: HubEvent): number | null {
  return typeof event.user === "number" && event.user >= 1 && event.user <= 0xfffe ? event.user : null;
}

// PowerSource: batPercentRemaining is in half percent; the charge level follows low/critical.
export function batteryOf(battery: Battery | undefined) {
  const percent = battery?.percent;
  return {
    batPercentRemaining:
      typeof percent === "number" ? Math.max(0, Math.min(200, Math.round(percent * 2))) : null,
    batVoltage: typeof battery?.millivolts === "number" ? battery.millivolts : null,
    batChargeLevel: battery?.critical
      ? PowerSource.BatChargeLevel.Critical
      : battery?.low
        ? PowerSource.BatChargeLevel.Warning
        : PowerSource.BatChargeLevel.Ok,
    batReplacementNeeded: !!(battery?.low || battery?.critical),
  };
}

export function hasFeature(lock: HubLock, feature: string) {
  return !!lock.capabilities?.features?.includes(feature);
}

// The hub's refusal of a command as the Matter status of the command's answer. The Door Lock
// cluster has no per-reason status for these: every refusal is FAILURE (the reason is logged, and
// the lock's own denied event reaches controllers as LockOperationError).
export function commandStatusOf(_httpStatus: number, _code: string, _reason?: string): Status {
  return Status.Failure;
}

// A command's PIN: the bytes of its pinCode, which Matter sends as ASCII digits.
export function pinOf(pinCode: Uint8Array | undefined): string | undefined {
  if (pinCode === undefined || pinCode.byteLength === 0) return undefined;
  return Buffer.from(pinCode).toString("latin1");
}
