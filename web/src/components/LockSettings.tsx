// Settings of one lock (owner, admin): operating mode (privacy, vacation, the emergency lockdown...)
// and the lock's settings with their ranges from LOCK-SEMANTICS.md 2. Only changed values are sent;
// the lock refuses the whole change when one value is bad.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { patchLock } from '../store';
import { SOUND_VOLUMES, type Lock, type Settings } from '../types';
import { useAction } from '../useAction';
import { ModeControl } from './ModeControl';
import { ErrorText } from './ErrorText';

type NumberKey = 'auto_relock_s' | 'wrong_code_limit' | 'lockout_s' | 'lockout_max_s' | 'max_wrong_per_hour' | 'expiring_user_timeout_min' | 'multi_factor_window_s' | 'door_ajar_s';

const NUMBERS: { key: NumberKey; label: string; min: number; max: number; hint: string }[] = [
  { key: 'auto_relock_s', label: 'Auto-relock (seconds)', min: 0, max: 86400, hint: '0 turns auto-relock off.' },
  { key: 'wrong_code_limit', label: 'Wrong-code limit', min: 1, max: 255, hint: 'Wrong attempts before a lockout.' },
  { key: 'lockout_s', label: 'Lockout (seconds)', min: 1, max: 3600, hint: '' },
  { key: 'lockout_max_s', label: 'Longest lockout (seconds)', min: 1, max: 86400, hint: 'Escalating lockouts double up to this.' },
  {
    key: 'max_wrong_per_hour',
    label: 'Wrong attempts per hour, at most',
    min: 1,
    max: 60,
    hint: 'A rolling budget at the door and for remote PINs each, whatever the lockouts allow.',
  },
  { key: 'expiring_user_timeout_min', label: 'Expiring user lasts (minutes)', min: 1, max: 2880, hint: 'After its first use.' },
  { key: 'multi_factor_window_s', label: 'Multi-factor window (seconds)', min: 1, max: 60, hint: '' },
  { key: 'door_ajar_s', label: 'Door-ajar alarm after (seconds)', min: 0, max: 3600, hint: '0: no ajar alarm.' },
];

const BOOLS: { key: 'lockout_escalation' | 'require_pin_for_remote' | 'one_touch_locking'; label: string }[] = [
  { key: 'lockout_escalation', label: 'Escalate repeated lockouts' },
  { key: 'require_pin_for_remote', label: 'Require a PIN for remote commands' },
  { key: 'one_touch_locking', label: 'Outside button locks without a credential' },
];

export function LockSettings({ lock }: { lock: Lock }) {
  const [draft, setDraft] = useState<Settings>(lock.settings);
  const [saved, setSaved] = useState('');
  const action = useAction();
  const clock = useAction();
  const p = `set-${lock.id}`;

  // A real change made elsewhere (another app, the lock) refreshes the form; the stream's state
  // messages bring equal settings in new objects, which must not reset what is being typed.
  const settingsText = JSON.stringify(lock.settings);
  useEffect(() => setDraft(lock.settings), [settingsText]);

  const set = (change: Partial<Settings>) => {
    setSaved('');
    setDraft({ ...draft, ...change });
  };

  const save = (e: Event) => {
    e.preventDefault();
    const change: Partial<Settings> = {};
    for (const [k, v] of Object.entries(draft) as [keyof Settings, unknown][]) {
      if (k !== 'operating_mode' && lock.settings[k] !== v) (change as Record<string, unknown>)[k] = v;
    }
    if (Object.keys(change).length === 0) return setSaved('Nothing changed.');
    void action.run(async () => {
      const settings = await api.patchSettings(lock.id, change);
      patchLock(lock.id, { settings, name: settings.name });
      setSaved('Settings saved.');
    });
  };

  return (
    <section class="card" aria-labelledby={`${p}-title`}>
      <h2 id={`${p}-title`}>Settings</h2>
      <ModeControl lock={lock} />
      <form onSubmit={save} class="settings-form">
        <div class="field">
          <label for={`${p}-name`}>Lock name</label>
          <input id={`${p}-name`} value={draft.name} maxLength={64} required onInput={(e) => set({ name: e.currentTarget.value })} />
        </div>
        <div class="grid2">
          {NUMBERS.map(({ key, label, min, max, hint }) => (
            <div class="field" key={key}>
              <label for={`${p}-${key}`}>{label}</label>
              <input
                id={`${p}-${key}`}
                type="number"
                inputMode="numeric"
                min={key === 'lockout_max_s' ? draft.lockout_s : min}
                max={max}
                value={draft[key]}
                aria-describedby={`${p}-${key}-hint`}
                onInput={(e) => set({ [key]: Number(e.currentTarget.value) } as Partial<Settings>)}
              />
              <p class="hint" id={`${p}-${key}-hint`}>
                {min}–{max}. {hint}
              </p>
            </div>
          ))}
        </div>
        {BOOLS.map(({ key, label }) => (
          <div class="check" key={key}>
            <input id={`${p}-${key}`} type="checkbox" checked={draft[key]} onChange={(e) => set({ [key]: e.currentTarget.checked } as Partial<Settings>)} />
            <label for={`${p}-${key}`}>{label}</label>
          </div>
        ))}
        <div class="grid2">
          <div class="field">
            <label for={`${p}-volume`}>Sound volume</label>
            <select id={`${p}-volume`} value={draft.sound_volume} onChange={(e) => set({ sound_volume: e.currentTarget.value as Settings['sound_volume'] })}>
              {SOUND_VOLUMES.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for={`${p}-tz`}>Time zone</label>
            <input id={`${p}-tz`} value={draft.timezone} list={`${p}-tzs`} aria-describedby={`${p}-tz-hint`} onInput={(e) => set({ timezone: e.currentTarget.value })} />
            <datalist id={`${p}-tzs`}>
              {timeZones().map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
            <p class="hint" id={`${p}-tz-hint`}>
              Schedules follow this zone (e.g. Europe/Berlin).
            </p>
          </div>
        </div>
        <ErrorText error={action.error} />
        <p aria-live="polite" class="ok-text">
          {saved}
        </p>
        <div class="button-row">
          <button type="submit" class="primary" disabled={action.busy}>
            Save settings
          </button>
          <button type="button" disabled={clock.busy} onClick={() => void clock.run(() => api.setClock(lock.id))}>
            Set lock clock from hub
          </button>
        </div>
        <ErrorText error={clock.error} />
      </form>
    </section>
  );
}

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf?.('timeZone') ?? ['UTC'];
}
