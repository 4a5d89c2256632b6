// The outside keypad of a simulated lock: digits are collected here and sent with `#`;
// `*` clears what was typed, as on the real keypad.
import { useState } from 'preact/hooks';

interface Props {
  disabled: boolean;
  /** Sends the keys (digits followed by `#`). */
  onSubmit(keys: string): void;
}

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

export function Keypad({ disabled, onSubmit }: Props) {
  const [typed, setTyped] = useState('');
  const press = (key: string) => {
    if (key === '*') setTyped('');
    else if (key === '#') {
      onSubmit(`${typed}#`);
      setTyped('');
    } else if (typed.length < 16) setTyped(typed + key);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (/^[0-9]$/.test(e.key)) press(e.key);
    else if (e.key === 'Enter') press('#');
    else if (e.key === 'Escape') press('*');
    else if (e.key === 'Backspace') setTyped(typed.slice(0, -1));
    else return;
    e.preventDefault();
  };
  return (
    <div class="keypad" role="group" aria-label="Keypad" onKeyDown={onKeyDown}>
      <output class="keypad-display" aria-label="Digits typed">
        {typed ? '•'.repeat(typed.length) : '\u00a0'}
      </output>
      <div class="keypad-keys">
        {KEYS.map((key) => (
          <button
            type="button"
            key={key}
            class={key === '#' ? 'key submit' : key === '*' ? 'key clear' : 'key'}
            aria-label={`Key ${key}`}
            title={key === '#' ? 'Submit' : key === '*' ? 'Clear' : undefined}
            disabled={disabled}
            onClick={() => press(key)}
          >
            {key}
          </button>
        ))}
      </div>
    </div>
  );
}
