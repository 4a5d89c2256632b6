// The physical world of a simulated lock, so that a newcomer can try everything from the browser:
// keypad, card, finger, face, outside button, thumbturn, key, door, battery, USB power, tamper,
// jam, clock, power cycle and network. Every answer shows in data-testid="sim-result".
import { useState } from 'preact/hooks';
import { api, describeError, type SimWhat } from '../api';
import type { Lock, SimDecision } from '../types';
import { Keypad } from './Keypad';

interface Outcome {
  /** Short machine-like text: "granted", "denied: invalid_credential", "ok", "error: …". */
  code: string;
  /** The sentence for people. */
  text: string;
}

const REASON_TEXT: Record<string, string> = {
  invalid_credential: 'not a known credential',
  disabled_user: 'the person is disabled',
  restricted: 'outside the person’s schedule',
  incomplete: 'multi-factor not completed in time',
  insufficient_battery: 'battery too low',
  mode: 'the lock’s mode refuses it',
  lockout: 'the keypad is in a lockout',
};

function outcomeOf(what: string, answer: SimDecision): Outcome {
  if (answer.result === 'granted') {
    return { code: 'granted', text: `Access granted${answer.user ? ` to user ${answer.user}` : ''}; the lock is ${answer.lock_state ?? 'moving'}.` };
  }
  if (answer.result === 'denied') {
    return { code: `denied: ${answer.reason ?? 'unknown'}`, text: `Access denied: ${REASON_TEXT[answer.reason ?? ''] ?? answer.reason}.` };
  }
  if (answer.result === 'pending') return { code: 'pending', text: 'Accepted; present the next credential.' };
  return { code: 'ok', text: `${what}: done${answer.lock_state ? `; the lock is ${answer.lock_state}` : ''}.` };
}

