// API tokens (every account): long-lived tokens for integrations such as Home Assistant or a
// script, never wider than their creator (the hub refuses a wider role or lock list). A new
// token is shown once; the hub keeps only its hash. Revoking one ends its open streams at once.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { formatTime } from '../format';
import { role as myRole, useStore } from '../store';
import type { ApiToken, Role } from '../types';
import { useAction } from '../useAction';
import { ErrorText } from './ErrorText';
import { LockChoices } from './LockChoices';
import { ConfirmButton } from './ConfirmButton';

// Widest first: a token may take the creator's role or any narrower one.
const ROLES: Role[] = ['owner', 'admin', 'member', 'guest'];

export function Tokens() {
  const { locks } = useStore();
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [name, setName] = useState('');
  const [tokenRole, setTokenRole] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [expires, setExpires] = useState('');
  const [made, setMade] = useState<{ name: string; token: string } | null>(null);
  const list = useAction();
  const create = useAction();
  const roles = ROLES.slice(ROLES.indexOf(myRole() as Role));

  const reload = () => list.run(async () => setTokens(await api.tokens()));
  useEffect(() => void reload(), []);

  const submit = (e: Event) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return void create.run(() => Promise.reject(new Error('A token needs a name.')));
    const expiresAt = expires ? new Date(expires).toISOString() : undefined;
    if (expiresAt && expiresAt <= new Date().toISOString()) {
      return void create.run(() => Promise.reject(new Error('"Expires" must be in the future.')));
    }
    void create.run(async () => {
      const answer = await api.addToken({
        name: trimmed,
        role: (tokenRole || undefined) as Role | undefined,
        locks: chosen.length ? chosen : undefined,
        expires_at: expiresAt,
      });
      setMade({ name: trimmed, token: answer.token });
      setName('');
      setTokenRole('');
      setChosen([]);
      setExpires('');
      await reload();
    });
  };

  const lockNames = (ids?: string[]) =>
    ids === undefined ? 'every lock it may see' : ids.map((id) => locks.find((l) => l.id === id)?.name ?? id).join(', ');

  return (
    <section class="page" aria-labelledby="tokens-title">
      <h1 id="tokens-title" tabIndex={-1}>
        API tokens
      </h1>
      <p class="muted">
        For integrations and scripts: send it as <code>Authorization: Bearer …</code>. A token acts as you, narrowed to the role and locks chosen
        here.
      </p>
      <ErrorText error={list.error} />
      {tokens && tokens.length === 0 && <p class="muted">No API token yet.</p>}
      <ul class="plain">
        {tokens?.map((t) => (
          <TokenRow key={t.id} token={t} lockNames={lockNames} onChanged={() => void reload()} />
        ))}
      </ul>
      {made && (
        <div class="card new-pin-box" role="status" data-testid="new-token">
          <p>Token "{made.name}", shown only this once:</p>
          <p class="secret">{made.token}</p>
          <button type="button" onClick={() => setMade(null)}>
            Done
          </button>
        </div>
      )}
      <form class="card" onSubmit={submit} noValidate aria-labelledby="new-token-title">
        <h2 id="new-token-title">New API token</h2>
        <div class="grid2">
          <div class="field">
            <label for="token-name">Name</label>
            <input id="token-name" autocomplete="off" maxLength={64} placeholder="Home Assistant" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="token-role">Role</label>
            <select id="token-role" value={tokenRole} onChange={(e) => setTokenRole(e.currentTarget.value)}>
              <option value="">mine ({myRole()})</option>
              {roles.slice(1).map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="token-expires">Expires</label>
            <input id="token-expires" type="datetime-local" value={expires} aria-describedby="token-expires-hint" onInput={(e) => setExpires(e.currentTarget.value)} />
            <p class="hint" id="token-expires-hint">
              Empty: until revoked.
            </p>
          </div>
        </div>
        <LockChoices idPrefix="token-lock" legend="Locks (none ticked: every lock you may see)" locks={locks} chosen={chosen} onChange={setChosen} />
        <ErrorText error={create.error} />
        <button type="submit" class="primary" disabled={create.busy}>
          Create token
        </button>
      </form>
    </section>
  );
}

interface RowProps {
  token: ApiToken;
  lockNames(ids?: string[]): string;
  onChanged(): void;
}

function TokenRow({ token, lockNames, onChanged }: RowProps) {
  const action = useAction();
  return (
    <li class="card account-row" data-testid="token-row">
      <div>
        <h2 class="h3 break">{token.name}</h2>
        <p class="user-meta">
          {token.role && <span class="tag">{token.role}</span>} <span>{lockNames(token.locks)}</span>
        </p>
        <p class="muted">
          Made {formatTime(token.created_at)}
          {token.expires_at ? `, expires ${formatTime(token.expires_at)}` : ', no expiry'}
        </p>
      </div>
      <div class="button-row">
        <ConfirmButton
          label={`Revoke ${token.name}`}
          confirmLabel={`Confirm revoke ${token.name}`}
          busy={action.busy}
          onConfirm={() => void action.run(async () => (await api.deleteToken(token.id), onChanged()))}
        />
      </div>
      <ErrorText error={action.error} />
    </li>
  );
}
