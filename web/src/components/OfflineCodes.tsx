// The lock page's "Offline code" section (OFFLINE-CODES.md; docs/offline-codes.md), owner and
// admin: a 12-digit code for a window ("Saturday 10:00–14:00"), optionally one-time, that the lock
// checks with its own clock, so it opens even when the lock has no connection. The window is typed
// and shown in the LOCK's time zone. The new code is shown big, with copy and share; the list
// shows every code with its status and a revoke button ("revocation pending" until the lock has
// it), and "Clear all codes" issues a clear code that ends every earlier one.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, describeError } from '../api';
import type { OfflineCode, OfflineCodeInput, OfflineCodeStatus, OfflineCodeType } from '../offline/types';
import { formatWindow, formatZoned, groupedCode, instantToZoned, knownZone, zonedToInstant } from '../offline/zoned';
import type { Lock } from '../types';
import { useAction } from '../useAction';
import { ConfirmButton } from './ConfirmButton';
import { ErrorText } from './ErrorText';

const HOUR_MS = 3_600_000;

const TYPE_LABEL: Record<OfflineCodeType, string> = {
  window: 'Any number of times',
  one_time: 'One-time',
  clear: 'Clear code',
};

const STATUS_LABEL: Record<OfflineCodeStatus, string> = {
  issued: 'Issued',
  used: 'Used',
  revoked: 'Revoked',
  revocation_pending: 'Revocation pending',
  cleared: 'Cleared',
  expired: 'Expired',
};

/** The hub's own sentence where the app's generic one would mislead (a full list, a clear not yet known). */
function describe(e: unknown): string {
  if (e instanceof ApiError && ((e.code as string) === 'clear_pending' || e.code === 'resource_exhausted')) {
    return `Not possible now: ${e.message}.`;
  }
  return describeError(e);
}

export function OfflineCodes({ lock }: { lock: Lock }) {
  const zone = knownZone(lock.settings?.timezone);
  const p = `oc-${lock.id}`;
  const [codes, setCodes] = useState<OfflineCode[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const start = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS;
  const [from, setFrom] = useState(() => instantToZoned(start, zone));
  const [until, setUntil] = useState(() => instantToZoned(start + 4 * HOUR_MS, zone));
  const [oneTime, setOneTime] = useState(false);
  const [name, setName] = useState('');
  const [issued, setIssued] = useState<OfflineCode | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'issue' | 'clear' | null>(null);

  const reload = async () => {
    try {
      setCodes(await api.offlineCodes(lock.id));
      setListError(null);
    } catch (e) {
      setListError(describeError(e));
    }
  };
  useEffect(() => void reload(), [lock.id, lock.online]);
  // While a revocation is on its way, look again: the status changes once the lock has it.
  const waiting = codes?.some((c) => c.status === 'revocation_pending' || (c.status === 'cleared' && !c.delivered)) ?? false;
  useEffect(() => {
    if (!waiting) return undefined;
    const timer = setInterval(() => void reload(), 3000);
    return () => clearInterval(timer);
  }, [waiting, lock.id]);

  const issue = async (input: OfflineCodeInput, what: 'issue' | 'clear') => {
    setBusy(what);
    setFormError(null);
    try {
      setIssued(await api.issueOfflineCode(lock.id, input));
      await reload();
    } catch (e) {
      setFormError(describe(e));
    } finally {
      setBusy(null);
    }
  };

  const submit = (e: Event) => {
    e.preventDefault();
    const startsAt = zonedToInstant(from, zone);
    const endsAt = zonedToInstant(until, zone);
    if (startsAt === null || endsAt === null) return setFormError('Give both when the code starts and when it ends.');
    if (endsAt <= startsAt) return setFormError('The code must start before it ends.');
    if (endsAt <= Date.now()) return setFormError('That time has already passed.');
    const input: OfflineCodeInput = { starts_at: new Date(startsAt).toISOString(), ends_at: new Date(endsAt).toISOString() };
    if (oneTime) input.one_time = true;
    if (name.trim()) input.name = name.trim();
    void issue(input, 'issue');
  };

  return (
    <section class="card" aria-labelledby={`${p}-title`} data-testid="offline-codes">
      <h2 id={`${p}-title`}>Offline code</h2>
      <p class="muted">
        A 12-digit code for a cleaner or a guest, typed on the keypad followed by #. The lock checks it with its own clock, so it
        opens in its window even when the lock has no connection. Times are the lock’s ({zone}), in whole hours.
      </p>
      {issued && <NewCode lock={lock} code={issued} zone={zone} onDone={() => setIssued(null)} />}
      <form onSubmit={submit} noValidate aria-label="New offline code">
        <div class="grid2">
          <div class="field">
            <label for={`${p}-from`}>Code works from</label>
            <input id={`${p}-from`} type="datetime-local" step={3600} value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for={`${p}-until`}>Code works until</label>
            <input id={`${p}-until`} type="datetime-local" step={3600} value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for={`${p}-name`}>For whom (optional)</label>
            <input id={`${p}-name`} value={name} maxLength={64} onInput={(e) => setName(e.currentTarget.value)} />
          </div>
        </div>
        <div class="check">
          <input id={`${p}-once`} type="checkbox" checked={oneTime} onChange={(e) => setOneTime(e.currentTarget.checked)} />
          <label for={`${p}-once`}>One-time: opens only once</label>
        </div>
        <p class="hint">The start is rounded down and the end up to the full hour.</p>
        <ErrorText error={formError} />
        <div class="button-row">
          <button type="submit" class="primary" disabled={busy !== null}>
            {busy === 'issue' ? 'Making the code…' : 'Get offline code'}
          </button>
        </div>
      </form>
      <h3>Issued codes</h3>
      <ErrorText error={listError} />
      {codes && codes.length === 0 && <p class="muted">No offline code yet.</p>}
      <ul class="plain" aria-label="Issued offline codes">
        {codes?.map((c) => <CodeRow key={c.id} lock={lock} code={c} zone={zone} onChanged={() => void reload()} />)}
      </ul>
      {codes && codes.length > 0 && (
        <>
          <div class="button-row">
            <ConfirmButton
              label="Clear all codes"
              confirmLabel="Yes, end every code issued so far"
              busy={busy !== null}
              describedBy={`${p}-clear-hint`}
              onConfirm={() => void issue({ clear: true }, 'clear')}
            />
          </div>
          <p class="hint" id={`${p}-clear-hint`}>
            Clearing gives a clear code: a lock that is online stops every earlier code at once; an offline lock does when
            it connects, or when the clear code (or any newer code) is typed at the door.
          </p>
        </>
      )}
    </section>
  );
}

function NewCode({ lock, code, zone, onDone }: { lock: Lock; code: OfflineCode; zone: string; onDone(): void }) {
  const [told, setTold] = useState<string | null>(null);
  const digits = code.code ?? '';
  const span = formatWindow(code.starts_at, code.ends_at, zone);
  const once = code.type !== 'window';
  const text = `Code for ${lock.name}: ${groupedCode(digits)} then #. Valid ${span} (${zone})${once ? ', once' : ''}.`;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(digits);
      setTold('Copied.');
    } catch {
      setTold('This browser did not allow copying: select the code instead.');
    }
  };
  const share = async () => {
    try {
      await navigator.share({ title: `Code for ${lock.name}`, text });
    } catch (e) {
      if ((e as { name?: string })?.name !== 'AbortError') setTold('Sharing did not work here: copy the code instead.');
    }
  };
  return (
    <div class="new-pin-box" role="status" data-testid="offline-code-new" data-code={digits} data-id={code.id}>
      <p>
        {code.type === 'clear' ? 'Clear code' : 'Offline code'}
        {code.name ? ` for ${code.name}` : ''}: type it on the keypad, then #.
      </p>
      <p class="new-pin offline-code" data-testid="offline-code-digits">
        {groupedCode(digits)}
      </p>
      <p data-testid="offline-code-window">
        {span} <span class="muted">(lock time, {zone})</span>
        {once && <strong> · opens once</strong>}
      </p>
      {code.type === 'clear' && (
        <p>
          {code.delivered
            ? 'The lock already refuses every earlier code.'
            : 'The lock is offline: earlier codes stop when it connects, or when this code or a newer one is typed at the door.'}
        </p>
      )}
      {code.lock_has_key === false && (
        <p class="error">The lock has not received its offline-code key yet: the code works once the lock has connected to the hub.</p>
      )}
      <div class="button-row">
        <button type="button" onClick={() => void copy()}>
          Copy code
        </button>
        {typeof navigator.share === 'function' && (
          <button type="button" onClick={() => void share()}>
            Share…
          </button>
        )}
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
      {told && <p class="ok-text">{told}</p>}
    </div>
  );
}

