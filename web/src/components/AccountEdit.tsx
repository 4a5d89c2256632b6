// Changing an account after it was made (owner only): its role, its locks, a guest's window and
// a new password. Only what changed is sent; a lifted restriction is sent as null (docs/hub.md).
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useStore } from '../store';
import type { Account, AccountInput } from '../types';
import { useAction } from '../useAction';
import { ErrorText } from './ErrorText';
import { LockChoices } from './LockChoices';

type EditableRole = 'admin' | 'member' | 'guest';
type Patch = Omit<AccountInput, 'locks' | 'valid_from' | 'valid_until'> & {
  locks?: string[] | null;
  valid_from?: string | null;
  valid_until?: string | null;
};

/** RFC 3339 to a datetime-local value in the browser's time zone, and back. */
function toLocal(utc?: string): string {
  if (!utc) return '';
  const d = new Date(utc);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
const toUtc = (local: string) => (local ? new Date(local).toISOString() : null);

interface Props {
  account: Account;
  onDone(changed: boolean): void;
}

export function AccountEdit({ account, onDone }: Props) {
  const { locks } = useStore();
  const id = `edit-${account.username}`;
  const [role, setRole] = useState<EditableRole>(account.role === 'owner' ? 'admin' : account.role);
  const [chosen, setChosen] = useState<string[]>(account.locks ?? []);
  const [from, setFrom] = useState(toLocal(account.valid_from));
  const [until, setUntil] = useState(toLocal(account.valid_until));
  const [password, setPassword] = useState('');
  const save = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    const patch: Patch = {};
    if (role !== account.role) patch.role = role;
    // Admins reach every lock; for the others no ticked lock means every lock.
    const wanted = role === 'admin' || chosen.length === 0 ? null : chosen;
    const had = account.locks ?? null;
    if (JSON.stringify(wanted) !== JSON.stringify(had)) patch.locks = wanted;
    const validFrom = role === 'guest' ? toUtc(from) : null;
    const validUntil = role === 'guest' ? toUtc(until) : null;
    if (validFrom !== toUtc(toLocal(account.valid_from))) patch.valid_from = validFrom;
    if (validUntil !== toUtc(toLocal(account.valid_until))) patch.valid_until = validUntil;
    if (password) patch.password = password;
    if (password && password.length < 10) {
      return void save.run(() => Promise.reject(new Error('A password has at least 10 characters.')));
    }
    if (validFrom && validUntil && validFrom >= validUntil) {
      return void save.run(() => Promise.reject(new Error('"Valid from" must be before "Valid until".')));
    }
    if (Object.keys(patch).length === 0) return onDone(false);
    void save.run(async () => {
      await api.patchAccount(account.username, patch as AccountInput);
      onDone(true);
    });
  };

  return (
    <form class="account-edit" onSubmit={submit} noValidate aria-label={`Change ${account.username}`}>
      <div class="grid2">
        {account.role !== 'owner' && (
          <div class="field">
            <label for={`${id}-role`}>Role</label>
            <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.currentTarget.value as EditableRole)}>
              <option value="guest">guest</option>
              <option value="member">member</option>
              <option value="admin">admin</option>
            </select>
          </div>
        )}
        <div class="field">
          <label for={`${id}-password`}>New password</label>
          <input
            id={`${id}-password`}
            type="password"
            autocomplete="new-password"
            value={password}
            aria-describedby={`${id}-password-hint`}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <p class="hint" id={`${id}-password-hint`}>
            Leave empty to keep the password. At least 10 characters.
          </p>
        </div>
      </div>
      {account.role !== 'owner' && role !== 'admin' && (
        <LockChoices idPrefix={`${id}-lock`} legend="Locks (none ticked: every lock)" locks={locks} chosen={chosen} onChange={setChosen} />
      )}
      {role === 'guest' && account.role !== 'owner' && (
        <div class="grid2">
          <div class="field">
            <label for={`${id}-from`}>Valid from</label>
            <input id={`${id}-from`} type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for={`${id}-until`}>Valid until</label>
            <input id={`${id}-until`} type="datetime-local" value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
          </div>
        </div>
      )}
      <ErrorText error={save.error} />
      <div class="button-row">
        <button type="submit" class="primary" disabled={save.busy}>
          Save {account.username}
        </button>
        <button type="button" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
