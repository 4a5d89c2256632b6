// Accounts for family and guests (owner only): list, create, change (AccountEdit), delete.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { formatTime } from '../format';
import { AccountEdit } from './AccountEdit';
import { useStore } from '../store';
import type { Account, AccountInput } from '../types';
import { useAction } from '../useAction';
import { ErrorText } from './ErrorText';
import { ConfirmButton } from './ConfirmButton';
import { LockChoices } from './LockChoices';

const ROLE_HINT: Record<string, string> = {
  admin: 'everything but accounts',
  member: 'operates its locks and reads their history',
  guest: 'operates its locks, optionally only between two dates',
};

/** datetime-local (browser local time) to RFC 3339 UTC, and back. */
const toUtc = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function Accounts() {
  const { locks, account: me } = useStore();
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<'admin' | 'member' | 'guest'>('guest');
  const [chosen, setChosen] = useState<string[]>([]);
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const [created, setCreated] = useState('');
  const list = useAction();
  const create = useAction();

  const reload = () => list.run(async () => setAccounts(await api.accounts()));
  useEffect(() => void reload(), []);

  const submit = (e: Event) => {
    e.preventDefault();
    setCreated('');
    const input: AccountInput = { username: username.trim(), password, role };
    if (role !== 'admin' && chosen.length > 0) input.locks = chosen;
    if (role === 'guest') {
      input.valid_from = toUtc(from);
      input.valid_until = toUtc(until);
    }
    if (!/^[A-Za-z0-9._-]{1,32}$/.test(input.username ?? '')) {
      return void create.run(() => Promise.reject(new Error('A username is 1 to 32 letters, digits, ".", "_" or "-".')));
    }
    if (password.length < 10) return void create.run(() => Promise.reject(new Error('A password has at least 10 characters.')));
    if (input.valid_from && input.valid_until && input.valid_from >= input.valid_until) {
      return void create.run(() => Promise.reject(new Error('"Valid from" must be before "Valid until".')));
    }
    void create.run(async () => {
      await api.addAccount(input);
      setCreated(`Account ${input.username} created.`);
      setUsername('');
      setPassword('');
      setChosen([]);
      setFrom('');
      setUntil('');
      await reload();
    });
  };

  const lockNames = (ids?: string[]) =>
    ids === undefined ? 'every lock' : ids.map((id) => locks.find((l) => l.id === id)?.name ?? id).join(', ') || 'no lock';

  return (
    <section class="page" aria-labelledby="accounts-title">
      <h1 id="accounts-title" tabIndex={-1}>
        Accounts
      </h1>
      <ErrorText error={list.error} />
      <ul class="accounts">
        {accounts?.map((a) => (
          <AccountRow key={a.username} account={a} isMe={a.username === me?.username} lockNames={lockNames} onChanged={() => void reload()} />
        ))}
      </ul>

      <form class="card" onSubmit={submit} noValidate aria-labelledby="new-account-title">
        <h2 id="new-account-title">New account</h2>
        <div class="grid2">
          <div class="field">
            <label for="acc-username">Username</label>
            <input id="acc-username" autocomplete="off" autocapitalize="none" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="acc-password">Password</label>
            <input id="acc-password" type="password" autocomplete="new-password" value={password} aria-describedby="acc-password-hint" onInput={(e) => setPassword(e.currentTarget.value)} />
            <p class="hint" id="acc-password-hint">
              At least 10 characters.
            </p>
          </div>
          <div class="field">
            <label for="acc-role">Role</label>
            <select id="acc-role" value={role} aria-describedby="acc-role-hint" onChange={(e) => setRole(e.currentTarget.value as typeof role)}>
              <option value="guest">guest</option>
              <option value="member">member</option>
              <option value="admin">admin</option>
            </select>
            <p class="hint" id="acc-role-hint">
              {ROLE_HINT[role]}
            </p>
          </div>
        </div>
        {role !== 'admin' && (
          <LockChoices idPrefix="acc-lock" legend="Locks (none ticked: every lock)" locks={locks} chosen={chosen} onChange={setChosen} />
        )}
        {role === 'guest' && (
          <div class="grid2">
            <div class="field">
              <label for="acc-from">Valid from</label>
              <input id="acc-from" type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="acc-until">Valid until</label>
              <input id="acc-until" type="datetime-local" value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
            </div>
          </div>
        )}
        <ErrorText error={create.error} />
        <p aria-live="polite" class="ok-text">
          {created}
        </p>
        <button type="submit" class="primary" disabled={create.busy}>
          Create account
        </button>
      </form>
    </section>
  );
}

interface RowProps {
  account: Account;
  isMe: boolean;
  lockNames(ids?: string[]): string;
  onChanged(): void;
}

function AccountRow({ account, isMe, lockNames, onChanged }: RowProps) {
  const action = useAction();
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState('');
  return (
    <li class="card account-row" data-testid="account-row">
      <div>
        <h2 class="h3">{account.username}</h2>
        <p class="user-meta">
          <span class="tag">{account.role}</span> {account.role !== 'owner' && account.role !== 'admin' && <span>{lockNames(account.locks)}</span>}
        </p>
        {(account.valid_from || account.valid_until) && (
          <p class="muted">
            Valid {account.valid_from ? `from ${formatTime(account.valid_from)} ` : ''}
            {account.valid_until ? `until ${formatTime(account.valid_until)}` : ''}
          </p>
        )}
      </div>
      {editing ? (
        <AccountEdit
          account={account}
          onDone={(changed) => {
            setEditing(false);
            setSaved(changed ? `${account.username} saved.` : '');
            if (changed) onChanged();
          }}
        />
      ) : (
        <div class="button-row">
          <button type="button" onClick={() => (setSaved(''), setEditing(true))}>
            Change {account.username}
          </button>
        </div>
      )}
      <p aria-live="polite" class="ok-text">
        {saved}
      </p>
      {account.role !== 'owner' && !isMe && !editing && (
        <div class="button-row">
          <ConfirmButton
            label={`Delete ${account.username}`}
            confirmLabel={`Confirm delete ${account.username}`}
            busy={action.busy}
            onConfirm={() => void action.run(async () => (await api.deleteAccount(account.username), onChanged()))}
          />
        </div>
      )}
      <ErrorText error={action.error} />
    </li>
  );
}
