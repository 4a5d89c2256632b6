// Runs one user action at a time and keeps its outcome for an aria-live message.
import { useCallback, useState } from 'preact/hooks';
import { describeError, type ErrorContext } from './api';

export interface Action {
  busy: boolean;
  error: string | null;
  /** Runs `work`; a thrown error becomes `error` (a human sentence). Resolves true on success. */
  run(work: () => Promise<unknown>, context?: ErrorContext): Promise<boolean>;
  clear(): void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (work: () => Promise<unknown>, context?: ErrorContext) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (e) {
      setError(describeError(e, context));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(null) };
}
