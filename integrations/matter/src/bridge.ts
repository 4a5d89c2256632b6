// The Matter bridge: one server node with an aggregator and one bridged door lock per lock the
// token sees (SMART-HOME.md section 1), kept in step with the hub through its stream.

import { Endpoint, ServerNode, VendorId } from "@matter/main";
import { BridgedDeviceBasicInformationServer } from "@matter/main/behaviors/bridged-device-basic-information";
import { PowerSourceServer } from "@matter/main/behaviors/power-source";
import { DoorLock } from "@matter/main/clusters/door-lock";
import { PowerSource } from "@matter/main/clusters/power-source";
import { DoorLockDevice } from "@matter/main/devices/door-lock";
import { AggregatorEndpoint } from "@matter/main/endpoints/aggregator";
import { DeviceCommissioner, FabricManager } from "@matter/main/protocol";
import { FabricIndex, Status, StatusResponseError } from "@matter/main/types";
import { HubClient, HubError, HubEvent, HubLock, HubStream } from "./hub.js";
import { CommandOrigin, LatchkeyLockServer, lockServerFor, setLockCommands } from "./lock_server.js";
import {
  alarmOf,
  batteryOf,
  commandStatusOf,
  credentialsOf,
  doorStateOf,
  hasFeature,
  lockStateOf,
  operatingModeOf,
  operationErrorOf,
  operationOf,
  sourceOf,
  userIndexOf,
} from "./mapping.js";
import type { SetupCode } from "./setup_code.js";

export type Log = (line: string) => void;

const LockBattery = PowerSourceServer.with("Battery");

interface Bridged {
  lockId: string;
  endpoint: Endpoint;
  type: typeof LatchkeyLockServer;
  doorSensor: boolean;
  unbolting: boolean;
  lock: HubLock;
  // The last Matter command, so that the lock's event for it names the fabric and node that sent it.
  lastCommand?: { origin: CommandOrigin; at: number };
  // State and events are applied in arrival order.
  queue: Promise<void>;
}

export interface BridgeStatus {
  running: boolean;
  // Absent while the node is being replaced (running false).
  pairing_code?: string;
  qr_payload?: string;
  commissioned?: boolean;
  commissioned_fabrics?: { index: number; label: string; vendor_id: number }[];
  locks: number;
  hub_stream: boolean;
}

export interface BridgeOptions {
  hub: HubClient;
  port: number;
  setup: SetupCode;
  relistSeconds: number;
  log: Log;
}

const clip = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);

function endpointIdOf(lockId: string) {
  return "lock-" + lockId.replace(/[^A-Za-z0-9_-]/g, "_");
}

export class Bridge {
  readonly #options: BridgeOptions;
  readonly #hub: HubClient;
  readonly #log: Log;
  readonly #locks = new Map<string, Bridged>();
  readonly #byEndpoint = new Map<string, string>();
  #server!: ServerNode;
  #aggregator!: Endpoint;
  #stream?: HubStream;
  #streamUp = false;
  #account = "matter";
  #relistTimer?: NodeJS.Timeout;
  #windowTimer?: NodeJS.Timeout;
  #syncing: Promise<void> = Promise.resolve();
  #closing = false;

  constructor(options: BridgeOptions) {
    this.#options = options;
    this.#hub = options.hub;
    this.#log = options.log;
  }

  get server() {
    return this.#server;
  }

  // Builds the node from the hub's lock list; the caller has already checked the hub and token.
  async start(account: string, locks: HubLock[]) {
    this.#account = account;
    setLockCommands({
      lockIdOf: endpointId => this.#byEndpoint.get(endpointId),
      command: (lockId, action, pin, timeoutS, origin) => this.#command(lockId, action, pin, timeoutS, origin),
    });
    await this.#buildNode(locks);

    // A bridge waiting to be commissioned keeps advertising (matter.js closes a window after 15 minutes).
    this.#windowTimer = setInterval(() => {
      if (!this.commissioned) this.openCommissioningWindow().catch(e => this.#log(`commissioning window: ${e}`));
    }, 10 * 60 * 1000);

