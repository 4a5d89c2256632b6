// People of a lock (owner, admin): the users with their type, status, credentials and schedules,
// and the "Add person" dialog. The list reloads when the lock reports a change.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { describeError } from '../api';
import { loadUsers, useStore } from '../store';
import type { Lock } from '../types';
import { AddPerson } from './AddPerson';
import { UserRow } from './UserRow';

export function People({ lock }: { lock: Lock }) {
  const { users, events } = useStore();
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const list = users[lock.id];

  // The newest change event of this lock: a user or credential changed (here, at the keypad, or by another app).
  const lastChange = useMemo(() => {
    let seq = 0;
    for (const e of events.values()) if (e.lock === lock.id && e.kind === 'change' && e.seq > seq) seq = e.seq;
    return seq;
  }, [events, lock.id]);

  const reload = () =>
    loadUsers(lock.id).then(
      () => setError(null),
      (e: unknown) => setError(describeError(e)),
    );

  useEffect(() => {
    void reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lock.id, lastChange, lock.online]);

  return (
    <section class="card" aria-labelledby={`people-${lock.id}`}>
      <div class="section-head">
        <h2 id={`people-${lock.id}`}>People</h2>
        <button type="button" class="primary" onClick={() => setAdding(true)}>
          Add person
        </button>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {list && list.length === 0 && <p class="muted">No one can open this lock yet. Add a person with a PIN, card, finger or face.</p>}
      {!list && !error && <p class="muted">Loading people…</p>}
      {list && list.length > 0 && (
        <ul class="users">
          {list.map((user) => (
            <UserRow key={user.index} lock={lock} user={user} onChanged={() => void reload()} />
          ))}
        </ul>
      )}
      {adding && <AddPerson lock={lock} onClose={() => setAdding(false)} onAdded={() => void reload()} />}
    </section>
  );
}
