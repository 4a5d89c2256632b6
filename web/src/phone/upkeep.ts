// What the app does for its phone keys in the background: at start (and at each login) renew the
// keys that are running out; remember the account and its locks' names for the login screen's
// door keys (components/DoorKeys.tsx). At logout, keys.ts's dropPhoneKeys.
import { useEffect } from 'preact/hooks';
import { canManage, useStore } from '../store';
import { renewAll } from './keys';
import { rememberSession } from './keystore';

/** Called once by the app's shell. */
export function usePhoneUpkeep(): void {
  const { account, locks } = useStore();
  const username = account?.username;
  useEffect(() => {
    if (username) void renewAll(username, canManage());
  }, [username]);
  // Only when a name or the set of locks changed, not at every state change of a lock.
  const names = JSON.stringify(locks.map((l) => [l.id, l.name]));
  useEffect(() => {
    if (username && locks.length > 0) void rememberSession(username, Object.fromEntries(JSON.parse(names))).catch(() => undefined);
  }, [username, names]);
}
