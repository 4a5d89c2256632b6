// The shell: login or the signed-in layout (skip link, navigation, the current screen, alerts).
import { useEffect, useRef } from 'preact/hooks';
import { useRoute } from '../router';
import { canManage, canReadHistory, isOwner, useStore } from '../store';
import { Accounts } from './Accounts';
import { Alerts } from './Alerts';
import { Header } from './Header';
import { History } from './History';
import { Integrations } from './Integrations';
import { Home } from './Home';
import { LockPage } from './LockPage';
import { Login } from './Login';
import { Notifications } from './Notifications';
import { usePhoneUpkeep } from '../phone/upkeep';
import { Tokens } from './Tokens';
import { Webhooks } from './Webhooks';

export function App() {
  const { account } = useStore();
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  usePhoneUpkeep();

  // After a route change, move focus to the new screen so keyboard and screen-reader users follow.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
    window.scrollTo(0, 0);
  }, [route]);

  if (account === undefined) {
    return (
      <main class="center" aria-busy="true">
        <p>Loading latchkey…</p>
      </main>
    );
  }
  if (account === null) return <Login />;

  let screen;
  switch (route.name) {
    case 'home':
      screen = <Home />;
      break;
    case 'lock':
      screen = <LockPage id={route.id} />;
      break;
    case 'event':
      screen = <LockPage id={route.id} event={route.seq} />;
      break;
    case 'notifications':
      screen = <Notifications />;
      break;
    case 'history':
      screen = canReadHistory() ? <History /> : <NotAllowed />;
      break;
    case 'accounts':
      screen = isOwner() ? <Accounts /> : <NotAllowed />;
      break;
    case 'webhooks':
      screen = canManage() ? <Webhooks /> : <NotAllowed />;
      break;
    case 'tokens':
      screen = <Tokens />;
      break;
    case 'integrations':
      screen = canManage() ? <Integrations /> : <NotAllowed />;
      break;
    default:
      screen = <NotFound />;
  }
  return (
    <>
      <a class="skip" href="#main" onClick={skip}>
        Skip to content
      </a>
      <Header route={route} />
      <main id="main" ref={main} tabIndex={-1}>
        {screen}
      </main>
      <Alerts />
    </>
  );
}

// The skip link must not change the hash (the router owns it).
function skip(e: Event) {
  e.preventDefault();
  document.getElementById('main')?.focus();
}

function NotAllowed() {
  return (
    <section class="page">
      <h1 tabIndex={-1}>Not available</h1>
      <p>Your account cannot open this screen.</p>
      <p>
        <a href="#/">Back to your locks</a>
      </p>
    </section>
  );
}

function NotFound() {
  return (
    <section class="page">
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        <a href="#/">Back to your locks</a>
      </p>
    </section>
  );
}
