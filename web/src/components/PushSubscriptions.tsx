// The account's devices with push (GET /api/v1/push/subscriptions): name, since when, the push
// service's last refusal; "Remove" deletes one (this browser's is also unsubscribed).
import { api } from '../api';
import { formatTime } from '../format';
import { disablePush } from '../push/device';
import type { PushSubscriptionRecord } from '../push/types';
import { useAction } from '../useAction';
import { ErrorText } from './ErrorText';

interface Props {
  records: PushSubscriptionRecord[] | null;
  endpoint: string | null;
  error: string | null;
  onChanged(): Promise<unknown>;
}

export function PushSubscriptions({ records, endpoint, error, onChanged }: Props) {
  return (
    <section class="card" aria-labelledby="push-subscriptions-title">
      <h2 id="push-subscriptions-title">Devices with push</h2>
      <ErrorText error={error} />
      {records && records.length === 0 && <p class="muted">No device gets your notifications yet.</p>}
      <ul class="plain">
        {records?.map((r) => (
          <SubscriptionRow key={r.id} record={r} here={r.endpoint === endpoint} onChanged={onChanged} />
        ))}
      </ul>
    </section>
  );
}

function SubscriptionRow({ record, here, onChanged }: { record: PushSubscriptionRecord; here: boolean; onChanged(): Promise<unknown> }) {
  const action = useAction();
  const name = record.name || 'Unnamed device';
  const remove = () =>
    void action.run(async () => {
      if (here) await disablePush();
      else await api.deletePushSubscription(record.id);
      await onChanged();
    });
  return (
    <li class="push-row" data-testid="push-subscription" data-id={record.id}>
      <div>
        <p class="push-name">
          <strong>{name}</strong> {here && <span class="tag ok">this device</span>}
        </p>
        <p class="muted small-text">Since {formatTime(record.created_at)}</p>
        {record.last_error && <p class="bad small-text">Last delivery failed: {record.last_error}</p>}
      </div>
      <button type="button" disabled={action.busy} aria-label={`Remove ${name}`} onClick={remove}>
        Remove
      </button>
      <ErrorText error={action.error} />
    </li>
  );
}
