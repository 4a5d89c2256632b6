// Inputs for one schedule: week days with a daily time window, or a from–until date range.
// Times are the lock's local times (its `timezone` setting), as LOCK-SEMANTICS.md 5 says.
import { WEEK_DAYS, type Schedule, type ScheduleKind, type WeekDay } from '../types';

export interface ScheduleDraft {
  days: WeekDay[];
  start: string;
  end: string;
  from: string;
  until: string;
}

export const emptySchedule = (): ScheduleDraft => ({
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '08:00',
  end: '17:00',
  from: '',
  until: '',
});

const DAY_LABEL: Record<WeekDay, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

/** The schedule to send, or a sentence saying what is wrong. */
export function scheduleFrom(kind: ScheduleKind, d: ScheduleDraft): Schedule | string {
  if (kind === 'week_day') {
    if (d.days.length === 0) return 'Choose at least one day.';
    if (!d.start || !d.end || d.start >= d.end) return 'The daily start time must be before the end time.';
    return { kind, days: d.days, start: d.start, end: d.end };
  }
  if (!d.from || !d.until) return 'Give both the start and the end of the access period.';
  if (d.from >= d.until) return 'The access period must start before it ends.';
  return { kind, start: d.from.slice(0, 16), end: d.until.slice(0, 16) };
}

interface Props {
  kind: ScheduleKind;
  idPrefix: string;
  draft: ScheduleDraft;
  timezone: string;
  onChange(draft: ScheduleDraft): void;
}

export function ScheduleFields({ kind, idPrefix, draft, timezone, onChange }: Props) {
  const set = (change: Partial<ScheduleDraft>) => onChange({ ...draft, ...change });
  if (kind === 'week_day') {
    return (
      <fieldset class="schedule">
        <legend>Recurring access (lock time, {timezone})</legend>
        <div class="days">
          {WEEK_DAYS.map((day) => (
            <span class="check" key={day}>
              <input
                id={`${idPrefix}-${day}`}
                type="checkbox"
                checked={draft.days.includes(day)}
                onChange={(e) =>
                  set({ days: e.currentTarget.checked ? WEEK_DAYS.filter((x) => x === day || draft.days.includes(x)) : draft.days.filter((x) => x !== day) })
                }
              />
              <label for={`${idPrefix}-${day}`}>{DAY_LABEL[day]}</label>
            </span>
          ))}
        </div>
        <div class="row">
          <div class="field">
            <label for={`${idPrefix}-start`}>Daily from</label>
            <input id={`${idPrefix}-start`} type="time" value={draft.start} onInput={(e) => set({ start: e.currentTarget.value })} />
          </div>
          <div class="field">
            <label for={`${idPrefix}-end`}>Daily until</label>
            <input id={`${idPrefix}-end`} type="time" value={draft.end} onInput={(e) => set({ end: e.currentTarget.value })} />
          </div>
        </div>
      </fieldset>
    );
  }
  return (
    <fieldset class="schedule">
      <legend>Access period (lock time, {timezone})</legend>
      <div class="row">
        <div class="field">
          <label for={`${idPrefix}-from`}>From</label>
          <input id={`${idPrefix}-from`} type="datetime-local" value={draft.from} onInput={(e) => set({ from: e.currentTarget.value })} />
        </div>
        <div class="field">
          <label for={`${idPrefix}-until`}>Until</label>
          <input id={`${idPrefix}-until`} type="datetime-local" value={draft.until} onInput={(e) => set({ until: e.currentTarget.value })} />
        </div>
      </div>
    </fieldset>
  );
}

/** A schedule in words. */
export function describeSchedule(s: Schedule): string {
  if (s.kind === 'week_day') return `${(s.days ?? []).map((d) => DAY_LABEL[d]).join(', ')} ${s.start}–${s.end}`;
  return `${s.start.replace('T', ' ')} → ${s.end.replace('T', ' ')}`;
}
