// The timeline of events, for one lock or across every readable lock, newest first, filtered by
// person and kind. Fetched history and live events share the store, so new events appear at once.
// Pages come from the hub with the filters applied (GET /events), so a filter finds an event
// however far back it is; the store holds every page fetched, newest back to the oldest loaded,
// so the events shown for a filter have no gaps.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import { actorName, EVENT_KIND_LABEL, eventWho } from '../format';
import { addEvents, canManage, loadUsers, useStore } from '../store';
import { EVENT_KINDS, type EventKind, type LockEvent } from '../types';
import { useAction } from '../useAction';
import { EventItem } from './EventItem';
import { ErrorText } from './ErrorText';

interface Props {
  /** One lock's history; absent: every lock's. */
  lock?: string;
  /** The heading level: a section of the lock page, or the page itself. */
  asPage?: boolean;
  /** The seq of the lock's event to highlight (opened from a notification). */
  highlight?: number;
}

const PAGE = 200;

/** The person an event is about: a user slot of a lock, or the account that acted. */
function personKey(e: LockEvent): string | null {
  if (typeof e.user === 'number') return `u:${e.lock}:${e.user}`;
  const actor = actorName(e);
  if (actor) return `a:${actor}`;
  return null;
}

/** The hub's filters for a person key. */
function personFilter(key: string): { lock?: string; user?: number; actor?: string } {
  if (key.startsWith('a:')) return { actor: key.slice(2) };
  const at = key.lastIndexOf(':');
  return { lock: key.slice(2, at), user: Number(key.slice(at + 1)) };
}

/** The cursor just past `e` in the hub's newest-first walk. */
const cursorAfter = (e: LockEvent) => `${Date.parse(e.time)}.${e.seq}.${e.lock}`;

export function History({ lock, asPage, highlight }: Props) {
  const { events, users, locks } = useStore();
  const [person, setPerson] = useState('');
  const [kind, setKind] = useState('');
  // The filters whose history has been read to its start.
  const [exhausted, setExhausted] = useState<string | null>(null);
  const load = useAction();
  const prefix = lock ? `history-${lock}` : 'history-all';
  const filterKey = `${lock ?? ''}|${person}|${kind}`;

  const mine = useMemo(() => {
    const list = [...events.values()].filter((e) => !lock || e.lock === lock);
    list.sort((a, b) => (a.time === b.time ? b.seq - a.seq : b.time.localeCompare(a.time)));
    return list;
  }, [events, lock]);

  const shown = mine.filter((e) => (!kind || e.kind === kind) && (!person || personKey(e) === person));

  const fetchPage = (older: boolean) =>
    load.run(async () => {
      const oldest = older ? shown[shown.length - 1] : undefined;
      const page = await api.events({
        limit: PAGE,
        lock,
        ...(person ? personFilter(person) : {}),
        kind: (kind || undefined) as EventKind | undefined,
        before: oldest ? cursorAfter(oldest) : undefined,
      });
      addEvents(page.events);
      if (!page.next_before) setExhausted(filterKey);
    });

  // The newest page for these filters; older ones on request.
  useEffect(() => {
    void fetchPage(false);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lock, person, kind]);

  useEffect(() => {
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
    const slotLabel = (id: string, who: string) => (lock ? who : `${who} (${lockName(id)})`);
    // Everyone on the lock (for those who may list users), and whoever appears in the events.
    for (const id of lock ? [lock] : locks.map((l) => l.id)) {
      for (const u of users[id] ?? []) options.set(`u:${id}:${u.index}`, slotLabel(id, u.name || `User ${u.index}`));
    }
    for (const e of mine) {
      const key = personKey(e);
      if (!key || options.has(key)) continue;
      const who = eventWho(e, users[e.lock]);
      options.set(key, key.startsWith('a:') ? `${who} (app account)` : slotLabel(e.lock, who));
    }
    return [...options.entries()].sort((a, b) => a[1].localeCompare(b[1]));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [mine, users, lock]);

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
      <ErrorText error={load.error} />
      <ol class="history" data-testid="history" aria-label={lock ? `History of ${lockName(lock)}` : 'History of all locks'}>
        {shown.map((e) => (
          <EventItem
            key={`${e.lock}:${e.seq}`}
            event={e}
            users={users[e.lock]}
            lockName={lock ? undefined : lockName(e.lock)}
            highlighted={lock !== undefined && e.seq === highlight}
          />
        ))}
      </ol>
      {shown.length === 0 && !load.busy && <p class="muted">No events{kind || person ? ' match these filters' : ' yet'}.</p>}
      {exhausted !== filterKey && shown.length > 0 && (
        <button type="button" disabled={load.busy} onClick={() => void fetchPage(true)}>
          {load.busy ? 'Loading…' : 'Load older events'}
        </button>
      )}
    </section>
  );
}
