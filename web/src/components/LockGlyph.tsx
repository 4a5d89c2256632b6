// A padlock drawn for the lock's state (decorative: the state is also given in words).
import type { LockState } from '../types';

export function LockGlyph({ state }: { state: LockState }) {
  const open = state === 'unlocked' || state === 'unlatched' || state === 'unlocking';
  return (
    <svg class="glyph" viewBox="0 0 48 48" width="48" height="48" aria-hidden="true" focusable="false">
      <path
        d={open ? 'M15 22v-8a9 9 0 0 1 17.6-2.6' : 'M15 22v-8a9 9 0 0 1 18 0v8'}
        fill="none"
        stroke="currentColor"
        stroke-width="4"
        stroke-linecap="round"
      />
      <rect x="9" y="22" width="30" height="22" rx="4" fill="currentColor" />
      {state === 'jammed' ? (
        <path d="M19 28l10 10M29 28l-10 10" stroke="var(--card)" stroke-width="3.5" stroke-linecap="round" />
      ) : (
        <circle cx="24" cy="33" r="3.5" fill="var(--card)" />
      )}
    </svg>
  );
}
