// The top bar: the app's name, the navigation landmark and the live-stream status.
import type { Route } from '../router';
import { canManage, canReadHistory, isOwner, logout, useStore } from '../store';

interface Props {
  route: Route;
}

export function Header({ route }: Props) {
  const { account, stream } = useStore();
  const current = (name: Route['name']) => (route.name === name ? 'page' : undefined);
  return (
    <header class="topbar">
      <div class="brand">
        <img src="/icons/icon.svg" alt="" width={28} height={28} />
        <span>latchkey</span>
      </div>
      <nav aria-label="Main">
        <ul>
          <li>
            <a href="#/" aria-current={current('home') ?? current('lock') ?? current('event')}>
              Locks
            </a>
          </li>
          {canReadHistory() && (
            <li>
              <a href="#/history" aria-current={current('history')}>
                History
              </a>
            </li>
          )}
          {isOwner() && (
            <li>
              <a href="#/accounts" aria-current={current('accounts')}>
                Accounts
              </a>
            </li>
          )}
          {canManage() && (
            <li>
              <a href="#/webhooks" aria-current={current('webhooks')}>
                Webhooks
              </a>
            </li>
          )}
          {canManage() && (
            <li>
              <a href="#/integrations" aria-current={current('integrations')}>
                Integrations
              </a>
            </li>
          )}
          <li>
            <a href="#/notifications" aria-current={current('notifications')}>
              Notifications
            </a>
          </li>
          <li>
            <a href="#/tokens" aria-current={current('tokens')}>
              Tokens
            </a>
          </li>
          <li>
            <button type="button" class="link" onClick={() => void logout()}>
              Log out
            </button>
          </li>
        </ul>
      </nav>
      <p class={`live live-${stream}`} title="Live updates from the hub">
        <span class="dot" aria-hidden="true" />
        <span>
          {account?.username} · {stream === 'open' ? 'live' : stream === 'connecting' ? 'connecting…' : 'reconnecting…'}
        </span>
      </p>
    </header>
  );
}
