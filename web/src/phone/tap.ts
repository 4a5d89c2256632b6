// "Unlock here": one operation over Web Bluetooth with this browser's phone key. The first
// session with a lock runs XX and pins the lock's static key under its id; later ones run IK
// with that key. A lock whose key no longer matches (it was reset) fails the handshake: the app
// does not fall back to XX on its own but asks the person (forgetPin). A key the lock says was
// revoked is forgotten.
import { BleLink, WRITE_FRAGMENT } from './ble';
import { operate, type OperateOutcome } from './door';
import { deleteKey, deletePin, existingIdentity, getPin, getRevocations, keyFor, putPin } from './keystore';
import type { PhoneOp } from './messages';

export async function tap(account: string, lockId: string, op: PhoneOp = 'unlock'): Promise<OperateOutcome> {
  const key = await keyFor(account, lockId);
  const me = await existingIdentity();
  if (!key || !me) throw new Error('This browser is not a key for this lock yet.');
  const pin = await getPin(lockId);
  const revocations = await getRevocations(account);
  const link = await BleLink.connect();
  const out = await operate(link, {
    identity: me,
    cert: key.certificate,
    op,
    expectLockId: lockId,
    maxFragment: WRITE_FRAGMENT,
    ...(pin ? { lockKey: pin.key } : {}),
    ...(revocations ? { revocations: revocations.list } : {}),
  });
  if (!pin) await putPin({ lockId, key: out.lockKey, pinnedAt: Date.now() });
  // A revoked key never opens again: forget it, so that the page offers to enroll anew.
  const reason = out.res.error?.reason;
  if (!out.res.ok && (reason === 'revoked' || reason === 'below_epoch')) await deleteKey(key.account, key.lock);
  return out;
}

export const hasPin = async (lockId: string) => (await getPin(lockId)) !== undefined;
export const forgetPin = (lockId: string) => deletePin(lockId);
