// Home: one card per lock the account may see.
import { formatTime } from '../format';
import { canManage, loadLocks, useStore } from '../store';
import type { Account } from '../types';
import { LockCard } from './LockCard';
import { NotificationPrompt } from './NotificationPrompt';
import { PairLock } from './PairLock';

export function Home() {
  const { locks, locksError, account } = useStore();
  return (
    <section class="page" aria-labelledby="home-title">
      <h1 id="home-title" tabIndex={-1}>
        Your locks
      </h1>
      {locksError && (
        <div role="alert" class="error">
          {locksError}{' '}
          <button type="button" onClick={() => void loadLocks()}>
            Retry
          </button>
        </div>
      )}
      <NotificationPrompt />
      {locks.length === 0 && !locksError && account && <p class="muted">{emptyText(account)}</p>}
      <div class="cards">
        {locks.map((lock) => (
          <LockCard key={lock.id} lock={lock} linked />
        ))}
      </div>
      {canManage() && <PairLock />}
    </section>
  );
}

/** Why a guest or member sees no lock: outside its validity window, or nothing shared yet. */
function emptyText(account: Account): string {
  if (account.role === 'owner' || account.role === 'admin') return 'No lock is paired with this hub yet.';
  const now = Date.now();
  if (account.valid_from && Date.parse(account.valid_from) > now) {
    return `Your access starts ${formatTime(account.valid_from)}.`;
  }
  if (account.valid_until && Date.parse(account.valid_until) < now) {
    return `Your access ended ${formatTime(account.valid_until)}.`;
  }
  return 'No lock is shared with your account right now.';
}
