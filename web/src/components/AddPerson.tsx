// The "Add person" dialog: name, user type, one credential (PIN, card, finger, face or none) and,
// for scheduled types, a schedule. A new PIN is shown once, here, and never again.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, describeError } from '../api';
import { CREDENTIAL_LABEL, USER_TYPE_LABEL } from '../format';
import { USER_TYPES, type CredentialType, type Lock, type ScheduleKind, type UserType } from '../types';
import { emptySchedule, ScheduleFields, scheduleFrom, type ScheduleDraft } from './ScheduleFields';

interface Props {
  lock: Lock;
  onClose(): void;
  onAdded(): void;
}

type Choice = CredentialType | 'none';
const CHOICES: Choice[] = ['pin', 'rfid', 'fingerprint', 'face', 'none'];
const DATA_LABEL: Record<string, string> = { pin: 'PIN', rfid: 'Card UID', fingerprint: 'Fingerprint template', face: 'Face template' };

/** The schedules a user type needs in this form. */
function scheduleKinds(type: UserType): ScheduleKind[] {
  if (type === 'week_day_schedule') return ['week_day'];
  if (type === 'year_day_schedule') return ['year_day'];
  if (type === 'schedule_restricted') return ['week_day', 'year_day'];
  return [];
}

function randomPin(length: number): string {
  const digits = new Uint8Array(length);
  crypto.getRandomValues(digits);
  return Array.from(digits, (b) => String(b % 10)).join('');
}

