// Webhooks (owner, admin): where events are POSTed, signed with a secret that is shown once.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { EVENT_KIND_LABEL, formatTime } from '../format';
import { EVENT_KINDS, type Delivery, type EventKind, type Webhook } from '../types';
import { useAction } from '../useAction';
import { ErrorText } from './ErrorText';

export function Webhooks() {
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [url, setUrl] = useState('');
  const [kinds, setKinds] = useState<EventKind[]>([]);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const list = useAction();
  const create = useAction();

  const reload = () => list.run(async () => setHooks(await api.webhooks()));
  useEffect(() => void reload(), []);

  const submit = (e: Event) => {
    e.preventDefault();
    void create.run(async () => {
      const hook = await api.addWebhook({ url: url.trim(), kinds: kinds.length ? kinds : undefined });
      setSecret(hook.secret ? { url: hook.url, secret: hook.secret } : null);
      setUrl('');
      setKinds([]);
      await reload();
    });
  };

  return (
    <section class="page" aria-labelledby="webhooks-title">
      <h1 id="webhooks-title" tabIndex={-1}>
        Webhooks
      </h1>
      <p class="muted">Each event is POSTed as JSON with an X-Latchkey-Signature HMAC-SHA256 header, retried for a day until delivered.</p>
      <ErrorText error={list.error} />
      {hooks && hooks.length === 0 && <p class="muted">No webhook yet.</p>}
      <ul class="plain">
        {hooks?.map((h) => (
          <HookRow key={h.id} hook={h} onChanged={() => void reload()} />
        ))}
      </ul>
      {secret && (
        <div class="card new-pin-box" role="status">
          <p>
            Signing secret for {secret.url}, shown only this once:
          </p>
          <p class="secret">{secret.secret}</p>
          <button type="button" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      )}
      <form class="card" onSubmit={submit} aria-labelledby="new-hook-title">
        <h2 id="new-hook-title">New webhook</h2>
        <div class="field">
          <label for="hook-url">URL</label>
          <input id="hook-url" type="url" required placeholder="http://192.168.1.20:8000/latchkey" value={url} aria-describedby="hook-url-hint" onInput={(e) => setUrl(e.currentTarget.value)} />
          <p class="hint" id="hook-url-hint">
            http:// or https:// (checked against the hub's trusted CAs), with a name, an IP address or localhost.
          </p>
        </div>
        <fieldset>
          <legend>Event kinds (none ticked: all)</legend>
          {EVENT_KINDS.map((k) => (
            <div class="check" key={k}>
              <input id={`hook-kind-${k}`} type="checkbox" checked={kinds.includes(k)} onChange={(e) => setKinds(e.currentTarget.checked ? [...kinds, k] : kinds.filter((x) => x !== k))} />
              <label for={`hook-kind-${k}`}>{EVENT_KIND_LABEL[k]}</label>
            </div>
          ))}
        </fieldset>
        <ErrorText error={create.error} />
        <button type="submit" class="primary" disabled={create.busy}>
          Add webhook
        </button>
      </form>
    </section>
  );
}

function HookRow({ hook, onChanged }: { hook: Webhook; onChanged(): void }) {
  const action = useAction();
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  return (
    <li class="card">
      <h2 class="h3 break">{hook.url}</h2>
      <p class="muted">
        {hook.kinds?.length ? hook.kinds.map((k) => EVENT_KIND_LABEL[k]).join(', ') : 'All events'} · since {formatTime(hook.created_at)}
      </p>
      <div class="button-row">
        <button type="button" disabled={action.busy} onClick={() => void action.run(async () => setDeliveries(await api.deliveries(hook.id)))}>
          Show deliveries
        </button>
        <button type="button" class="danger" disabled={action.busy} onClick={() => void action.run(async () => (await api.deleteWebhook(hook.id), onChanged()))}>
          Delete webhook
        </button>
      </div>
      {deliveries && (
        <ul class="plain small-text">
          {deliveries.length === 0 && <li>No deliveries yet.</li>}
          {deliveries.map((d) => (
            <li key={d.id}>
              {formatTime(d.created_at)}: event {d.seq} — {d.status}, {d.attempts} attempt(s){d.last_error ? ` (${d.last_error})` : ''}
            </li>
          ))}
        </ul>
      )}
      <ErrorText error={action.error} />
    </li>
  );
}
