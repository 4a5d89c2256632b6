// One lock: its card, this browser's phone key, and sections for the virtual door (simulated
// locks), people, history and settings, as far as the account's role allows.
import { canManage, canReadHistory, canUseSim, useStore } from '../store';
import { EventFocus } from './EventFocus';
import { History } from './History';
import { Holidays } from './Holidays';
import { LockCard } from './LockCard';
import { LockSettings } from './LockSettings';
import { OfflineCodes } from './OfflineCodes';
import { People } from './People';
import { PhoneKey } from './PhoneKey';
import { UnpairLock } from './UnpairLock';
import { VirtualDoor } from './VirtualDoor';

/** `event`: the seq of an event to show first (the page was opened from a notification). */
export function LockPage({ id, event }: { id: string; event?: number }) {
  const { locks, locksError } = useStore();
  const lock = locks.find((l) => l.id === id);
  if (!lock) {
    return (
      <section class="page">
        <h1 tabIndex={-1}>Lock not found</h1>
        <p>{locksError ?? 'This lock does not exist, or your account cannot see it.'}</p>
        <p>
          <a href="#/">Back to your locks</a>
        </p>
      </section>
    );
  }
  const side = canManage() || canReadHistory();
  return (
    <div class="page lock-page">
      <p class="crumbs">
        <a href="#/">← All locks</a>
      </p>
      <h1 tabIndex={-1}>{lock.name}</h1>
      {event !== undefined && <EventFocus lock={lock} seq={event} />}
      <div class={side ? 'lock-grid' : 'lock-grid single'}>
        <div class="col">
          <LockCard lock={lock} heading="Lock and door" />
          <PhoneKey lock={lock} />
          {lock.simulated && canUseSim() && <VirtualDoor lock={lock} />}
        </div>
        {side && (
          <div class="col">
            {canManage() && <People lock={lock} />}
            {canManage() && <OfflineCodes lock={lock} />}
            {canReadHistory() && <History lock={lock.id} highlight={event} />}
            {canManage() && <LockSettings lock={lock} />}
            {canManage() && <Holidays lock={lock} />}
            {canManage() && <UnpairLock lock={lock} />}
          </div>
        )}
      </div>
    </div>
  );
}
