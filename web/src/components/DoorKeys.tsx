// On the login screen: the doors this browser holds phone keys for, when the app cannot show
// the home screen (the hub is down or out of reach, or the session ended). A phone key opens the
// door over Bluetooth with no hub (PHONE-KEYS.md 2), so the app offers it here too: the account
// last logged in and its locks' names are remembered for this (gone at logout, with the keys).
import { useEffect, useState } from 'preact/hooks';
import { formatTime } from '../format';
import { bluetoothAvailable } from '../phone/ble';
import { expired } from '../phone/keys';
import { keyFor, lastSession, type StoredKey } from '../phone/keystore';
import { ErrorText } from './ErrorText';
import { TapAnswer, usePhoneTap } from './PhoneTap';

interface Door {
  lockId: string;
  name: string;
  key: StoredKey;
}

export function DoorKeys() {
  const [account, setAccount] = useState('');
  const [doors, setDoors] = useState<Door[]>([]);

  useEffect(() => {
    if (!bluetoothAvailable()) return;
    (async () => {
      const session = await lastSession();
      if (!session) return;
      const found: Door[] = [];
      for (const [lockId, name] of Object.entries(session.locks)) {
        const key = await keyFor(session.account, lockId);
        if (key) found.push({ lockId, name, key });
      }
      setAccount(session.account);
      setDoors(found);
    })().catch(() => undefined); // no IndexedDB: nothing to offer
  }, []);

  if (doors.length === 0) return null;
  return (
    <section class="card login-card" aria-labelledby="door-keys-title" data-testid="door-keys">
      <h2 id="door-keys-title">Open a door with this browser</h2>
      <p class="muted">No hub needed: this browser is a key for {account}, over Bluetooth at the door.</p>
      {doors.map((door) => (
        <DoorRow key={door.lockId} account={account} door={door} />
      ))}
    </section>
  );
}

function DoorRow({ account, door }: { account: string; door: Door }) {
  const tap = usePhoneTap(account, door.lockId, door.name);
  const stale = expired(door.key);
  return (
    <div class="door-key" data-testid="door-key" data-lock-id={door.lockId}>
      <button type="button" class="big primary" disabled={tap.busy} onClick={() => void tap.unlock()}>
        {tap.busy ? 'Talking to the lock…' : `Unlock ${door.name} here`}
      </button>
      <p class="hint">
        Key #{door.key.serial}, {stale ? 'expired' : 'valid until'} {formatTime(door.key.notAfter * 1000)}
        {stale && ': log in to renew it.'}
      </p>
      <TapAnswer tap={tap} />
      <ErrorText error={tap.error} />
    </div>
  );
}
