// The operating mode of a lock. Entering the emergency lockdown asks for a second click.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { MODE_LABEL } from '../format';
import { patchLock } from '../store';
import { OPERATING_MODES, type Lock, type OperatingMode } from '../types';
import { useAction } from '../useAction';
import { ErrorText } from './ErrorText';

const MODE_HINT: Record<OperatingMode, string> = {
  normal: 'Everything works.',
  vacation: 'Only the app and the programming PIN; cards, fingers and faces are refused.',
  privacy: 'Only while locked: nobody outside and no remote command can open; the thumbturn inside still works.',
  no_remote: 'Remote lock and unlock are refused.',
  passage: 'The lock stays open; no credential needed.',
  lockdown: 'Emergency: locks now and refuses every credential; only owner/admin app commands and the key work.',
};

export function ModeControl({ lock }: { lock: Lock }) {
  const action = useAction();
  const [confirm, setConfirm] = useState(false);
  const name = `mode-${lock.id}`;

  const setMode = (mode: OperatingMode) => {
    if (mode === 'lockdown' && !confirm) return setConfirm(true);
    setConfirm(false);
    void action.run(async () => {
      const settings = await api.patchSettings(lock.id, { operating_mode: mode });
      patchLock(lock.id, { settings, operating_mode: settings.operating_mode });
    });
  };

  return (
    <fieldset class="modes">
      <legend>Mode</legend>
      {OPERATING_MODES.map((mode) => (
        <div class={`check mode-${mode}`} key={mode}>
          <input
            type="radio"
            id={`${name}-${mode}`}
            name={name}
            value={mode}
            checked={lock.operating_mode === mode}
            disabled={action.busy}
            aria-describedby={`${name}-${mode}-hint`}
            onChange={() => setMode(mode)}
          />
          <label for={`${name}-${mode}`}>{MODE_LABEL[mode]}</label>
          <p class="hint" id={`${name}-${mode}-hint`}>
            {MODE_HINT[mode]}
          </p>
        </div>
      ))}
      {confirm && (
        <div class="confirm" role="alert">
          <p>Lock down {lock.name}? Every credential stops working until you set another mode.</p>
          <div class="button-row">
            <button type="button" class="danger" onClick={() => setMode('lockdown')}>
              Confirm lockdown
            </button>
            <button type="button" onClick={() => setConfirm(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <ErrorText error={action.error} />
    </fieldset>
  );
}
