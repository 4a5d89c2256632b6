// Live alarms as toasts in a polite live region (the browser notification is raised by the store).
import { formatShortTime } from '../format';
import { lockHref } from '../router';
import { dismissAlert, useStore } from '../store';

export function Alerts() {
  const { alerts } = useStore();
  return (
    <div class="alerts" role="status" aria-live="polite" aria-label="Alarms">
      {alerts.map((alert) => (
        <div class="alert" data-testid="alert" data-kind={alert.kind} key={alert.id}>
          <span class="alert-icon" aria-hidden="true">
            !
          </span>
          <p>
            <strong>{alert.text}</strong>
            <span class="muted"> · {formatShortTime(alert.time)}</span>
          </p>
          <div class="alert-actions">
            <a href={lockHref(alert.lock)} onClick={() => dismissAlert(alert.id)}>
              View
            </a>
            <button type="button" class="icon" aria-label={`Dismiss: ${alert.text}`} onClick={() => dismissAlert(alert.id)}>
              ×
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
