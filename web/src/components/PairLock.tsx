// Pairing a lock with the hub (owner, admin): its link address and the setup code from its label
// (LINK.md). The hub runs the pairing handshake; a wrong code or a lock that already has a hub
// is refused and nothing is stored.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { loadLocks } from '../store';
import { useAction } from '../useAction';
import { ErrorText } from './ErrorText';

export function PairLock() {
  const [open, setOpen] = useState(false);
  const [address, setAddress] = useState('');
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [paired, setPaired] = useState('');
  const action = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    setPaired('');
    const addr = address.trim();
    if (!/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(addr)) {
      return void action.run(() => Promise.reject(new Error('The address is host:port, as the lock prints it (e.g. 192.168.1.30:7300).')));
    }
    if (code.replace(/[-\s]/g, '').length !== 26) {
      return void action.run(() => Promise.reject(new Error('The setup code has 26 letters and digits (dashes optional).')));
    }
    void action.run(async () => {
      const lock = await api.pairLock({ address: addr, setup_code: code.trim(), name: name.trim() || undefined });
      setPaired(`Paired ${lock.name}.`);
      setAddress('');
      setCode('');
      setName('');
      setOpen(false);
      await loadLocks();
    });
  };

  return (
    <section class="card" aria-labelledby="pair-title">
      <h2 id="pair-title">Add a lock</h2>
      {!open ? (
        <button type="button" onClick={() => setOpen(true)}>
          Pair a new lock
        </button>
      ) : (
        <form onSubmit={submit} noValidate aria-label="Pair a lock">
          <div class="grid2">
            <div class="field">
              <label for="pair-address">Lock address</label>
              <input id="pair-address" autocomplete="off" autocapitalize="none" placeholder="192.168.1.30:7300" value={address} onInput={(e) => setAddress(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="pair-code">Setup code</label>
              <input
                id="pair-code"
                autocomplete="off"
                autocapitalize="characters"
                spellcheck={false}
                aria-describedby="pair-code-hint"
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
              />
              <p class="hint" id="pair-code-hint">
                On the lock's label, or in its data folder as setup-code.
              </p>
            </div>
            <div class="field">
              <label for="pair-name">Name (optional)</label>
              <input id="pair-name" maxLength={64} placeholder="Back door" value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </div>
          </div>
          <ErrorText error={action.error} />
          <div class="button-row">
            <button type="submit" class="primary" disabled={action.busy}>
              {action.busy ? 'Pairing…' : 'Pair'}
            </button>
            <button type="button" onClick={() => (action.clear(), setOpen(false))}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <p aria-live="polite" class="ok-text">
        {paired}
      </p>
    </section>
  );
}
