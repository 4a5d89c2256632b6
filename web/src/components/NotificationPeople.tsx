// Whose unlocks are pushed when unlocks are "by chosen people": a checkbox per user of each lock
// the account sees. Owners and admins choose among the locks' users (GET /locks/{id}/users);
// members, who may not list users, among the people in the locks' history; people chosen before
// stay listed (as "User N" when nothing names them) so they can be unticked.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, describeError } from '../api';
import { addEvents, canManage, canReadHistory, loadUsers, useStore } from '../store';
import type { PersonChoice } from '../push/types';

interface Props {
  chosen: PersonChoice[];
  onChange(chosen: PersonChoice[]): void;
}

export function NotificationPeople({ chosen, onChange }: Props) {
  const { locks, users, events } = useStore();
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const fail = (e: unknown) => setProblem(`Some people could not be listed: ${describeError(e)}`);
    if (canManage()) {
      for (const lock of locks) if (!users[lock.id]) loadUsers(lock.id).catch(fail);
    } else if (canReadHistory()) {
      api.events({ limit: 200 }).then((page) => addEvents(page.events), fail);
    }
    // Once per set of locks; the users and events arrive through the store.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [locks.map((l) => l.id).join(',')]);

  // Per lock id: user index -> name, in the locks' order, then chosen people of locks not listed.
  const groups = useMemo(() => {
    const byLock = new Map<string, Map<number, string>>();
    const add = (lock: string, user: number, name?: string) => {
      if (!byLock.has(lock)) byLock.set(lock, new Map());
      const names = byLock.get(lock)!;
      if (name || !names.has(user)) names.set(user, name || names.get(user) || `User ${user}`);
    };
    for (const lock of locks) {
      for (const u of users[lock.id] ?? []) add(lock.id, u.index, u.name);
    }
    if (!canManage()) {
      for (const e of events.values()) if (typeof e.user === 'number' && e.user > 0) add(e.lock, e.user);
    }
    for (const p of chosen) add(p.lock, p.user);
    const order = (id: string) => {
      const i = locks.findIndex((l) => l.id === id);
      return i < 0 ? locks.length : i;
    };
    return [...byLock.entries()]
      .sort((a, b) => order(a[0]) - order(b[0]))
      .map(([lock, names]) => ({ lock, people: [...names.entries()].sort((a, b) => a[0] - b[0]) }));
  }, [locks, users, events, chosen]);

  const isChosen = (lock: string, user: number) => chosen.some((p) => p.lock === lock && p.user === user);
  const toggle = (lock: string, user: number, on: boolean) =>
    onChange(on ? [...chosen, { lock, user }] : chosen.filter((p) => !(p.lock === lock && p.user === user)));
  const lockName = (id: string) => locks.find((l) => l.id === id)?.name ?? id;

  return (
    <div class="notify-people" data-testid="notify-people">
      {groups.length === 0 && <p class="muted">No people to choose from yet: your locks have no users your account can see.</p>}
      {groups.map(({ lock, people }) => (
        <fieldset key={lock}>
          <legend>{lockName(lock)}</legend>
          {people.map(([user, name]) => (
            <div class="check" key={user}>
              <input
                id={`notify-person-${lock}-${user}`}
                type="checkbox"
                checked={isChosen(lock, user)}
                onChange={(e) => toggle(lock, user, e.currentTarget.checked)}
              />
              <label for={`notify-person-${lock}-${user}`}>{name}</label>
            </div>
          ))}
        </fieldset>
      ))}
      {problem && <p class="muted">{problem}</p>}
    </div>
  );
}