export function VirtualDoor({ lock }: { lock: Lock }) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [uid, setUid] = useState('04A1B2C3D4E5F6');
  const [finger, setFinger] = useState('');
  const [face, setFace] = useState('');
  const [percent, setPercent] = useState(String(lock.battery?.percent ?? 100));
  const [advance, setAdvance] = useState('60');
  const id = (name: string) => `sim-${lock.id}-${name}`;

  const act = async (what: SimWhat, label: string, body: Record<string, unknown> = {}) => {
    setBusy(true);
    try {
      setOutcome(outcomeOf(label, await api.sim(lock.id, what, body)));
    } catch (e) {
      setOutcome({ code: `error: ${describeError(e)}`, text: '' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card virtual-door" data-testid="virtual-door" aria-labelledby={id('title')}>
      <h2 id={id('title')}>Virtual door</h2>
      <p class="muted">This lock is simulated: act out what happens at the door.</p>

      <div class="sim-result" aria-live="polite">
        <span class="visually-hidden">Result: </span>
        <strong data-testid="sim-result">{outcome?.code ?? ''}</strong>
        {outcome?.text && <span class="muted"> {outcome.text}</span>}
      </div>

      <div class="sim-grid">
        <fieldset>
          <legend>Outside keypad</legend>
          <Keypad disabled={busy} onSubmit={(keys) => void act('keypad', 'Keypad', { keys })} />
        </fieldset>

        <fieldset>
          <legend>Outside readers</legend>
          <div class="field inline">
            <label for={id('uid')}>Card UID</label>
            <input id={id('uid')} value={uid} autocomplete="off" spellcheck={false} onInput={(e) => setUid(e.currentTarget.value)} />
            <button type="button" disabled={busy || !uid} onClick={() => void act('rfid', 'Card', { uid })}>
              Present card
            </button>
          </div>
          <div class="field inline">
            <label for={id('finger')}>Fingerprint template</label>
            <input id={id('finger')} value={finger} placeholder="alice-right-index" onInput={(e) => setFinger(e.currentTarget.value)} />
            <button type="button" disabled={busy || !finger} onClick={() => void act('finger', 'Finger', { template: finger })}>
              Present finger
            </button>
          </div>
          <div class="field inline">
            <label for={id('face')}>Face template</label>
            <input id={id('face')} value={face} placeholder="alice" onInput={(e) => setFace(e.currentTarget.value)} />
            <button type="button" disabled={busy || !face} onClick={() => void act('face', 'Face', { template: face })}>
              Show face
            </button>
          </div>
          <button type="button" disabled={busy} onClick={() => void act('button', 'Outside button')}>
            Outside button
          </button>
        </fieldset>

        <fieldset>
          <legend>Bolt by hand</legend>
          <div class="button-row">
            <button type="button" disabled={busy} onClick={() => void act('thumbturn', 'Thumbturn', { action: 'lock' })}>
              Thumbturn: lock
            </button>
            <button type="button" disabled={busy} onClick={() => void act('thumbturn', 'Thumbturn', { action: 'unlock' })}>
              Thumbturn: unlock
            </button>
          </div>
          <div class="button-row">
            <button type="button" disabled={busy} onClick={() => void act('key', 'Mechanical key', { action: 'lock' })}>
              Mechanical key: lock
            </button>
            <button type="button" disabled={busy} onClick={() => void act('key', 'Mechanical key', { action: 'unlock' })}>
              Mechanical key: unlock
            </button>
          </div>
        </fieldset>

        <fieldset>
          <legend>Door</legend>
          <div class="button-row">
            <button type="button" disabled={busy} aria-pressed={lock.door_state === 'open' || lock.door_state === 'ajar' || lock.door_state === 'forced_open'} onClick={() => void act('door', 'Door', { state: 'open' })}>
              Door open
            </button>
            <button type="button" disabled={busy} aria-pressed={lock.door_state === 'closed'} onClick={() => void act('door', 'Door', { state: 'closed' })}>
              Door closed
            </button>
          </div>
        </fieldset>

        <fieldset>
          <legend>Power</legend>
          <div class="field inline">
            <label for={id('battery')}>Battery %</label>
            <input id={id('battery')} type="number" min={0} max={100} inputMode="numeric" value={percent} onInput={(e) => setPercent(e.currentTarget.value)} />
            <button type="button" disabled={busy || percent === ''} onClick={() => void act('battery', 'Battery', { percent: Number(percent) })}>
              Set battery
            </button>
          </div>
          <div class="check">
            <input
              id={id('usb')}
              type="checkbox"
              checked={lock.battery?.external_power ?? false}
              disabled={busy}
              onChange={(e) => void act('external_power', 'USB power', { connected: e.currentTarget.checked })}
            />
            <label for={id('usb')}>USB power</label>
          </div>
          <button type="button" disabled={busy} onClick={() => void act('power_cycle', 'Power cycle')}>
            Power cycle
          </button>
        </fieldset>

        <fieldset>
          <legend>Trouble</legend>
          <div class="button-row">
            <button type="button" class="danger" disabled={busy} onClick={() => void act('tamper', 'Tamper')}>
              Tamper
            </button>
            <button type="button" disabled={busy} onClick={() => void act('jam', 'Jam', { next: true })}>
              Jam next move
            </button>
          </div>
          <div class="check">
            <input
              id={id('network')}
              type="checkbox"
              checked={lock.online}
              disabled={busy}
              onChange={(e) => void act('network', 'Network', { connected: e.currentTarget.checked })}
            />
            <label for={id('network')}>Network connected</label>
          </div>
          {!lock.online && lock.sim_control_url && (
            <p class="hint">
              The link to the hub is cut: the hub drives this door through the lock's own sim control at{' '}
              <code>{lock.sim_control_url}</code>. Tick "Network connected" to restore the link.
            </p>
          )}
        </fieldset>

        <fieldset>
          <legend>Clock</legend>
          <div class="field inline">
            <label for={id('advance')}>Seconds to advance</label>
            <input id={id('advance')} type="number" min={1} max={31536000} inputMode="numeric" value={advance} onInput={(e) => setAdvance(e.currentTarget.value)} />
            <button type="button" disabled={busy || !(Number(advance) > 0)} onClick={() => void act('clock', 'Clock', { advance_s: Number(advance) })}>
              Advance clock
            </button>
          </div>
        </fieldset>
      </div>
    </section>
  );
}