    this.#stream = new HubStream(this.#hub, {
      connected: () => {
        this.#streamUp = true;
        this.#log("hub stream connected");
        // Whatever changed while the stream was down.
        this.#sync().catch(e => this.#log(`re-list after connect failed: ${e}`));
      },
      disconnected: (reason, retryInMs) => {
        this.#streamUp = false;
        this.#log(`hub stream lost (${reason}); again in ${Math.round(retryInMs / 1000)} s`);
      },
      message: message => this.#onMessage(message),
      refused: status => {
        // A revoked or expired token: the hub restarts the sidecar with a fresh one.
        this.#log(`the hub refused the token on the stream (HTTP ${status}); exiting`);
        void this.close().finally(() => process.exit(1));
      },
    });
    for (const lock of locks) {
      if (typeof lock.last_event_seq === "number") this.#stream.lastSeq.set(lock.id, lock.last_event_seq);
    }
    this.#stream.start();
    this.#relistTimer = setInterval(
      () => this.#sync().catch(e => this.#log(`re-list failed: ${e}`)),
      this.#options.relistSeconds * 1000,
    );
  }

  // The server node with its aggregator and one endpoint per lock, started.
  async #buildNode(locks: HubLock[]) {
    const { port, setup } = this.#options;
    const server = await ServerNode.create({
      id: "latchkey-bridge",
      network: { port },
      commissioning: { passcode: setup.passcode, discriminator: setup.discriminator },
      productDescription: { name: "latchkey bridge", deviceType: AggregatorEndpoint.deviceType },
      basicInformation: {
        vendorName: "latchkey",
        vendorId: VendorId(0xfff1), // the test vendor id: latchkey has no certified vendor id
        productName: "latchkey bridge",
        productLabel: "Door lock bridge",
        nodeLabel: "latchkey",
        hardwareVersion: 1,
        hardwareVersionString: "1",
        softwareVersion: 1,
        softwareVersionString: "0.1.0",
        productId: 0x8000,
        serialNumber: `latchkey-${setup.discriminator}`,
        uniqueId: `latchkey-bridge-${setup.discriminator}`,
      },
    });
    this.#server = server;
    this.#aggregator = new Endpoint(AggregatorEndpoint, { id: "aggregator" });
    await server.add(this.#aggregator);
    for (const lock of locks) await this.#add(lock);
    await server.start();

    // Removing the last fabric makes matter.js reset the node to factory state and bring it back
    // online, commissionable. The reset node does not deliver the bridged endpoints' events any
    // more (matter.js 0.17.9), so the bridge builds a fresh node once the reset is done.
    let decommissioned = false;
    server.lifecycle.decommissioned.on(() => {
      decommissioned = true;
      this.#log("the last fabric is gone: the bridge resets and waits to be commissioned again");
    });
    server.lifecycle.online.on(() => {
      if (!decommissioned || server !== this.#server) return;
      decommissioned = false;
      setTimeout(() => {
        this.#syncing = this.#syncing
          .then(() => this.#rebuild(server))
          .catch(e => {
            this.#log(`rebuilding the Matter node failed: ${e instanceof Error ? e.stack : e}; exiting (the hub restarts the sidecar)`);
            process.exit(1);
          });
      }, 0);
    });
  }

  async #rebuild(old: ServerNode) {
    if (old !== this.#server || this.#closing) return;
    this.#locks.clear();
    this.#byEndpoint.clear();
    await old.close();
    const locks = await this.#hub.locks();
    await this.#buildNode(locks);
    this.#log(`Matter node rebuilt with ${locks.length} lock(s); pairing code ${this.status().pairing_code}`);
  }

  async close() {
    this.#closing = true;
    clearInterval(this.#relistTimer);
    clearInterval(this.#windowTimer);
    this.#stream?.close();
    await this.#syncing.catch(() => {});
    await this.#server?.close();
    this.#hub.close();
  }

  get commissioned(): boolean {
    return this.#server.state.commissioning.commissioned;
  }

  status(): BridgeStatus {
    let codes, fabrics;
    try {
      codes = this.#server.state.commissioning.pairingCodes;
      fabrics = this.#server.env.get(FabricManager).fabrics;
    } catch {
      // Between closing a node and starting its replacement (after the last fabric went): not
      // an error for the caller, the bridge is briefly not running.
      return { running: false, locks: this.#locks.size, hub_stream: this.#streamUp };
    }
    return {
      running: true,
      pairing_code: codes.manualPairingCode,
      qr_payload: codes.qrPairingCode,
      commissioned: this.commissioned,
      commissioned_fabrics: fabrics.map(f => ({ index: f.fabricIndex, label: f.label, vendor_id: f.rootVendorId })),
      locks: this.#locks.size,
      hub_stream: this.#streamUp,
    };
  }

  // A basic commissioning window with the install's passcode (for a second ecosystem). Opening
  // it again while open restarts its 15 minutes.
  async openCommissioningWindow() {
    await this.#server.env.get(DeviceCommissioner).allowBasicCommissioning();
  }

  // Removes a fabric: false when there is none with that index.
  async removeFabric(index: number): Promise<boolean> {
    if (!Number.isInteger(index) || index < 1 || index > 254) return false;
    const fabric = this.#server.env.get(FabricManager).maybeFor(FabricIndex(index));
    if (fabric === undefined) return false;
    this.#log(`removing fabric ${index} (${fabric.label || "no label"})`);
    await fabric.leave();
    return true;
  }

  // ---- locks ----

  #endpointStateOf(lock: HubLock, doorSensor: boolean, unbolting: boolean) {
    const settings = lock.settings ?? {};
    const caps = lock.capabilities ?? {};
    const doorLock: Record<string, unknown> = {
      lockState: lockStateOf(lock.lock_state),
      lockType: DoorLock.LockType.DeadBolt,
      actuatorEnabled: true,
      operatingMode: operatingModeOf(lock.operating_mode ?? settings.operating_mode),
      requirePinForRemoteOperation: !!settings.require_pin_for_remote,
      wrongCodeEntryLimit: Math.max(1, Math.min(255, settings.wrong_code_limit ?? 5)),
      userCodeTemporaryDisableTime: Math.max(1, Math.min(255, settings.lockout_s ?? 60)),
    };
    if (doorSensor) doorLock.doorState = doorStateOf(lock.door_state);
    const bridged = {
      nodeLabel: clip(lock.settings?.name ?? lock.name ?? lock.id, 32),
      reachable: lock.online !== false,
    };
    return {
      doorLock,
      bridgedDeviceBasicInformation: bridged,
      powerSource: batteryOf(lock.battery),
      // Fixed for the endpoint's life (read once, at creation).
      fixed: {
        numberOfTotalUsersSupported: Math.min(65534, caps.max_users ?? 250),
        numberOfPinUsersSupported: Math.min(65534, caps.max_users ?? 250),
        numberOfCredentialsSupportedPerUser: Math.min(255, caps.credentials_per_user ?? 10),
        minPinCodeLength: caps.min_pin_length ?? 6,
        maxPinCodeLength: caps.max_pin_length ?? 12,
        credentialRulesSupport: {
          single: true,
          dual: !!caps.credential_rules?.includes("dual"),
          tri: !!caps.credential_rules?.includes("tri"),
        },
        supportedOperatingModes: {
          normal: false, // bits are inverted: 0 = supported
          vacation: false,
          privacy: false,
          noRemoteLockUnlock: false,
          passage: false,
          alwaysSet: 2047,
        },
        unbolting,
      },
    };
  }

  async #add(lock: HubLock) {
    if (this.#locks.has(lock.id)) return;
    const doorSensor = hasFeature(lock, "door_sensor");
    const unbolting = hasFeature(lock, "unlatch");
    const type = lockServerFor(doorSensor, unbolting);
    const state = this.#endpointStateOf(lock, doorSensor, unbolting);
    const { unbolting: _, ...fixed } = state.fixed;
    const endpointId = endpointIdOf(lock.id);
    const endpoint = new Endpoint(DoorLockDevice.with(BridgedDeviceBasicInformationServer, LockBattery, type), {
      id: endpointId,
      bridgedDeviceBasicInformation: {
        ...state.bridgedDeviceBasicInformation,
        uniqueId: clip(lock.id, 32),
        vendorName: "latchkey",
        productName: "latchkey lock",
      },
      powerSource: {
        status: PowerSource.PowerSourceStatus.Active,
        order: 0,
        description: "Battery",
        batReplaceability: PowerSource.BatReplaceability.UserReplaceable,
        ...state.powerSource,
      },
      doorLock: { ...state.doorLock, ...fixed },
    } as any);
    // State and events that arrive while the endpoint initializes wait for it.
    const added = this.#aggregator.add(endpoint);
    const entry: Bridged = { lockId: lock.id, endpoint, type, doorSensor, unbolting, lock, queue: added.then(() => {}, () => {}) };
    this.#locks.set(lock.id, entry);
    this.#byEndpoint.set(endpointId, lock.id);
    try {
      await added;
    } catch (e) {
      this.#locks.delete(lock.id);
      this.#byEndpoint.delete(endpointId);
      throw e;
    }
    this.#log(
      `bridged lock ${lock.id} "${lock.name}" as endpoint ${endpoint.number}` +
        `${doorSensor ? " (door sensor)" : ""}${unbolting ? " (unbolting)" : ""}`,
    );
  }

  async #remove(lockId: string) {
    const entry = this.#locks.get(lockId);
    if (!entry) return;
    this.#locks.delete(lockId);
    this.#byEndpoint.delete(entry.endpoint.id);
    await entry.queue.catch(() => {});
    await entry.endpoint.delete();
    this.#log(`removed lock ${lockId} from the bridge`);
  }

  async #update(entry: Bridged, lock: HubLock) {
    entry.lock = lock;
    const state = this.#endpointStateOf(lock, entry.doorSensor, entry.unbolting);
    await entry.endpoint.set({
      doorLock: state.doorLock,
      bridgedDeviceBasicInformation: state.bridgedDeviceBasicInformation,
      powerSource: state.powerSource,
    } as any);
  }

  // Runs `work` for one lock after what is already queued for it.
  #enqueue(entry: Bridged, what: string, work: () => Promise<void>) {
    entry.queue = entry.queue.then(work).catch(e => this.#log(`${what} for lock ${entry.lockId} failed: ${e}`));
  }

  // Re-reads the lock list: adds locks that appeared, drops those gone, refreshes the rest.
  // Serialized with adding, removing and rebuilding; a failure is the caller's to log and does not
  // stop what comes after.
  #sync(): Promise<void> {
    const run = this.#syncing.then(async () => {
      if (this.#closing) return;
      const locks = await this.#hub.locks();
      const seen = new Set(locks.map(l => l.id));
      for (const lock of locks) {
        const entry = this.#locks.get(lock.id);
        if (entry) this.#enqueue(entry, "refresh", () => this.#update(entry, lock));
        else await this.#add(lock);
      }
      for (const id of [...this.#locks.keys()]) if (!seen.has(id)) await this.#remove(id);
    });
    this.#syncing = run.catch(() => {});
    return run;
  }

  #onMessage(message: any) {
    const lockId = typeof message?.lock === "string" ? message.lock : undefined;
    if (lockId === undefined) return;
    switch (message.type) {
      case "state": {
        const entry = this.#locks.get(lockId);
        if (entry) {
          this.#enqueue(entry, "state", () => this.#update(entry, message as HubLock));
        } else {
          // A lock this bridge has not seen: paired just now, or newly visible to the token.
          const lock = { ...message, id: lockId } as HubLock;
          this.#syncing = this.#syncing.then(() => this.#add(lock)).catch(e => this.#log(`adding lock ${lockId} failed: ${e}`));
        }
        break;
      }
      case "event": {
        const entry = this.#locks.get(lockId);
        if (entry && message.event) this.#enqueue(entry, "event", () => this.#event(entry, message.event as HubEvent));
        break;
      }
      case "lock_removed":
        this.#syncing = this.#syncing.then(() => this.#remove(lockId)).catch(e => this.#log(`removing lock ${lockId} failed: ${e}`));
        break;
    }
  }

  // The origin of a remote operation this bridge asked for (fabric and node), else nulls.
  #originOf(entry: Bridged, event: HubEvent): CommandOrigin {
    const recent = entry.lastCommand;
    if (event.source === "remote" && event.actor === this.#account && recent && Date.now() - recent.at < 60000) {
      return recent.origin;
    }
    return { fabricIndex: null, sourceNode: null };
  }

  async #event(entry: Bridged, event: HubEvent) {
    const type = entry.type;
    const emit = (name: "lockOperation" | "lockOperationError" | "doorLockAlarm", payload: any) =>
      entry.endpoint.act(agent => {
        const behavior = agent.get(type) as any;
        behavior.events[name].emit(payload, agent.context);
      });
    switch (event.kind) {
      case "lock_operation": {
        const operation = operationOf(event.operation);
        if (operation === undefined) return;
        const origin = this.#originOf(entry, event);
        await emit("lockOperation", {
          lockOperationType: operation,
          operationSource: sourceOf(event.source),
          userIndex: userIndexOf(event),
          fabricIndex: origin.fabricIndex,
          sourceNode: origin.sourceNode,
          credentials: credentialsOf(event),
        });
        break;
      }
      case "lock_operation_error": {
        const operation = operationOf(event.operation) ?? DoorLock.LockOperationType.Unlock;
        const origin = this.#originOf(entry, event);
        await emit("lockOperationError", {
          lockOperationType: operation,
          operationSource: sourceOf(event.source),
          operationError: operationErrorOf(event.error),
          userIndex: userIndexOf(event),
          fabricIndex: origin.fabricIndex,
          sourceNode: origin.sourceNode,
          credentials: credentialsOf(event),
        });
        break;
      }
      case "alarm": {
        const code = alarmOf(event.alarm);
        if (code !== undefined) await emit("doorLockAlarm", { alarmCode: code });
        break;
      }
      case "door_state": {
        // Setting doorState makes the cluster emit DoorStateChange (once per change, however the
        // new state arrives first: this event or the state message).
        const door = doorStateOf(event.door_state);
        if (entry.doorSensor && door !== null) await entry.endpoint.set({ doorLock: { doorState: door } } as any);
        break;
      }
    }
  }

  // ---- commands ----

  async #command(
    lockId: string,
    action: "lock" | "unlock" | "unlatch",
    pin: string | undefined,
    timeoutS: number | undefined,
    origin: CommandOrigin,
  ): Promise<string | undefined> {
    const entry = this.#locks.get(lockId);
    if (entry) entry.lastCommand = { origin, at: Date.now() };
    const body: Record<string, unknown> = {};
    if (pin !== undefined) body.pin = pin;
    if (timeoutS !== undefined) body.timeout_s = timeoutS;
    const what = `${action}${timeoutS !== undefined ? ` (${timeoutS} s)` : ""} of ${lockId} from fabric ${origin.fabricIndex ?? "?"}${pin !== undefined ? " with PIN" : ""}`;
    try {
      const answer = await this.#hub.call("POST", `/api/v1/locks/${encodeURIComponent(lockId)}/${action}`, body, 30000);
      this.#log(`${what}: ok (${answer?.lock_state ?? "?"})`);
      return answer?.lock_state;
    } catch (e) {
      if (e instanceof HubError) {
        const reason = e.reason ? ` (${e.reason})` : "";
        this.#log(`${what}: refused, ${e.code}${reason}`);
        throw new StatusResponseError(`${e.code}${reason}: ${e.message}`, commandStatusOf(e.status, e.code, e.reason));
      }
      this.#log(`${what}: the hub did not answer: ${e instanceof Error ? e.message : e}`);
      throw new StatusResponseError("the hub did not answer", Status.Failure);
    }
  }
}
