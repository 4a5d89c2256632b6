// What the hub pushes to this account (GET/PATCH /api/v1/me/notifications), for every device
// with push: alarms, unlocks (none, every one, by chosen people, the first of the day) and locks
// offline for longer than a number of minutes. Only changed choices are sent; the hub judges the
// values (a bad one changes nothing) and its message is shown.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import type { NotificationSettings, UnlockChoice } from '../push/types';
import { useAction } from '../useAction';
import { ErrorText } from './ErrorText';
import { NotificationPeople } from './NotificationPeople';

const UNLOCKS: { value: UnlockChoice; label: string }[] = [
  { value: 'off', label: 'Off' },
  { value: 'all', label: 'Every unlock' },
  { value: 'people', label: 'Unlocks by chosen people' },
  { value: 'first_of_day', label: 'The first unlock of the day' },
];

// Offered when "offline for more than" is ticked while it was off.
const DEFAULT_OFFLINE_MINUTES = 30;

export function NotificationChoices() {
  const [stored, setStored] = useState<NotificationSettings | null>(null);
  const [draft, setDraft] = useState<NotificationSettings | null>(null);
  const [offlineOn, setOfflineOn] = useState(false);
  const [minutes, setMinutes] = useState('');
  const [saved, setSaved] = useState('');
  const load = useAction();
  const save = useAction();

  const show = (settings: NotificationSettings) => {
    setStored(settings);
    setDraft(settings);
    setOfflineOn(settings.offline_minutes > 0);
    setMinutes(String(settings.offline_minutes > 0 ? settings.offline_minutes : DEFAULT_OFFLINE_MINUTES));
  };
  useEffect(() => void load.run(async () => show(await api.notificationSettings())), []);

  const set = (change: Partial<NotificationSettings>) => {
    setSaved('');
    setDraft(draft && { ...draft, ...change });
  };

  const submit = (e: Event) => {
    e.preventDefault();
    if (!draft || !stored) return;
    setSaved('');
    const offline = offlineOn ? Number(minutes.trim()) : 0;
    if (offlineOn && (minutes.trim() === '' || !Number.isInteger(offline))) {
      return void save.run(() => Promise.reject(new Error('“Offline for more than” needs a whole number of minutes.')));
    }
    const next: NotificationSettings = { ...draft, offline_minutes: offline };
    const change: Partial<NotificationSettings> = {};
    for (const key of Object.keys(next) as (keyof NotificationSettings)[]) {
      if (JSON.stringify(next[key]) !== JSON.stringify(stored[key])) (change as Record<string, unknown>)[key] = next[key];
    }
    if (Object.keys(change).length === 0) return setSaved('Nothing changed.');
    void save.run(async () => {
      show(await api.patchNotificationSettings(change));
      setSaved('Notification choices saved.');
    });
  };

  return (
    <section class="card" aria-labelledby="notify-choices-title">
      <h2 id="notify-choices-title">What to send</h2>
      <ErrorText error={load.error} />
      {!draft && load.busy && <p class="muted">Loading your choices…</p>}
      {draft && (
        <form onSubmit={submit} noValidate data-testid="notify-choices">
          <div class="check">
            <input id="notify-alarms" type="checkbox" checked={draft.alarms} onChange={(e) => set({ alarms: e.currentTarget.checked })} aria-describedby="notify-alarms-hint" />
            <label for="notify-alarms">Alarms</label>
            <p class="hint" id="notify-alarms-hint">
              Tamper, forced door, jammed bolt, wrong-code lockout, low battery, lockdown, door left ajar.
            </p>
          </div>
          <fieldset>
            <legend>Unlocks</legend>
            {UNLOCKS.map(({ value, label }) => (
              <div class="check" key={value}>
                <input
                  id={`notify-unlocks-${value}`}
                  type="radio"
                  name="notify-unlocks"
                  value={value}
                  checked={draft.unlocks === value}
                  onChange={() => set({ unlocks: value })}
                />
                <label for={`notify-unlocks-${value}`}>{label}</label>
              </div>
            ))}
            {draft.unlocks === 'people' && <NotificationPeople chosen={draft.people} onChange={(people) => set({ people })} />}
          </fieldset>
          <div class="check">
            <input
              id="notify-offline"
              type="checkbox"
              checked={offlineOn}
              onChange={(e) => {
                setSaved('');
                setOfflineOn(e.currentTarget.checked);
              }}
            />
            <label for="notify-offline">A lock is offline for more than</label>
          </div>
          <div class="field inline notify-minutes">
            <label for="notify-offline-minutes" class="visually-hidden">
              Minutes offline
            </label>
            <input
              id="notify-offline-minutes"
              type="number"
              inputMode="numeric"
              min={5}
              max={1440}
              value={minutes}
              disabled={!offlineOn}
              aria-describedby="notify-offline-hint"
              onInput={(e) => {
                setSaved('');
                setMinutes(e.currentTarget.value);
              }}
            />
            <span>minutes</span>
            <p class="hint" id="notify-offline-hint">
              5–1440 minutes.
            </p>
          </div>
          <ErrorText error={save.error} />
          <p aria-live="polite" class="ok-text">
            {saved}
          </p>
          <button type="submit" class="primary" disabled={save.busy}>
            Save choices
          </button>
        </form>
      )}
    </section>
  );
}
