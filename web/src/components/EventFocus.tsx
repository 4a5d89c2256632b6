// The event a notification opened (`#/locks/<id>/events/<seq>`), first on the lock's page; the
// same event is highlighted in the lock's history below. An event the app does not hold yet is
// read from the hub (GET /locks/{id}/events?after=seq-1&limit=1) into the store.
import { useEffect } from 'preact/hooks';
import { api } from '../api';
import { lockHref } from '../router';
import { addEvents, canReadHistory, useStore } from '../store';
import type { Lock } from '../types';
import { useAction } from '../useAction';
import { ErrorText } from './ErrorText';
import { EventItem } from './EventItem';

export function EventFocus({ lock, seq }: { lock: Lock; seq: number }) {
  const { events, users } = useStore();
  const event = events.get(`${lock.id}:${seq}`);
  const load = useAction();

  useEffect(() => {
    if (event || !canReadHistory()) return;
    void load.run(async () => {
      const page = await api.lockEvents(lock.id, { after: Math.max(0, seq - 1), limit: 1 });
      const found = page.events.filter((e) => e.seq === seq).map((e) => ({ ...e, lock: e.lock ?? lock.id }));
      if (found.length === 0) throw new Error(`Event ${seq} is not in this lock’s history.`);
      addEvents(found);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lock.id, seq]);

  return (
    <section class="card event-focus" aria-labelledby="event-focus-title" data-testid="event-focus" data-seq={seq}>
      <div class="section-head">
        <h2 id="event-focus-title">Event {seq}</h2>
        <a href={lockHref(lock.id)}>Close</a>
      </div>
      {event && (
        <ol class="history">
          <EventItem event={event} users={users[lock.id]} />
        </ol>
      )}
      {!event && load.busy && <p class="muted">Loading the event…</p>}
      {!event && !canReadHistory() && <p class="muted">Your account does not see this lock’s history; the notification said what happened.</p>}
      <ErrorText error={load.error} />
    </section>
  );
}
