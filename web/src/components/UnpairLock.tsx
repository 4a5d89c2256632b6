// Removing a lock from the hub (owner, admin): the lock forgets the hub and can be paired again
// with its setup code; the hub forgets the lock's history mirror. Asks twice.
import { api } from '../api';
import { loadLocks } from '../store';
import type { Lock } from '../types';
import { useAction } from '../useAction';
import { ErrorText } from './ErrorText';
import { ConfirmButton } from './ConfirmButton';

export function UnpairLock({ lock }: { lock: Lock }) {
  const action = useAction();
  const remove = () =>
    void action.run(async () => {
      await api.unpairLock(lock.id);
      await loadLocks();
      location.hash = '#/';
    });
  return (
    <section class="card" aria-labelledby={`unpair-${lock.id}-title`}>
      <h2 id={`unpair-${lock.id}-title`}>Remove from this hub</h2>
      <p class="muted">The lock forgets this hub and can be paired again with its setup code; the hub forgets its history of the lock.</p>
      <div class="button-row">
        <ConfirmButton label={`Remove ${lock.name}`} confirmLabel={`Confirm remove ${lock.name}`} busy={action.busy} onConfirm={remove} />
      </div>
      <ErrorText error={action.error} />
    </section>
  );
}