function CodeRow({ lock, code, zone, onChanged }: { lock: Lock; code: OfflineCode; zone: string; onChanged(): void }) {
  const action = useAction();
  const [answer, setAnswer] = useState<string | null>(null);
  const revoke = () =>
    void action.run(async () => {
      const done = await api.revokeOfflineCode(lock.id, code.id);
      setAnswer(
        done.status === 'revocation_pending'
          ? 'Revocation pending: the lock is offline and gets it when it connects. Until then the code still opens.'
          : 'Revoked: the lock refuses it.',
      );
      onChanged();
    });
  const pending = code.status === 'revocation_pending' || (code.status === 'cleared' && !code.delivered);
  return (
    <li class="holiday-row" data-testid="offline-code-row" data-id={code.id} data-status={code.status}>
      <span>
        <strong>{code.name || TYPE_LABEL[code.type]}</strong> · {formatWindow(code.starts_at, code.ends_at, zone)}
        {code.name && <span class="muted"> · {TYPE_LABEL[code.type]}</span>}{' '}
        <span class={code.status === 'issued' ? 'tag ok' : pending ? 'tag warn' : 'tag'} data-testid="offline-code-status">
          {STATUS_LABEL[code.status] ?? code.status}
        </span>
        {code.used_at && <span class="muted"> · first used {formatZoned(code.used_at, zone)}</span>}
        {pending && <span class="muted"> · reaches the lock when it connects</span>}
      </span>
      {code.code && (
        <details>
          <summary>Show code</summary>
          <span class="new-pin offline-code">{groupedCode(code.code)}</span>
        </details>
      )}
      {code.status === 'issued' && (
        <button type="button" disabled={action.busy} onClick={revoke}>
          Revoke {code.name || 'code'}
        </button>
      )}
      {answer && (
        <p class="ok-text" role="status">
          {answer}
        </p>
      )}
      <ErrorText error={action.error} />
    </li>
  );
}
