// One operation at the door: run the session over a link until the lock's `res`.
import type { Bytes } from './bytes';
import { LinkError, type FragmentLink } from './link';
import type { PhoneOp, Response } from './messages';
import type { Pattern } from './noise';
import { PhoneSession } from './session';
import type { KeyPair } from './x25519';

export interface OperateOptions {
  identity: KeyPair;
  cert: Uint8Array;
  revocations?: Uint8Array;
  /** The lock's static key pinned earlier: IK. Without it XX, and the outcome carries the key to pin. */
  lockKey?: Uint8Array;
  /** The lock the person meant: a session with another lock ends before any request. */
  expectLockId?: string;
  op: PhoneOp;
  maxFragment: number;
  /** For the whole operation, from the first write to the res. */
  timeoutMs?: number;
  /** How long the lock may take to begin its answer to the first message once it is written. */
  answerTimeoutMs?: number;
}

export interface OperateOutcome {
  res: Response;
  lockId: string;
  lockKey: Bytes;
  pattern: Pattern;
}

/** Why an operation ended without a res. */
export class DoorError extends Error {
  constructor(
    message: string,
    /** handshake: before the lock proved who it is (with IK: maybe its key changed); wrong_lock; session: after. */
    readonly stage: 'handshake' | 'wrong_lock' | 'session',
    readonly pattern: Pattern,
    /**
     * What ended it: the lock said nothing in time, closed the link, refused a write (io: e.g.
     * another phone holds the door), or sent what the session refuses (protocol).
     */
    readonly cause: 'timeout' | 'closed' | 'io' | 'protocol' = 'protocol',
  ) {
    super(message);
    this.name = 'DoorError';
  }

  /** With IK, the lock would not answer the pinned key: it may have been reset (a new key). */
  get pinnedKeyFailed(): boolean {
    return this.stage === 'handshake' && this.pattern === 'IK' && this.cause !== 'io';
  }
}

export async function operate(link: FragmentLink, o: OperateOptions): Promise<OperateOutcome> {
  const session = new PhoneSession({
    s: o.identity,
    cert: o.cert,
    maxFragment: o.maxFragment,
    ...(o.lockKey ? { lockKey: o.lockKey } : {}),
    ...(o.revocations ? { revocations: o.revocations } : {}),
  });
  const pattern = session.pattern;
  const deadline = Date.now() + (o.timeoutMs ?? 20_000);
  let ready: { lockId: string; lockKey: Bytes } | null = null;
  let answered = false;
  const fail = (why: string, cause: DoorError['cause'] = 'protocol'): never => {
    throw new DoorError(why, ready ? 'session' : 'handshake', pattern, cause);
  };
  const sendAll = async (fragments: Bytes[]) => {
    for (const f of fragments) await link.send(f);
  };
  try {
    await sendAll(await session.start());
    // A lock that cannot read the first message (IK with a key it no longer has) just ends the
    // session; over Bluetooth the phone may hear nothing at all. It answers in milliseconds.
    const answerBy = Date.now() + (o.answerTimeoutMs ?? 6_000);
    for (;;) {
      const left = Math.min(deadline, answered ? deadline : answerBy) - Date.now();
      if (left <= 0) fail('the lock did not answer in time', 'timeout');
      const fragment = await link.receive(left);
      answered = true;
      for (const action of await session.feed(fragment)) {
        switch (action.type) {
          case 'send':
            await link.send(action.fragment);
            break;
          case 'ready':
            ready = { lockId: action.lockId, lockKey: action.lockKey };
            if (o.expectLockId && action.lockId !== o.expectLockId) {
              throw new DoorError(`this is lock ${action.lockId}, not ${o.expectLockId}`, 'wrong_lock', pattern);
            }
            await sendAll(await session.request(o.op));
            break;
          case 'result':
            return { res: action.res, lockId: ready!.lockId, lockKey: ready!.lockKey, pattern };
          case 'close':
            fail(action.reason);
        }
      }
    }
  } catch (e) {
    if (e instanceof DoorError) throw e;
    if (e instanceof LinkError) return fail(e.message, e.kind);
    return fail((e as Error).message ?? String(e));
  } finally {
    link.close();
  }
}
