// "Unlock here" with this browser's phone key over Web Bluetooth, for the lock page's Phone key
// section and the login screen's door keys: the tap, and the lock's answer in plain words.
import { useState } from 'preact/hooks';
import { describeError } from '../api';
import { DoorError } from '../phone/door';
import type { Pattern } from '../phone/noise';
import { forgetPin, tap } from '../phone/tap';
import { refusalWords, resultWords } from '../phone/words';
import type { LockState } from '../types';

export interface TapOutcome {
  ok: boolean;
  text: string;
  pattern?: Pattern;
  /** The pinned lock key did not work: offer to forget it. */
  offerForget?: boolean;
}

function chooserWords(e: unknown): string | null {
  const { name, message = '' } = (e ?? {}) as { name?: string; message?: string };
  if (name === 'NotFoundError' && /adapter/i.test(message)) return 'Bluetooth is off on this device. Turn it on and try again.';
  if (name === 'NotFoundError') return 'No lock was chosen. Stand near the door and try again.';
  if (name === 'SecurityError') return 'The browser did not allow Bluetooth here.';
  if (name === 'NetworkError') return 'Could not connect to the lock. Move closer and try again.';
  return null;
}

export interface PhoneTap {
  busy: boolean;
  outcome: TapOutcome | null;
  /** Counts the answers, so that the same words twice still read as a new answer. */
  answers: number;
  error: string | null;
  unlock(): Promise<void>;
  forget(): Promise<void>;
}

export function usePhoneTap(account: string, lockId: string, lockName: string, onState?: (state: LockState) => void): PhoneTap {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<TapOutcome | null>(null);
  const [answers, setAnswers] = useState(0);
  const [error, setError] = useState<string | null>(null);

  const unlock = async () => {
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      const out = await tap(account, lockId, 'unlock');
      if (out.res.ok) {
        if (out.res.result) onState?.(out.res.result.lock_state as LockState);
        setOutcome({ ok: true, text: resultWords(out.res), pattern: out.pattern });
      } else {
        setOutcome({ ok: false, text: refusalWords(out.res), pattern: out.pattern });
      }
      setAnswers((n) => n + 1);
    } catch (e) {
      if (!(e instanceof DoorError)) {
        setError(chooserWords(e) ?? describeError(e));
      } else if (e.stage === 'wrong_lock') {
        setOutcome({ ok: false, text: `That is not ${lockName}: ${e.message}. Choose this door’s lock.`, pattern: e.pattern });
      } else if (e.cause === 'io') {
        setOutcome({
          ok: false,
          pattern: e.pattern,
          text: `The lock refused the connection (${e.message}): another phone may be using it. Try again in a few seconds.`,
        });
      } else if (e.pinnedKeyFailed) {
        setOutcome({
          ok: false,
          pattern: e.pattern,
          offerForget: true,
          text:
            'The lock did not accept the key this browser remembers for it. If the lock was reset, forget its key and try ' +
            'again; otherwise move closer and retry.',
        });
      } else {
        setOutcome({ ok: false, text: `The session with the lock failed: ${e.message}.`, pattern: e.pattern });
      }
      if (e instanceof DoorError) setAnswers((n) => n + 1);
    } finally {
      setBusy(false);
    }
  };

  const forget = async () => {
    await forgetPin(lockId);
    setOutcome(null);
  };

  return { busy, outcome, answers, error, unlock, forget };
}

/** The lock's answer, and the way out when its pinned key no longer works. */
export function TapAnswer({ tap, onForgotten }: { tap: PhoneTap; onForgotten?: () => void }) {
  const { outcome } = tap;
  if (!outcome) return null;
  return (
    <>
      <p
        role="status"
        class={outcome.ok ? 'ok' : 'error'}
        data-testid="phone-result"
        data-ok={String(outcome.ok)}
        data-pattern={outcome.pattern ?? ''}
        data-answer={tap.answers}
      >
        {outcome.text}
      </p>
      {outcome.offerForget && (
        <div class="button-row">
          <button type="button" disabled={tap.busy} onClick={() => void tap.forget().then(onForgotten)}>
            Forget the lock’s key
          </button>
        </div>
      )}
    </>
  );
}
