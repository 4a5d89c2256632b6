// Credentials and schedules of one person, folded away under a disclosure.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { CREDENTIAL_LABEL } from '../format';
import type { CredentialType, Lock, LockUser, ScheduleKind } from '../types';
import { useAction } from '../useAction';
import { describeSchedule, emptySchedule, ScheduleFields, scheduleFrom } from './ScheduleFields';
import { ErrorText } from './ErrorText';

interface Props {
  lock: Lock;
  user: LockUser;
  onChanged(): void;
}

const ADDABLE: CredentialType[] = ['pin', 'rfid', 'fingerprint', 'face'];

export function UserDetails({ lock, user, onChanged }: Props) {
  const action = useAction();
  const [credType, setCredType] = useState<CredentialType>('pin');
  const [data, setData] = useState('');
  const [newPin, setNewPin] = useState<string | null>(null);
  const [kind, setKind] = useState<ScheduleKind>('week_day');
  const [draft, setDraft] = useState(emptySchedule);
  const p = `ud-${lock.id}-${user.index}`;
  const schedules = [...(user.week_day_schedules ?? []), ...(user.year_day_schedules ?? [])];

  const addCredential = (e: Event) => {
    e.preventDefault();
    const value = credType === 'rfid' ? data.replace(/\s/g, '').toUpperCase() : data;
    void action.run(
      async () => {
        await api.addCredential(lock.id, { type: credType, data: value, user: user.index });
        setNewPin(credType === 'pin' ? value : null);
        setData('');
        onChanged();
      },
      { credentialType: credType },
    );
  };
  const addSchedule = (e: Event) => {
    e.preventDefault();
    const s = scheduleFrom(kind, draft);
    if (typeof s === 'string') return void action.run(() => Promise.reject(new Error(s)));
    void action.run(async () => {
      await api.addSchedule(lock.id, user.index, s);
      onChanged();
    });
  };

  return (
    <details class="user-details">
      <summary>Credentials and schedules</summary>
      <ul class="plain">
        {user.credentials.map((c) => (
          <li key={`${c.type}-${c.index}`}>
            {CREDENTIAL_LABEL[c.type]} {c.index}{' '}
            <button
              type="button"
              class="small"
              disabled={action.busy}
              onClick={() => void action.run(async () => (await api.deleteCredential(lock.id, c.type, c.index), onChanged()))}
            >
              Remove {CREDENTIAL_LABEL[c.type]} {c.index}
            </button>
          </li>
        ))}
        {schedules.map((s) => (
          <li key={`${s.kind}-${s.index}`}>
            {describeSchedule(s)}{' '}
            <button
              type="button"
              class="small"
              disabled={action.busy}
              onClick={() => void action.run(async () => (await api.deleteSchedule(lock.id, user.index, s.kind, s.index ?? 0), onChanged()))}
            >
              Remove schedule {s.index}
            </button>
          </li>
        ))}
      </ul>
      {newPin && (
        <p class="new-pin-box">
          New PIN, shown only now: <strong class="new-pin">{newPin}</strong>{' '}
          <button type="button" class="small" onClick={() => setNewPin(null)}>
            Hide
          </button>
        </p>
      )}
      <form class="mini-form" onSubmit={addCredential}>
        <div class="field">
          <label for={`${p}-ctype`}>Add credential</label>
          <select id={`${p}-ctype`} value={credType} onChange={(e) => setCredType(e.currentTarget.value as CredentialType)}>
            {ADDABLE.filter((t) => lock.capabilities.credential_types.includes(t)).map((t) => (
              <option key={t} value={t}>
                {CREDENTIAL_LABEL[t]}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={`${p}-cdata`}>{credType === 'pin' ? 'New PIN' : credType === 'rfid' ? 'New card UID' : 'New template'}</label>
          <input id={`${p}-cdata`} value={data} autocomplete="off" required onInput={(e) => setData(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={action.busy || !data}>
          Add credential
        </button>
      </form>
      <form class="mini-form" onSubmit={addSchedule}>
        <div class="field">
          <label for={`${p}-skind`}>Add schedule</label>
          <select id={`${p}-skind`} value={kind} onChange={(e) => setKind(e.currentTarget.value as ScheduleKind)}>
            <option value="week_day">Recurring (week days)</option>
            <option value="year_day">Period (from–until)</option>
          </select>
        </div>
        <ScheduleFields kind={kind} idPrefix={`${p}-s`} draft={draft} timezone={lock.settings.timezone} onChange={setDraft} />
        <button type="submit" disabled={action.busy}>
          Add schedule
        </button>
      </form>
      <ErrorText error={action.error} />
    </details>
  );
}
