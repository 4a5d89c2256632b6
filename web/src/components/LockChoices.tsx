// Which locks an account or a token may reach: a checkbox per lock; none ticked means every lock.
import type { Lock } from '../types';

interface Props {
  idPrefix: string;
  legend: string;
  locks: Lock[];
  chosen: string[];
  onChange(chosen: string[]): void;
}

export function LockChoices({ idPrefix, legend, locks, chosen, onChange }: Props) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {locks.map((l) => (
        <div class="check" key={l.id}>
          <input
            id={`${idPrefix}-${l.id}`}
            type="checkbox"
            checked={chosen.includes(l.id)}
            onChange={(e) => onChange(e.currentTarget.checked ? [...chosen, l.id] : chosen.filter((x) => x !== l.id))}
          />
          <label for={`${idPrefix}-${l.id}`}>{l.name}</label>
        </div>
      ))}
    </fieldset>
  );
}
