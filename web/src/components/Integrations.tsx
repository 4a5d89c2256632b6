// Integrations (owner, admin): the Matter bridge's QR code and pairing code, the ecosystems
// (fabrics) it belongs to, a new commissioning window for another ecosystem, removing one; and
// where Home Assistant over MQTT is set up (docs/integrations.md).
import qrcode from 'qrcode-generator';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import type { MatterStatus } from '../types';
import { useAction } from '../useAction';
import { ConfirmButton } from './ConfirmButton';
import { ErrorText } from './ErrorText';

// The QR code as SVG cells (no markup from outside: only rectangles drawn here).
function QrCode({ payload }: { payload: string }) {
  const code = qrcode(0, 'M');
  code.addData(payload);
  code.make();
  const n = code.getModuleCount();
  const cells = [];
  for (let row = 0; row < n; ++row) {
    for (let col = 0; col < n; ++col) {
      if (code.isDark(row, col)) cells.push(<rect key={`${row}-${col}`} x={col + 4} y={row + 4} width={1} height={1} />);
    }
  }
  return (
    <svg class="qr" viewBox={`0 0 ${n + 8} ${n + 8}`} role="img" aria-label={`Matter QR code ${payload}`} data-payload={payload}>
      <rect width={n + 8} height={n + 8} fill="#fff" />
      <g fill="#000">{cells}</g>
    </svg>
  );
}

export function Integrations() {
  const [matter, setMatter] = useState<MatterStatus | null>(null);
  const load = useAction();
  const act = useAction();

  const reload = () => load.run(async () => setMatter(await api.matter()));
  useEffect(() => void reload(), []);

  return (
    <section class="page" aria-labelledby="integrations-title">
      <h1 id="integrations-title" tabIndex={-1}>
        Integrations
      </h1>
      <h2>Matter: Apple Home, Google Home, Alexa, SmartThings</h2>
      <ErrorText error={load.error} />
      {matter && !matter.enabled && (
        <p>
          The Matter bridge is off. Start the hub with <code>--matter</code> (or <code>[matter] enabled = true</code> in
          its configuration file) to add every lock to Apple Home, Google Home, Alexa or SmartThings.
        </p>
      )}
      {matter?.enabled && !matter.running && <p>The Matter bridge is starting or restarting…</p>}
      {matter?.enabled && matter.running && (
        <>
          {matter.qr_payload && <QrCode payload={matter.qr_payload} />}
          <p>
            Pairing code: <strong class="pairing-code">{matter.pairing_code}</strong>
          </p>
          <p class="hint">
            In your home app, add a Matter device and scan this code (or type the pairing code). Accept the warning
            about an uncertified device.
          </p>
          <h3>Ecosystems</h3>
          {matter.commissioned_fabrics && matter.commissioned_fabrics.length > 0 ? (
            <ul class="fabrics">
              {matter.commissioned_fabrics.map((f) => (
                <li key={f.index}>
                  {f.label || `Fabric ${f.index}`} <span class="hint">(vendor {f.vendor_id})</span>{' '}
                  <ConfirmButton
                    label="Remove"
                    confirmLabel={`Remove ${f.label || `fabric ${f.index}`}?`}
                    busy={act.busy}
                    onConfirm={() =>
                      void act.run(async () => {
                        await api.removeMatterFabric(f.index);
                        await reload();
                      })
                    }
                  />
                </li>
              ))}
            </ul>
          ) : (
            <p>Not added to any ecosystem yet.</p>
          )}
          <button
            type="button"
            onClick={() =>
              void act.run(async () => {
                setMatter(await api.openMatterCommissioning());
              })
            }
          >
            Add to another ecosystem
          </button>
          <ErrorText error={act.error} />
        </>
      )}
      <h2>Home Assistant over MQTT</h2>
      <p>
        Start the hub with <code>--mqtt mqtt://your-broker:1883</code> (or an <code>[mqtt]</code> section in its
        configuration file): every lock appears in Home Assistant by MQTT discovery. See docs/integrations.md.
      </p>
    </section>
  );
}
