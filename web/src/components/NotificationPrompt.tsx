// Offers system notifications for alarms; shown only while the browser has not been asked yet.
import { useState } from 'preact/hooks';

export function NotificationPrompt() {
  const supported = typeof window !== 'undefined' && 'Notification' in window;
  const [permission, setPermission] = useState(supported ? Notification.permission : 'denied');
  if (!supported || permission !== 'default') return null;
  const ask = async () => setPermission(await Notification.requestPermission());
  return (
    <div class="card notice">
      <p>Get alarms (tamper, forced door, lockout…) as system notifications, even when this tab is in the background.</p>
      <button type="button" onClick={() => void ask()}>
        Enable notifications
      </button>
    </div>
  );
}
