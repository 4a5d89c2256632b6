// A lock at a glance: state, door, battery, online, mode, and the big lock / unlock / unlatch buttons.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { MODE_LABEL } from '../format';
import { lockHref } from '../router';
import { patchLock } from '../store';
import type { Lock } from '../types';
import { useAction } from '../useAction';
import { LockGlyph } from './LockGlyph';
import { ErrorText } from './ErrorText';

interface Props {
  lock: Lock;
  /** On the home screen the name links to the lock's page. */
  linked?: boolean;
  /** The card's heading on the lock's own page, where the page title already names the lock. */
  heading?: string;
}

type Command = 'lock' | 'unlock' | 'unlatch';
const DOING: Record<Command, string> = { lock: 'Locking…', unlock: 'Unlocking…', unlatch: 'Unlatching…' };

export function LockCard({ lock, linked, heading }: Props) {
  const action = useAction();
  const [doing, setDoing] = useState<Command | null>(null);
  const [pin, setPin] = useState('');
  const needsPin = lock.settings?.require_pin_for_remote === true;
  const canUnlatch = lock.capabilities?.features?.includes('unlatch') ?? false;
  const battery = lock.battery;
  const headingId = `lock-${lock.id}-name`;

  const send = (command: Command) => {
    setDoing(command);
    void action
      .run(async () => {
        const done = await api.command(lock.id, command, needsPin && pin ? { pin } : {});
        patchLock(lock.id, { lock_state: done.lock_state });
      })
      .finally(() => {
        setDoing(null);
        setPin('');
      });
  };

  return (
    <section
      class={`card lock-card state-${lock.lock_state}${lock.online ? '' : ' is-offline'}`}
      data-testid="lock-card"
      data-lock-id={lock.id}
      aria-label={lock.name}
    >
      <div class="lock-card-head">
        <LockGlyph state={lock.lock_state} />
        <div>
          <h2 id={headingId}>{linked ? <a href={lockHref(lock.id)}>{lock.name}</a> : (heading ?? lock.name)}</h2>
          <p class="state-line">
            <span class="visually-hidden">Lock state: </span>
            <span class="state-word" data-testid="lock-state">
              {lock.lock_state}
            </span>
          </p>
        </div>
      </div>

      <dl class="facts">
        <div>
          <dt>Door</dt>
          <dd data-testid="door-state">{lock.door_state}</dd>
        </div>
        <div>
          <dt>Battery</dt>
          <dd>
            <span data-testid="battery">{battery?.percent ?? '?'}%</span>
            {battery?.external_power && <span class="tag"> USB power</span>}
            {(battery?.low || battery?.critical) && (
              <span class="tag warn" data-testid="battery-low">
                {battery.critical ? 'Battery critical' : 'Low battery'}
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>Connection</dt>
          <dd>
            <span class={lock.online ? 'ok' : 'bad'} data-testid="online">
              {lock.online ? 'online' : 'offline'}
            </span>
          </dd>
        </div>
        <div>
          <dt>Mode</dt>
          <dd>
            <span data-testid="mode" title={MODE_LABEL[lock.operating_mode]}>
              {lock.operating_mode}
            </span>
          </dd>
        </div>
      </dl>

      {needsPin && (
        <div class="field">
          <label for={`pin-${lock.id}`}>PIN for remote commands</label>
          <input
            id={`pin-${lock.id}`}
            inputMode="numeric"
            autocomplete="off"
            type="password"
            value={pin}
            onInput={(e) => setPin(e.currentTarget.value.replace(/\D/g, ''))}
          />
        </div>
      )}

      <div class="commands" role="group" aria-labelledby={headingId}>
        <button type="button" class="big primary" disabled={action.busy} onClick={() => send('lock')}>
          Lock
        </button>
        <button type="button" class="big" disabled={action.busy} onClick={() => send('unlock')}>
          Unlock
        </button>
        {canUnlatch && (
          <button type="button" class="big" disabled={action.busy} onClick={() => send('unlatch')}>
            Unlatch
          </button>
        )}
      </div>
      <p class="command-status" aria-live="polite">
        {doing ? DOING[doing] : ''}
        {!lock.online && !doing ? 'This lock is offline; commands will fail until it reconnects.' : ''}
      </p>
      <ErrorText error={action.error} />
      {linked && (
        <p class="open-link">
          <a href={lockHref(lock.id)} aria-describedby={headingId}>
            Open
          </a>
          <span class="muted"> people, history, settings</span>
        </p>
      )}
    </section>
  );
}
