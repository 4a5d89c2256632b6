// One person of a lock: name, type, status, credentials and schedules, with enable/disable and a
// two-step delete (no native confirm dialog). Details hold credential and schedule management.
import { api } from '../api';
import { CREDENTIAL_LABEL, USER_TYPE_LABEL } from '../format';
import type { Lock, LockUser } from '../types';
import { useAction } from '../useAction';
import { describeSchedule } from './ScheduleFields';
import { UserDetails } from './UserDetails';
import { ErrorText } from './ErrorText';
import { ConfirmButton } from './ConfirmButton';

interface Props {
  lock: Lock;
  user: LockUser;
  onChanged(): void;
}

export function UserRow({ lock, user, onChanged }: Props) {
  const action = useAction();
  const name = user.name || `User ${user.index}`;
  const enabled = user.status === 'enabled';
  const schedules = [...(user.week_day_schedules ?? []), ...(user.year_day_schedules ?? [])];
  const headingId = `user-${lock.id}-${user.index}`;

  const toggle = () =>
    void action.run(async () => {
      await api.patchUser(lock.id, user.index, { status: enabled ? 'disabled' : 'enabled' });
      onChanged();
    });
  const remove = () =>
    void action.run(async () => {
      await api.deleteUser(lock.id, user.index);
      onChanged();
    });

  return (
    <li class={`user-row${enabled ? '' : ' is-disabled'}`} data-testid="user-row" data-user-index={user.index} aria-labelledby={headingId}>
      <div class="user-main">
        <h3 id={headingId}>{name}</h3>
        <p class="user-meta">
          <span class="tag">{USER_TYPE_LABEL[user.type] ?? user.type}</span>
          <span class={`tag ${enabled ? 'ok' : 'warn'}`}>{enabled ? 'Enabled' : 'Disabled'}</span>
          {user.credential_rule !== 'single' && <span class="tag">Needs {user.credential_rule === 'dual' ? 2 : 3} credentials</span>}
        </p>
        <p class="user-creds">
          {user.credentials.length === 0
            ? 'No credentials'
            : user.credentials.map((c) => `${CREDENTIAL_LABEL[c.type] ?? c.type} ${c.index}`).join(' · ')}
        </p>
        {schedules.length > 0 && <p class="user-creds">Schedule: {schedules.map(describeSchedule).join('; ')}</p>}
      </div>
      {user.type !== 'programming' && (
        <div class="button-row">
          <button type="button" disabled={action.busy} onClick={toggle} aria-describedby={headingId}>
            {enabled ? 'Disable' : 'Enable'}
          </button>
          <ConfirmButton label="Delete" confirmLabel="Confirm delete" busy={action.busy} onConfirm={remove} describedBy={headingId} />
        </div>
      )}
      <ErrorText error={action.error} />
      {user.type !== 'programming' && <UserDetails lock={lock} user={user} onChanged={onChanged} />}
    </li>
  );
}
