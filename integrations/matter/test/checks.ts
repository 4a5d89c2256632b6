// The checks of test/controller.ts: a matter.js controller (ServerNode + ControllerBehavior)
// against the bridge, with the hub's REST API (owner token) as the other side of every check.

import { ControllerBehavior, Endpoint, Environment, Seconds, ServerNode } from "@matter/main";
import { BridgedDeviceBasicInformationClient } from "@matter/main/behaviors/bridged-device-basic-information";
import { DoorLockClient } from "@matter/main/behaviors/door-lock";
import { PowerSourceClient } from "@matter/main/behaviors/power-source";
import { DoorLock } from "@matter/main/clusters/door-lock";
import { PowerSource } from "@matter/main/clusters/power-source";
import { rmSync } from "node:fs";
import { HubClient, HubEvent, HubLock } from "../src/hub.js";
import { lockStateOf } from "../src/mapping.js";
import { defaultInterface } from "../src/options.js";
import type { ControllerArgs } from "./controller.js";

let failures = 0;

function check(name: string, ok: boolean, detail = "") {
  if (!ok) failures++;
  console.log(`[ check ] ${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
}

function measure(name: string, value: number | string, unit = "") {
  console.log(`[ measure ] ${name} = ${value}${unit ? " " + unit : ""}`);
}

function note(line: string) {
  console.log(`controller: ${line}`);
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

// Polls `probe` until it returns something truthy or `ms` pass; resolves with the time it took or undefined.
async function waitFor(probe: () => unknown | Promise<unknown>, ms: number, every = 20): Promise<number | undefined> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (await probe()) return performance.now() - start;
    await sleep(every);
  }
  return (await probe()) ? performance.now() - start : undefined;
}

const pinBytes = (pin: string) => new Uint8Array(Buffer.from(pin, "latin1"));

interface BridgedLock {
  lockId: string;
  endpoint: Endpoint;
}

// Every endpoint of the commissioned node, depth first.
function allEndpoints(root: Endpoint): Endpoint[] {
  const out: Endpoint[] = [];
  const walk = (endpoint: Endpoint) => {
    out.push(endpoint);
    for (const part of endpoint.parts) walk(part);
  };
  walk(root);
  return out;
}

async function historyAfter(hub: HubClient, lockId: string, after: number): Promise<HubEvent[]> {
  const answer = await hub.call("GET", `/api/v1/locks/${encodeURIComponent(lockId)}/events?after=${after}&limit=200`);
  return answer.events as HubEvent[];
}

function errorText(e: unknown) {
  if (e instanceof Error) return `${e.constructor.name}: ${e.message}`;
  return String(e);
}

export async function runChecks(args: ControllerArgs): Promise<number> {
  const vars = Environment.default.vars;
  vars.set("log.level", process.env.LATCHKEY_MATTER_LOG_LEVEL || "error");
  vars.set("log.format", "plain");
  const netInterface = process.env.LATCHKEY_MATTER_INTERFACE || defaultInterface();
  if (netInterface) vars.set("mdns.networkInterface", netInterface);

  const hub = new HubClient(args.hub, args.token, args.ca);
  let hubLocks: HubLock[];
  try {
    hubLocks = await hub.locks();
  } catch (e) {
    console.log(`[ check ] FAIL the hub answers GET /api/v1/locks with the owner token: ${errorText(e)}`);
    return 1;
  }
  check("the hub lists locks", hubLocks.length > 0, `${hubLocks.length} lock(s)`);
  if (!hubLocks.length) return 1;

  const controller = await ServerNode.create(ServerNode.RootEndpoint.with(ControllerBehavior), {
    id: "latchkey-test-controller",
    network: { port: args.port },
    controller: { adminFabricLabel: "latchkey test", ble: false },
  } as any);

  try {
    await controller.start();

    // ---- commissioning ----
    note(`commissioning with ${args.code}${netInterface ? ` (mDNS on ${netInterface})` : ""}`);
    const started = performance.now();
    let node: any;
    try {
      node = await controller.peers.commission({ pairingCode: args.code, timeout: Seconds(90) } as any);
    } catch (e) {
      check("commission with the pairing code", false, errorText(e));
      return 1;
    }
    const commissioningMs = performance.now() - started;
    check("commission with the pairing code", true);
    measure("commissioning_ms", Math.round(commissioningMs), "ms");

    // The bridged locks, by the uniqueId of their BridgedDeviceBasicInformation.
    let bridged: BridgedLock[] = [];
    const findLocks = () => {
      bridged = [];
      for (const endpoint of allEndpoints(node)) {
        const info = endpoint.maybeStateOf(BridgedDeviceBasicInformationClient) as any;
        const lock = endpoint.maybeStateOf(DoorLockClient) as any;
        if (info?.uniqueId && lock) bridged.push({ lockId: info.uniqueId, endpoint });
      }
      return bridged.length >= hubLocks.length;
    };
    await waitFor(findLocks, 15000, 100);
    check(
      "every lock of the hub is a bridged door lock",
      hubLocks.every(l => bridged.some(b => b.lockId === l.id)),
      `hub ${hubLocks.map(l => l.id).join(", ")}; bridge ${bridged.map(b => `${b.lockId}@${b.endpoint.number}`).join(", ")}`,
    );

    // ---- state and battery of every lock ----
    for (const lock of hubLocks) {
      const b = bridged.find(x => x.lockId === lock.id);
      if (!b) continue;
      const doorLock = b.endpoint.stateOf(DoorLockClient) as any;
      const info = b.endpoint.stateOf(BridgedDeviceBasicInformationClient) as any;
      const power = b.endpoint.maybeStateOf(PowerSourceClient) as any;
      check(`${lock.id}: lockState`, doorLock.lockState === lockStateOf(lock.lock_state), `${doorLock.lockState} for ${lock.lock_state}`);
      check(`${lock.id}: lockType deadbolt`, doorLock.lockType === DoorLock.LockType.DeadBolt);
      check(`${lock.id}: nodeLabel is the lock's name`, info.nodeLabel === lock.name, info.nodeLabel);
      check(`${lock.id}: reachable`, info.reachable === (lock.online !== false), String(info.reachable));
      const percent = lock.battery?.percent;
      check(
        `${lock.id}: batPercentRemaining`,
        power !== undefined && power.batPercentRemaining === (typeof percent === "number" ? Math.round(percent * 2) : null),
        `${power?.batPercentRemaining} for ${percent} %`,
      );
      check(`${lock.id}: batChargeLevel`, power?.batChargeLevel === PowerSource.BatChargeLevel.Ok, String(power?.batChargeLevel));
      measure(`${lock.id}.battery_percent`, (power?.batPercentRemaining ?? NaN) / 2, "%");
    }

    // ---- commands on the first lock ----
    const target = bridged.find(b => b.lockId === hubLocks[0].id);
    if (!target) return finish();
    const lockId = target.lockId;
    const path = `/api/v1/locks/${encodeURIComponent(lockId)}`;
    const doorLock = () => target.endpoint.stateOf(DoorLockClient) as any;
    const commands = target.endpoint.commandsOf(DoorLockClient) as any;
    const events = target.endpoint.eventsOf(DoorLockClient) as any;
    const operations: any[] = [];
    const errors: any[] = [];
    events.lockOperation?.on((payload: any) => operations.push(payload));
    events.lockOperationError?.on((payload: any) => errors.push(payload));

    // The PIN, stored on the lock by the owner (409: it is there already).
    const pinAnswer = await hub.request("POST", `${path}/credentials`, { type: "pin", data: args.pin });
    check("the owner adds the PIN to the lock", pinAnswer.status === 201 || pinAnswer.status === 409, `HTTP ${pinAnswer.status}`);

    // Make sure the bolt is locked before the checks begin.
    await hub.request("POST", `${path}/lock`, {});

    // require_pin_for_remote: the attribute follows the hub's setting.
    const patch = await hub.request("PATCH", `${path}/settings`, { require_pin_for_remote: true });
    check("the owner sets require_pin_for_remote", patch.status === 200, `HTTP ${patch.status}`);
    const pinFlagMs = await waitFor(() => doorLock().requirePinForRemoteOperation === true, 5000);
    check("requirePinForRemoteOperation follows the setting", pinFlagMs !== undefined);
    if (pinFlagMs !== undefined) measure("setting_to_attribute_ms", Math.round(pinFlagMs), "ms");

    const lastSeq = async () => ((await hub.call("GET", path)) as HubLock).last_event_seq ?? 0;

    // unlockDoor without a PIN: refused; the bolt stays.
    let seq = await lastSeq();
    try {
      await commands.unlockDoor({});
      check("unlockDoor without PIN is refused", false, "the command succeeded");
    } catch (e) {
      check("unlockDoor without PIN is refused", true, errorText(e));
    }
    check("the lock stayed locked", ((await hub.call("GET", path)) as HubLock).lock_state === "locked");

    // A wrong PIN: refused, and the lock's history shows the attempt by the Matter account.
    const wrong = args.pin === "999999" ? "888888" : "999999";
    seq = await lastSeq();
    const errorsBefore = errors.length;
    try {
      await commands.unlockDoor({ pinCode: pinBytes(wrong) });
      check("unlockDoor with a wrong PIN is refused", false, "the command succeeded");
    } catch (e) {
      check("unlockDoor with a wrong PIN is refused", true, errorText(e));
    }
    const denied = (await historyAfter(hub, lockId, seq)).find(e => e.kind === "lock_operation_error");
    check(
      "history: the wrong PIN is a lock_operation_error by actor matter",
      denied !== undefined && denied.actor === "matter" && denied.error === "invalid_credential" && denied.source === "remote",
      JSON.stringify(denied ? { kind: denied.kind, actor: denied.actor, error: denied.error, source: denied.source } : null),
    );
    const errorMs = await waitFor(() => errors.length > errorsBefore, 3000);
    const errorEvent = errors[errors.length - 1];
    check(
      "LockOperationError event for the wrong PIN",
      errorMs !== undefined &&
        errorEvent.operationSource === DoorLock.OperationSource.Remote &&
        errorEvent.operationError === DoorLock.OperationError.InvalidCredential,
      errorEvent ? JSON.stringify({ source: errorEvent.operationSource, error: errorEvent.operationError, fabric: errorEvent.fabricIndex }) : "none",
    );

    // The right PIN unlocks, and the history shows actor matter.
    seq = await lastSeq();
    const operationsBefore = operations.length;
    let unlockMs: number | undefined;
    try {
      const t0 = performance.now();
      await commands.unlockDoor({ pinCode: pinBytes(args.pin) });
      unlockMs = performance.now() - t0;
      check("unlockDoor with the right PIN succeeds", true);
    } catch (e) {
      check("unlockDoor with the right PIN succeeds", false, errorText(e));
    }
    const afterUnlock = (await hub.call("GET", path)) as HubLock;
    check("the lock is unlocked", afterUnlock.lock_state === "unlocked", afterUnlock.lock_state);
    const granted = (await historyAfter(hub, lockId, seq)).find(e => e.kind === "lock_operation" && e.operation === "unlock");
    check(
      "history: the unlock is a lock_operation by actor matter",
      granted !== undefined && granted.actor === "matter" && granted.source === "remote",
      JSON.stringify(granted ? { actor: granted.actor, source: granted.source, user: granted.user } : null),
    );
    const stateMs = await waitFor(() => doorLock().lockState === DoorLock.LockState.Unlocked, 3000);
    check("lockState reads Unlocked", stateMs !== undefined, String(doorLock().lockState));
    const opMs = await waitFor(() => operations.slice(operationsBefore).some(o => o.lockOperationType === DoorLock.LockOperationType.Unlock), 3000);
    const remoteOp = operations.slice(operationsBefore).find(o => o.lockOperationType === DoorLock.LockOperationType.Unlock);
    check(
      "LockOperation event for the Matter unlock (source Remote, our fabric)",
      opMs !== undefined && remoteOp.operationSource === DoorLock.OperationSource.Remote && remoteOp.fabricIndex !== null,
      remoteOp ? JSON.stringify({ source: remoteOp.operationSource, user: remoteOp.userIndex, fabric: remoteOp.fabricIndex }) : "none",
    );
    if (unlockMs !== undefined) measure("unlock_with_pin_ms", Math.round(unlockMs), "ms");

    // Lock again with the PIN.
    try {
      await commands.lockDoor({ pinCode: pinBytes(args.pin) });
      check("lockDoor with the right PIN succeeds", true);
    } catch (e) {
      check("lockDoor with the right PIN succeeds", false, errorText(e));
    }

    // A keypad unlock at the simulated lock arrives as a LockOperation with source Keypad.
    const keypadBefore = operations.length;
    const keypad = await hub.request("POST", `${path}/sim/keypad`, { keys: `${args.pin}#` });
    check("keypad unlock at the simulated lock", keypad.status === 200 && keypad.body?.result === "granted", JSON.stringify(keypad.body));
    const t0 = performance.now();
    const keypadMs = await waitFor(
      () => operations.slice(keypadBefore).some(o => o.operationSource === DoorLock.OperationSource.Keypad),
      5000,
      5,
    );
    const keypadOp = operations.slice(keypadBefore).find(o => o.operationSource === DoorLock.OperationSource.Keypad);
    check(
      "LockOperation event with source Keypad",
      keypadMs !== undefined && keypadOp.lockOperationType === DoorLock.LockOperationType.Unlock && keypadOp.userIndex === 1,
      keypadOp ? JSON.stringify({ type: keypadOp.lockOperationType, user: keypadOp.userIndex, credentials: keypadOp.credentials }) : "none",
    );
    if (keypadMs !== undefined) measure("keypad_to_matter_event_ms", Math.round(performance.now() - t0), "ms");

    // The lock going offline makes the bridged device unreachable; back online, reachable again.
    const info = () => target.endpoint.stateOf(BridgedDeviceBasicInformationClient) as any;
    const cut = await hub.request("POST", `${path}/sim/network`, { connected: false });
    if (cut.status === 200) {
      const offMs = await waitFor(() => info().reachable === false, 10000);
      check("reachable turns false when the lock goes offline", offMs !== undefined);
      try {
        await commands.lockDoor({ pinCode: pinBytes(args.pin) });
        check("a command to an offline lock fails", false, "it succeeded");
      } catch (e) {
        check("a command to an offline lock fails", true, errorText(e));
      }
      await hub.request("POST", `${path}/sim/network`, { connected: true });
      const onMs = await waitFor(() => info().reachable === true, 20000, 100);
      check("reachable turns true when the lock is back", onMs !== undefined);
    } else {
      note(`sim/network answered HTTP ${cut.status}; reachability not checked`);
    }

    // A lock paired now appears on the bridge without re-commissioning; unpaired, it leaves.
    if (args.pairAddress && args.pairCode) {
      const pairStart = performance.now();
      const paired = await hub.request("POST", "/api/v1/locks", { address: args.pairAddress, setup_code: args.pairCode, name: "Lock 3" });
      const newId: string | undefined = paired.body?.id;
      check("the owner pairs another lock", paired.status >= 200 && paired.status < 300 && !!newId, `HTTP ${paired.status} ${newId ?? JSON.stringify(paired.body)}`);
      if (newId) {
        const hasNew = () => allEndpoints(node).some(e => (e.maybeStateOf(BridgedDeviceBasicInformationClient) as any)?.uniqueId === newId);
        const appearedMs = await waitFor(hasNew, 30000, 50);
        check("the new lock appears on the bridge without re-commissioning", appearedMs !== undefined);
        if (appearedMs !== undefined) {
          measure("pair_to_bridged_endpoint_ms", Math.round(performance.now() - pairStart), "ms");
          const endpoint = allEndpoints(node).find(e => (e.maybeStateOf(BridgedDeviceBasicInformationClient) as any)?.uniqueId === newId)!;
          try {
            await (endpoint.commandsOf(DoorLockClient) as any).lockDoor({});
            check("the new lock obeys lockDoor", true);
          } catch (e) {
            check("the new lock obeys lockDoor", false, errorText(e));
          }
        }
        const removed = await hub.request("DELETE", `/api/v1/locks/${encodeURIComponent(newId)}`);
        check("the owner unpairs it", removed.status >= 200 && removed.status < 300, `HTTP ${removed.status}`);
        const goneMs = await waitFor(() => !hasNew(), 30000, 50);
        check("the unpaired lock leaves the bridge", goneMs !== undefined);
        if (goneMs !== undefined) measure("unpair_to_endpoint_gone_ms", Math.round(goneMs), "ms");
      }
    }

    // Round trip: command -> answer, without PIN (the remote PIN budget is for people, not benchmarks).
    await hub.request("PATCH", `${path}/settings`, { require_pin_for_remote: false });
    await waitFor(() => doorLock().requirePinForRemoteOperation === false, 5000);
    const times: number[] = [];
    let roundFailures = 0;
    for (let i = 0; i < args.rounds; i++) {
      const t = performance.now();
      try {
        if (i % 2 === 0) await commands.lockDoor({});
        else await commands.unlockDoor({});
        times.push(performance.now() - t);
      } catch (e) {
        roundFailures++;
        note(`round ${i}: ${errorText(e)}`);
      }
    }
    check(`${args.rounds} lock/unlock commands succeed`, roundFailures === 0, `${roundFailures} failed`);
    if (times.length) {
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)];
      measure("command_round_trip_median_ms", median.toFixed(1), "ms");
      measure("command_round_trip_max_ms", times[times.length - 1].toFixed(1), "ms");
    }
    await hub.request("POST", `${path}/lock`, {});

    // ---- leave the bridge as it was (unless --keep): our fabric goes ----
    if (!args.keep) {
      try {
        await node.decommission();
        note("decommissioned (our fabric removed from the bridge)");
      } catch (e) {
        note(`decommissioning failed: ${errorText(e)}`);
      }
    }
    return finish();
  } finally {
    await controller.close().catch(() => {});
    rmSync(args.storage, { recursive: true, force: true });
  }

  function finish() {
    console.log(failures === 0 ? "controller: every check passed" : `controller: ${failures} check(s) failed`);
    return failures === 0 ? 0 : 1;
  }
}
