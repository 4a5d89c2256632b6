// "Push on this device": subscribes this browser with the hub's VAPID key and sends the
// subscription to the hub, or removes it (push/device.ts). It is on when the account's list
// holds this browser's endpoint. Where push cannot work (no PushManager, notifications blocked,
// no push service reachable) the card says why in words.
import { useState } from 'preact/hooks';
import { BLOCKED, deviceName, disablePush, enablePush, notificationsBlocked, pushUnavailable } from '../push/device';
import type { PushSubscriptionRecord } from '../push/types';
import { useAction } from '../useAction';
import { ErrorText } from './ErrorText';

interface Props {
  /** The account's subscriptions; null while they load. */
  records: PushSubscriptionRecord[] | null;
  /** This browser's endpoint, null when it has none. */
  endpoint: string | null;
  onChanged(): Promise<unknown>;
}

export function PushDevice({ records, endpoint, onChanged }: Props) {
  const unavailable = pushUnavailable();
  const [name, setName] = useState(deviceName);
  // What the person asked for while it is being done (the switch shows it, then the outcome).
  const [wanted, setWanted] = useState<boolean | null>(null);
  const [done, setDone] = useState('');
  const action = useAction();
  const mine = endpoint ? records?.find((r) => r.endpoint === endpoint) : undefined;
  const on = mine !== undefined;

  const toggle = (want: boolean) => {
    setDone('');
    setWanted(want);
    void action
      .run(async () => {
        if (want) {
          const record = await enablePush(name, records ?? []);
          setDone(`Push is on: this device gets your notifications, listed as “${record.name}”.`);
        } else {
          await disablePush();
          setDone('Push is off on this device.');
        }
      })
      .then(async (ok) => {
        // A failure shows at once; a success once the list has this browser's endpoint.
        if (!ok) setWanted(null);
        await onChanged();
      })
      .finally(() => setWanted(null));
  };

  return (
    <section class="card" aria-labelledby="push-device-title" data-testid="push-device">
      <h2 id="push-device-title">Push on this device</h2>
      {unavailable ? (
        <p class="notice-text" data-testid="push-unavailable">
          {unavailable}
        </p>
      ) : (
        <>
          <div class="check">
            <input
              id="push-device-on"
              type="checkbox"
              role="switch"
              checked={wanted ?? on}
              disabled={action.busy || records === null}
              aria-describedby="push-device-state"
              onChange={(e) => toggle(e.currentTarget.checked)}
            />
            <label for="push-device-on">Push on this device</label>
            <p class="hint" id="push-device-state">
              {on ? `On, listed as “${mine.name}”.` : 'Off: this device gets no notifications while the app is closed.'}
            </p>
          </div>
          {!on && (
            <div class="field">
              <label for="push-device-name">Name of this device</label>
              <input id="push-device-name" maxLength={64} autocomplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </div>
          )}
          {!on && notificationsBlocked() && !action.error && <p class="notice-text">{BLOCKED}</p>}
          <ErrorText error={action.error} />
          <p aria-live="polite" class="ok-text">
            {done}
          </p>
        </>
      )}
    </section>
  );
}
