// Hash routing (`#/`, `#/locks/<id>`, `#/locks/<id>/events/<seq>`, `#/history`, `#/accounts`, `#/webhooks`, `#/tokens`,
// `#/integrations`, `#/notifications`): the hub serves only real files, so every screen lives behind `#`.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'home' }
  | { name: 'lock'; id: string }
  /** A lock's page opened at one event (a notification's address). */
  | { name: 'event'; id: string; seq: number }
  | { name: 'notifications' }
  | { name: 'history' }
  | { name: 'accounts' }
  | { name: 'webhooks' }
  | { name: 'tokens' }
  | { name: 'integrations' }
  | { name: 'missing'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: 'home' };
  if (parts[0] === 'locks' && parts.length === 2) return { name: 'lock', id: parts[1]! };
  if (parts[0] === 'locks' && parts.length === 4 && parts[2] === 'events' && /^\d{1,15}$/.test(parts[3]!)) {
    return { name: 'event', id: parts[1]!, seq: Number(parts[3]) };
  }
  if (parts.length === 1 && parts[0] === 'notifications') return { name: 'notifications' };
  if (parts.length === 1 && (parts[0] === 'history' || parts[0] === 'accounts' || parts[0] === 'webhooks' || parts[0] === 'tokens' || parts[0] === 'integrations')) {
    return { name: parts[0] };
  }
  return { name: 'missing', path };
}

export const lockHref = (id: string) => `#/locks/${encodeURIComponent(id)}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  const renderedHash = location.hash;
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    // A change between the first render and this effect had no listener yet.
    if (location.hash !== renderedHash) onChange();
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
