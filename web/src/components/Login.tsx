// The login screen. A failed login is announced in a role="alert" message. Below it, the doors this
// browser is a phone key for, which open without the hub (DoorKeys).
import { useState } from 'preact/hooks';
import { login } from '../store';
import { useAction } from '../useAction';
import { DoorKeys } from './DoorKeys';
import { ErrorText } from './ErrorText';

export function Login() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(() => login(username.trim(), password), { login: true });
  };

  return (
    <main class="login">
      <form class="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <img src="/icons/icon.svg" alt="" width={64} height={64} class="login-logo" />
        <h1 id="login-title">latchkey</h1>
        <p class="muted">Log in to your home’s locks.</p>
        <label for="login-username">Username</label>
        <input
          id="login-username"
          name="username"
          autocomplete="username"
          autocapitalize="none"
          spellcheck={false}
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <label for="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <ErrorText error={action.error} />
        <button type="submit" class="primary big" disabled={action.busy}>
          {action.busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <DoorKeys />
    </main>
  );
}
