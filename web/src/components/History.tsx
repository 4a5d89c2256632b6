// The timeline of events, for one lock or across every readable lock, newest first, filtered by
// person and kind. Fetched history and live events share the store, so new events appear at once.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import { actorName, EVENT_KIND_LABEL, eventWho } from '../format';
import { addEvents, canManage, loadUsers, useStore } from '../store';
import { EVENT_KINDS, type LockEvent } from '../types';
import { useAction } from '../useAction';
import { EventItem } from './EventItem';

interface Props {
  /** One lock's history; absent: every lock's. */
  lock?: string;
  /** The heading level: a section of the lock page, or the page itself. */
  asPage?: boolean;
}

const PAGE = 200;

/** The person an event is about: a user slot of a lock, or the account that acted. */
function personKey(e: LockEvent): string | null {
  if (typeof e.user === 'number') return `u:${e.lock}:${e.user}`;
  const actor = actorName(e);
  if (actor) return `a:${actor}`;
  return null;
}

export function History({ lock, asPage }: Props) {
  const { events, users, locks } = useStore();
  const [person, setPerson] = useState('');
  const [kind, setKind] = useState('');
  const [exhausted, setExhausted] = useState(false);
  const load = useAction();
  const prefix = lock ? `history-${lock}` : 'history-all';

  const mine = useMemo(() => {
    const list = [...events.values()].filter((e) => !lock || e.lock === lock);
    list.sort((a, b) => (a.time === b.time ? b.seq - a.seq : b.time.localeCompare(a.time)));
    return list;
  }, [events, lock]);

  const fetchPage = (older: boolean) =>
    load.run(async () => {
      if (lock) {
        const known = locks.find((l) => l.id === lock)?.last_event_seq ?? 0;
        const oldest = older && mine.length ? mine[mine.length - 1]!.seq : known + 1;
        const after = Math.max(0, oldest - 1 - PAGE);
        const page = await api.lockEvents(lock, { after, limit: PAGE });
        addEvents(page.events.map((e) => ({ ...e, lock: e.lock ?? lock })));
        if (after === 0) setExhausted(true);
      } else {
        const before = older && mine.length ? mine[mine.length - 1]!.time : undefined;
        const page = await api.events({ limit: PAGE, before_time: before });
        addEvents(page.events);
        if (page.events.length < PAGE) setExhausted(true);
      }
    });

  useEffect(() => {
    void fetchPage(false);
    if (canManage()) {
      for (const id of lock ? [lock] : locks.map((l) => l.id)) {
        if (!users[id]) loadUsers(id).catch(() => undefined);
      }
    }
    // Reload when the screen opens for another lock only; live events arrive through the store.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lock]);

  const lockName = (id: string) => locks.find((l) => l.id === id)?.name ?? id;

  const people = useMemo(() => {
    const options = new Map<string, string>();
    for (const e of mine) {
      const key = personKey(e);
      if (!key || options.has(key)) continue;
      const who = eventWho(e, users[e.lock]);
      const label = key.startsWith('a:') ? `${who} (app account)` : lock ? who : `${who} (${lockName(e.lock)})`;
      options.set(key, label);
    }
    return [...options.entries()].sort((a, b) => a[1].localeCompare(b[1]));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [mine, users, lock]);

  const shown = mine.filter((e) => (!kind || e.kind === kind) && (!person || personKey(e) === person));
  const Heading = asPage ? 'h1' : 'h2';

  return (
    <section class={asPage ? 'page' : 'card'} aria-labelledby={`${prefix}-title`}>
      <Heading id={`${prefix}-title`} tabIndex={asPage ? -1 : undefined}>
        History
      </Heading>
      <div class="filters">
        <div class="field">
          <label for={`${prefix}-person`}>Person</label>
          <select id={`${prefix}-person`} value={person} onChange={(e) => setPerson(e.currentTarget.value)}>
            <option value="">Everyone</option>
            {people.map(([key, label]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={`${prefix}-kind`}>Kind</label>
          <select id={`${prefix}-kind`} value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            <option value="">All kinds</option>
            {EVENT_KINDS.map((k) => (
              <option key={k} value={k}>
                {EVENT_KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </div>
      </div>
      {load.error && (
        <p role="alert" class="error">
          {load.error}
        </p>
      )}
      <ol class="history" data-testid="history" aria-label={lock ? `History of ${lockName(lock)}` : 'History of all locks'}>
        {shown.map((e) => (
          <EventItem key={`${e.lock}:${e.seq}`} event={e} users={users[e.lock]} lockName={lock ? undefined : lockName(e.lock)} />
        ))}
      </ol>
      {shown.length === 0 && !load.busy && <p class="muted">No events{kind || person ? ' match these filters' : ' yet'}.</p>}
      {!exhausted && mine.length > 0 && (
        <button type="button" disabled={load.busy} onClick={() => void fetchPage(true)}>
          {load.busy ? 'Loading…' : 'Load older events'}
        </button>
      )}
    </section>
  );
}
