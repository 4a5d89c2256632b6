// One history entry: when, (which lock,) who, how and the result.
import { describeEvent, formatTime } from '../format';
import type { LockEvent, LockUser } from '../types';

interface Props {
  event: LockEvent;
  users: LockUser[] | undefined;
  lockName?: string;
  /** The event a notification opened (`#/locks/<id>/events/<seq>`). */
  highlighted?: boolean;
}

const BADGE: Record<string, string> = {
  lock_operation: 'OK',
  lock_operation_error: 'No',
  alarm: '!',
  door_state: 'D',
  change: '✎',
  power: '⚡',
};

export function EventItem({ event, users, lockName, highlighted }: Props) {
  return (
    <li
      class={`event kind-${event.kind}${highlighted ? ' highlighted' : ''}`}
      data-testid="event"
      data-kind={event.kind}
      data-seq={event.seq}
      aria-current={highlighted ? 'true' : undefined}
    >
      <span class="event-badge" aria-hidden="true">
        {BADGE[event.kind] ?? '·'}
      </span>
      <div class="event-body">
        <p class="event-text">{describeEvent(event, users)}</p>
        <p class="event-meta">
          <time dateTime={event.time}>{formatTime(event.time)}</time>
          {lockName && <span> · {lockName}</span>}
          <span class="visually-hidden"> · event {event.seq}</span>
        </p>
      </div>
    </li>
  );
}