export function AddPerson({ lock, onClose, onAdded }: Props) {
  const caps = lock.capabilities;
  const dialog = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState('');
  const [type, setType] = useState<UserType>('unrestricted');
  const [credential, setCredential] = useState<Choice>('pin');
  const [data, setData] = useState('');
  const [week, setWeek] = useState<ScheduleDraft>(emptySchedule);
  const [year, setYear] = useState<ScheduleDraft>(emptySchedule);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [shownPin, setShownPin] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  const choices = CHOICES.filter((c) => c === 'none' || caps.credential_types.includes(c));
  const types = USER_TYPES.filter((t) => t !== 'programming');

  const check = (): string | null => {
    if (!name.trim()) return 'Give the person a name.';
    if ([...name.trim()].length > caps.max_user_name_length) return `A name has at most ${caps.max_user_name_length} characters.`;
    if (credential === 'pin' && !new RegExp(`^[0-9]{${caps.min_pin_length},${caps.max_pin_length}}$`).test(data)) {
      return `A PIN is ${caps.min_pin_length} to ${caps.max_pin_length} digits.`;
    }
    if (credential === 'rfid') {
      const hex = data.replace(/\s/g, '');
      if (!/^([0-9a-fA-F]{2})+$/.test(hex) || hex.length / 2 < caps.rfid_min_bytes || hex.length / 2 > caps.rfid_max_bytes) {
        return `A card UID is ${caps.rfid_min_bytes} to ${caps.rfid_max_bytes} bytes of hex digits (e.g. 04A1B2C3).`;
      }
    }
    if ((credential === 'fingerprint' || credential === 'face') && (data.length < 1 || data.length > 32)) {
      return 'A template reference is 1 to 32 characters.';
    }
    for (const kind of scheduleKinds(type)) {
      const s = scheduleFrom(kind, kind === 'week_day' ? week : year);
      if (typeof s === 'string') return s;
    }
    return null;
  };

  const save = async (e: Event) => {
    e.preventDefault();
    const problem = check();
    if (problem) return setError(problem);
    setBusy(true);
    setError(null);
    const value = credential === 'rfid' ? data.replace(/\s/g, '').toUpperCase() : data;
    let index: number;
    try {
      // The credential first: a duplicate PIN or a full lock then leaves nothing half-made.
      if (credential === 'none') {
        index = (await api.addUser(lock.id, { name: name.trim(), type })).index;
      } else {
        index = (await api.addCredential(lock.id, { type: credential, data: value, user_type: type })).user;
        await api.patchUser(lock.id, index, { name: name.trim() });
      }
    } catch (err) {
      setBusy(false);
      return setError(describeError(err, { credentialType: credential === 'none' ? undefined : credential }));
    }
    try {
      for (const kind of scheduleKinds(type)) {
        const s = scheduleFrom(kind, kind === 'week_day' ? week : year);
        if (typeof s !== 'string') await api.addSchedule(lock.id, index, s);
      }
    } catch (err) {
      setError(`${name.trim()} was added, but the schedule was refused: ${describeError(err)}`);
    }
    setBusy(false);
    onAdded();
    if (credential === 'pin') setShownPin(value);
    setDone(`${name.trim()} was added as user ${index}.`);
    setData('');
  };

  const close = () => {
    setShownPin(null);
    dialog.current?.close();
    onClose();
  };

  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="add-person-title" onCancel={(e) => (e.preventDefault(), close())}>
      <h2 id="add-person-title">Add person</h2>
      {done ? (
        <div class="done">
          <p role="status">{done}</p>
          {shownPin && (
            <div class="new-pin-box">
              <p>Their PIN, shown only this once. Give it to them now:</p>
              <p class="new-pin" data-testid="new-pin">
                {shownPin}
              </p>
            </div>
          )}
          {error && (
            <p role="alert" class="error">
              {error}
            </p>
          )}
          <button type="button" class="primary big" onClick={close} autofocus>
            Done
          </button>
        </div>
      ) : (
        <form onSubmit={(e) => void save(e)} noValidate>
          <div class="field">
            <label for="ap-name">Name</label>
            <input id="ap-name" value={name} maxLength={caps.max_user_name_length * 4} autocomplete="off" required onInput={(e) => setName(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="ap-type">Type</label>
            <select id="ap-type" value={type} onChange={(e) => setType(e.currentTarget.value as UserType)}>
              {types.map((t) => (
                <option key={t} value={t}>
                  {USER_TYPE_LABEL[t]}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="ap-credential">Credential</label>
            <select
              id="ap-credential"
              value={credential}
              onChange={(e) => {
                setCredential(e.currentTarget.value as Choice);
                setData('');
              }}
            >
              {choices.map((c) => (
                <option key={c} value={c}>
                  {c === 'none' ? 'None' : CREDENTIAL_LABEL[c]}
                </option>
              ))}
            </select>
          </div>
          {credential !== 'none' && (
            <div class="field">
              <label for="ap-data">{DATA_LABEL[credential]}</label>
              <div class="inline">
                <input
                  id="ap-data"
                  value={data}
                  autocomplete="off"
                  spellcheck={false}
                  inputMode={credential === 'pin' ? 'numeric' : 'text'}
                  aria-describedby="ap-data-hint"
                  onInput={(e) => setData(e.currentTarget.value)}
                />
                {credential === 'pin' && (
                  <button type="button" onClick={() => setData(randomPin(Math.max(caps.min_pin_length, 6)))}>
                    Generate
                  </button>
                )}
              </div>
              <p id="ap-data-hint" class="hint">
                {credential === 'pin' && `${caps.min_pin_length}–${caps.max_pin_length} digits. It is shown once after saving.`}
                {credential === 'rfid' && 'The card’s identifier in hex, e.g. 04A1B2C3D4E5F6.'}
                {(credential === 'fingerprint' || credential === 'face') && 'The simulated sensor takes any name, e.g. alice.'}
              </p>
            </div>
          )}
          {scheduleKinds(type).includes('week_day') && (
            <ScheduleFields kind="week_day" idPrefix="ap-week" draft={week} timezone={lock.settings.timezone} onChange={setWeek} />
          )}
          {scheduleKinds(type).includes('year_day') && (
            <ScheduleFields kind="year_day" idPrefix="ap-year" draft={year} timezone={lock.settings.timezone} onChange={setYear} />
          )}
          {error && (
            <p role="alert" class="error">
              {error}
            </p>
          )}
          <div class="button-row end">
            <button type="button" onClick={close}>
              Cancel
            </button>
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save'}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
