// Holidays of one lock (owner, admin): periods in which the lock runs in another mode (vacation
// over Christmas, passage during a party), LOCK-SEMANTICS.md 5. Times are the lock's local times.
// Lockdown is not offered: the lock refuses it as a holiday mode (docs/lock-choices.md).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { MODE_LABEL } from '../format';
import { OPERATING_MODES, type Holiday, type Lock, type OperatingMode } from '../types';
import { useAction } from '../useAction';
import { ErrorText } from './ErrorText';

const MODES = OPERATING_MODES.filter((m) => m !== 'lockdown');
const shown = (t: string) => t.replace('T', ' ');

export function Holidays({ lock }: { lock: Lock }) {
  const [holidays, setHolidays] = useState<Holiday[] | null>(null);
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const [mode, setMode] = useState<OperatingMode>('vacation');
  const list = useAction();
  const add = useAction();
  const p = `hol-${lock.id}`;

  const reload = () => list.run(async () => setHolidays(await api.holidays(lock.id)));
  useEffect(() => void reload(), [lock.id]);

  const submit = (e: Event) => {
    e.preventDefault();
    if (!from || !until) return void add.run(() => Promise.reject(new Error('Give both the start and the end.')));
    if (from >= until) return void add.run(() => Promise.reject(new Error('The holiday must start before it ends.')));
    void add.run(async () => {
      await api.addHoliday(lock.id, { start: from.slice(0, 16), end: until.slice(0, 16), operating_mode: mode });
      setFrom('');
      setUntil('');
      await reload();
    });
  };

  return (
    <section class="card" aria-labelledby={`${p}-title`} data-testid="holidays">
      <h2 id={`${p}-title`}>Holidays</h2>
      <p class="muted">The lock runs in another mode between two dates (lock time, {lock.settings.timezone}).</p>
      <ErrorText error={list.error} />
      {holidays && holidays.length === 0 && <p class="muted">No holiday.</p>}
      <ul class="plain">
        {holidays?.map((h) => (
          <HolidayRow key={h.index} lock={lock} holiday={h} onChanged={() => void reload()} />
        ))}
      </ul>
      <form onSubmit={submit} noValidate aria-label="New holiday">
        <div class="grid2">
          <div class="field">
            <label for={`${p}-from`}>Holiday from</label>
            <input id={`${p}-from`} type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for={`${p}-until`}>Holiday until</label>
            <input id={`${p}-until`} type="datetime-local" value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for={`${p}-mode`}>Mode during the holiday</label>
            <select id={`${p}-mode`} value={mode} onChange={(e) => setMode(e.currentTarget.value as OperatingMode)}>
              {MODES.map((m) => (
                <option key={m} value={m}>
                  {MODE_LABEL[m]}
                </option>
              ))}
            </select>
          </div>
        </div>
        <ErrorText error={add.error} />
        <button type="submit" disabled={add.busy}>
          Add holiday
        </button>
      </form>
    </section>
  );
}

function HolidayRow({ lock, holiday, onChanged }: { lock: Lock; holiday: Holiday; onChanged(): void }) {
  const action = useAction();
  return (
    <li class="holiday-row" data-testid="holiday-row">
      <span>
        {shown(holiday.start)} – {shown(holiday.end)}: <strong>{MODE_LABEL[holiday.operating_mode] ?? holiday.operating_mode}</strong>
      </span>
      <button type="button" disabled={action.busy} onClick={() => void action.run(async () => (await api.deleteHoliday(lock.id, holiday.index), onChanged()))}>
        Remove holiday {holiday.index}
      </button>
      <ErrorText error={action.error} />
    </li>
  );
}
