// The lock page's "Phone key" section (PHONE-KEYS.md 3, docs/phone-keys.md "The web app as a
// phone"): enroll this browser as a key ("Use this browser as a key"), show the key (serial,
// valid until), renew it when due, and "Unlock here" over Web Bluetooth (PhoneTap.tsx). Where the
// browser has no Web Bluetooth (Safari on iOS, Firefox) it says so and offers the remote unlock
// through the hub instead.
import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api';
import { formatTime } from '../format';
import { bluetoothAvailable } from '../phone/ble';
import { enroll, expired, refreshRevocations, renew, renewIfDue } from '../phone/keys';
import { keyFor, type StoredKey } from '../phone/keystore';
import { hasPin } from '../phone/tap';
import { canManage, patchLock, useStore } from '../store';
import type { Lock } from '../types';
import { ErrorText } from './ErrorText';
import { TapAnswer, usePhoneTap } from './PhoneTap';

type View =
  | { phase: 'loading' }
  | { phase: 'unavailable'; why: string }
  | { phase: 'none' }
  | { phase: 'enrolled'; key: StoredKey; pinned: boolean };

export function PhoneKey({ lock }: { lock: Lock }) {
  const { account } = useStore();
  const username = account?.username ?? '';
  const manager = canManage();
  const bluetooth = bluetoothAvailable();
  const [view, setView] = useState<View>({ phase: 'loading' });
  const [busy, setBusy] = useState<'enroll' | 'renew' | 'remote' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tap = usePhoneTap(username, lock.id, lock.name, (lock_state) => patchLock(lock.id, { lock_state }));
  const titleId = `phone-key-${lock.id}-title`;

  const show = async (key: StoredKey | undefined) => {
    if (!key) return setView({ phase: 'none' });
    setView({ phase: 'enrolled', key, pinned: await hasPin(lock.id) });
  };
  const reshow = () => void keyFor(username, lock.id).then(show);

  useEffect(() => {
    if (!bluetooth || !username) return;
    let live = true;
    (async () => {
      try {
        const key = await keyFor(username, lock.id);
        if (live) await show(key);
        if (!key) return;
        // On the lock's page: renew a key that is running out (quietly; offline keeps the old).
        const renewed = await renewIfDue(key);
        if (live && renewed !== key) await show(renewed);
        if (manager) void refreshRevocations(username).catch(() => undefined);
      } catch (e) {
        if (live) setView({ phase: 'unavailable', why: describeError(e) });
      }
    })();
    return () => {
      live = false;
    };
  }, [username, lock.id, bluetooth]);

  // After a tap: the lock's key may have been pinned (or forgotten).
  useEffect(() => {
    if (view.phase === 'enrolled') reshow();
  }, [tap.answers]);

  const run = async (what: 'enroll' | 'renew' | 'remote', work: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  };

  const enrollHere = () =>
    run('enroll', async () => {
      try {
        await show(await enroll(username, lock.id, manager));
      } catch (e) {
        if ((e as { name?: string })?.name === 'NotSupportedError') {
          throw new Error('This browser’s WebCrypto has no X25519, so it cannot hold a phone key.');
        }
        throw e;
      }
    });

  const renewNow = (key: StoredKey) => run('renew', async () => show(await renew(key)));

  const remoteUnlock = () =>
    run('remote', async () => {
      const done = await api.command(lock.id, 'unlock');
      patchLock(lock.id, { lock_state: done.lock_state });
    });

  if (!bluetooth) {
    const needsPin = lock.settings?.require_pin_for_remote === true;
    return (
      <section class="card" aria-labelledby={titleId} data-testid="phone-key">
        <h2 id={titleId}>Phone key</h2>
        <p class="notice" data-testid="no-bluetooth">
          This browser cannot talk Bluetooth; unlock through the hub instead.
        </p>
        <p class="hint">
          Unlocking at the door without the hub needs Web Bluetooth: Chrome or Edge on Android or on a computer. Safari on iPhone
          and iPad and Firefox do not have it.
        </p>
        {needsPin ? (
          <p class="hint">Use Unlock on the card above: this lock asks for your PIN for remote commands.</p>
        ) : (
          <div class="button-row">
            <button type="button" class="big" disabled={busy !== null} onClick={remoteUnlock}>
              {busy === 'remote' ? 'Unlocking…' : 'Unlock through the hub'}
            </button>
          </div>
        )}
        <ErrorText error={error} />
      </section>
    );
  }

  const now = Date.now() / 1000;
  const idle = busy === null && !tap.busy;
  return (
    <section class="card" aria-labelledby={titleId} data-testid="phone-key" data-answers={tap.answers}>
      <h2 id={titleId}>Phone key</h2>
      {view.phase === 'loading' && <p class="muted">Reading this browser’s keys…</p>}
      {view.phase === 'unavailable' && <p class="error">This browser cannot hold a phone key: {view.why}</p>}
      {view.phase === 'none' && (
        <>
          <p class="muted">
            Let this browser open {lock.name} over Bluetooth at the door, even when the hub or the internet is down. The key stays in
            this browser and is renewed while you are online.
          </p>
          <div class="button-row">
            <button type="button" class="big primary" disabled={!idle} onClick={enrollHere}>
              {busy === 'enroll' ? 'Asking the hub…' : 'Use this browser as a key'}
            </button>
          </div>
        </>
      )}
      {view.phase === 'enrolled' && (
        <>
          <dl class="facts" data-testid="phone-key-state">
            <div>
              <dt>Valid until</dt>
              <dd data-testid="phone-key-until" data-not-after={view.key.notAfter}>
                {formatTime(view.key.notAfter * 1000)}
                {expired(view.key, now) && <span class="tag warn"> expired</span>}
              </dd>
            </div>
            <div>
              <dt>Key</dt>
              <dd data-testid="phone-key-serial" data-serial={view.key.serial}>
                #{view.key.serial}
              </dd>
            </div>
            <div>
              <dt>Lock’s key</dt>
              <dd data-testid="phone-key-pinned">{view.pinned ? 'remembered' : 'learnt at first unlock'}</dd>
            </div>
          </dl>
          <div class="button-row">
            <button type="button" class="big primary" disabled={!idle} onClick={() => void tap.unlock()}>
              {tap.busy ? 'Talking to the lock…' : 'Unlock here'}
            </button>
            {expired(view.key, now) && (
              <button type="button" disabled={!idle} onClick={() => renewNow(view.key)}>
                {busy === 'renew' ? 'Renewing…' : 'Renew the key'}
              </button>
            )}
          </div>
          <p class="hint">Stand at the door: the browser asks which lock to talk to.</p>
        </>
      )}
      <TapAnswer tap={tap} onForgotten={reshow} />
      <ErrorText error={error ?? tap.error} />
    </section>
  );
}
