// A destructive action takes two clicks: the first turns the button into "Confirm …" and
// "Cancel", in the page (a native dialog is easy to lose with a keyboard or a screen reader).
import { useState } from 'preact/hooks';

interface Props {
  label: string;
  confirmLabel: string;
  busy: boolean;
  onConfirm(): void;
  describedBy?: string;
}

export function ConfirmButton({ label, confirmLabel, busy, onConfirm, describedBy }: Props) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button type="button" disabled={busy} onClick={() => setConfirming(true)} aria-describedby={describedBy}>
        {label}
      </button>
    );
  }
  return (
    <>
      <button type="button" class="danger" disabled={busy} onClick={onConfirm} aria-describedby={describedBy}>
        {confirmLabel}
      </button>
      <button type="button" onClick={() => setConfirming(false)}>
        Cancel
      </button>
    </>
  );
}
