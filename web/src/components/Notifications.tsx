// Notifications (every account): Web Push to this device, what the hub sends to the account, and
// the account's devices with push (docs/notifications.md "In the web app").
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { browserSubscription } from '../push/device';
import type { PushSubscriptionRecord } from '../push/types';
import { useAction } from '../useAction';
import { NotificationChoices } from './NotificationChoices';
import { PushDevice } from './PushDevice';
import { PushSubscriptions } from './PushSubscriptions';

export function Notifications() {
  const [records, setRecords] = useState<PushSubscriptionRecord[] | null>(null);
  const [endpoint, setEndpoint] = useState<string | null>(null);
  const list = useAction();

  const reload = () =>
    list.run(async () => {
      const [mine, subscription] = await Promise.all([api.pushSubscriptions(), browserSubscription().catch(() => null)]);
      setRecords(mine);
      setEndpoint(subscription?.endpoint ?? null);
    });
  useEffect(() => void reload(), []);

  return (
    <section class="page" aria-labelledby="notifications-title">
      <h1 id="notifications-title" tabIndex={-1}>
        Notifications
      </h1>
      <p class="muted">
        The hub sends alarms and the unlocks you choose to your phone or computer by Web Push, within seconds, also when the app is closed. Your
        choices hold for every device of yours where push is on.
      </p>
      <PushDevice records={records} endpoint={endpoint} onChanged={reload} />
      <NotificationChoices />
      <PushSubscriptions records={records} endpoint={endpoint} error={list.error} onChanged={reload} />
    </section>
  );
}
