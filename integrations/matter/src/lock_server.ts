// The Door Lock cluster of a bridged lock. Lock commands go to the hub (the lock decides: the
// sidecar holds no PINs and makes no access decision); user, credential and schedule commands
// are refused, since people and PINs are managed in latchkey.

import { DoorLockServer } from "@matter/main/behaviors/door-lock";
import { DoorLock } from "@matter/main/clusters/door-lock";
import { Status, StatusResponseError } from "@matter/main/types";
import { lockStateOf, pinOf } from "./mapping.js";

// Who sent a command, for the LockOperation event the lock's answer turns into.
export interface CommandOrigin {
  fabricIndex: number | null;
  sourceNode: bigint | number | null;
}

// What the behavior needs of the bridge: the endpoint's lock and a way to run its commands.
export interface LockCommands {
  lockIdOf(endpointId: string): string | undefined;
  // Resolves with the lock's new lock_state once the hub answered; throws StatusResponseError.
  command(lockId: string, action: "lock" | "unlock" | "unlatch", pin: string | undefined, timeoutS: number | undefined, origin: CommandOrigin): Promise<string | undefined>;
}

let commands: LockCommands | undefined;

export function setLockCommands(implementation: LockCommands) {
  commands = implementation;
}

const AllFeatures = DoorLockServer.with("User", "PinCredential", "CredentialOverTheAirAccess", "DoorPositionSensor", "Unbolting");

function refuse(command: string): never {
  throw new StatusResponseError(
    `${command}: users, credentials and schedules are managed in latchkey, not over Matter`,
    Status.UnsupportedCommand,
  );
}

export class LatchkeyLockServer extends AllFeatures {
  // A command waits for the lock; the endpoint's state stays writable meanwhile (stream updates).
  static override readonly lockOnInvoke = false;

  override async lockDoor(request: DoorLock.LockDoorRequest) {
    await this.#run("lock", request.pinCode);
  }

  override async unlockDoor(request: DoorLock.UnlockDoorRequest) {
    await this.#run("unlock", request.pinCode);
  }

  override async unlockWithTimeout(request: DoorLock.UnlockWithTimeoutRequest) {
    await this.#run("unlock", request.pinCode, request.timeout);
  }

  override async unboltDoor(request: DoorLock.UnboltDoorRequest) {
    await this.#run("unlatch", request.pinCode);
  }

  override setUser(): never {
    refuse("SetUser");
  }
  override getUser(): never {
    refuse("GetUser");
  }
  override clearUser(): never {
    refuse("ClearUser");
  }
  override setCredential(): never {
    refuse("SetCredential");
  }
  override getCredentialStatus(): never {
    refuse("GetCredentialStatus");
  }
  override clearCredential(): never {
    refuse("ClearCredential");
  }

  async #run(action: "lock" | "unlock" | "unlatch", pinCode: Uint8Array | undefined, timeoutS?: number) {
    const lockId = commands?.lockIdOf(this.endpoint.id);
    if (commands === undefined || lockId === undefined) {
      throw new StatusResponseError("this endpoint is not bridged to a lock", Status.Failure);
    }
    const context = this.context as unknown as {
      fabric?: number;
      subject?: { kind?: string; id?: bigint | number };
    };
    const origin: CommandOrigin = {
      fabricIndex: context.fabric ?? null,
      sourceNode: context.subject?.kind === "node" && context.subject.id !== undefined ? context.subject.id : null,
    };
    const lockState = await commands.command(lockId, action, pinOf(pinCode), timeoutS, origin);
    const mapped = lockStateOf(lockState);
    if (mapped !== null && mapped !== this.state.lockState) this.state.lockState = mapped;
  }
}

// The cluster as one lock has it: the door sensor and unlatching only where the lock has them.
const variants = new Map<string, typeof LatchkeyLockServer>();

export function lockServerFor(doorSensor: boolean, unbolting: boolean): typeof LatchkeyLockServer {
  const key = `${doorSensor}/${unbolting}`;
  let type = variants.get(key);
  if (type === undefined) {
    const features: string[] = ["User", "PinCredential", "CredentialOverTheAirAccess"];
    if (doorSensor) features.push("DoorPositionSensor");
    if (unbolting) features.push("Unbolting");
    type = (LatchkeyLockServer as any).with(...features) as typeof LatchkeyLockServer;
    variants.set(key, type);
  }
  return type;
}
