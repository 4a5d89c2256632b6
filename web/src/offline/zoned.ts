// Times in the lock's time zone (its `timezone` setting), whatever the browser's: the window a
// host types is what the lock's wall clock will show, and a code's window is shown the same way.
// Intl has no "this wall time in that zone" conversion, so the zone's offset is read from
// formatToParts and the guess corrected once (enough across a summer-time change).

const partsFormats = new Map<string, Intl.DateTimeFormat>();

/** `zone` if Intl knows it, else UTC. */
export function knownZone(zone: string | undefined): string {
  if (!zone) return 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    return 'UTC';
  }
}

function wallParts(ms: number, zone: string): number[] {
  let format = partsFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormats.set(zone, format);
  }
  const get = (type: string) => Number(format!.formatToParts(new Date(ms)).find((p) => p.type === type)?.value ?? 0);
  return [get('year'), get('month'), get('day'), get('hour'), get('minute'), get('second')];
}

/** How far `zone`'s wall clock is ahead of UTC at instant `ms`. */
function offsetMs(ms: number, zone: string): number {
  const [y, mo, d, h, mi, s] = wallParts(ms, zone);
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) - Math.floor(ms / 1000) * 1000;
}

/** A datetime-local value ("2026-12-24T10:00") read as `zone`'s wall clock: the instant, or null. */
export function zonedToInstant(local: string, zone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return null;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  let instant = wall - offsetMs(wall, zone);
  instant = wall - offsetMs(instant, zone);
  return instant;
}

/** An instant as a datetime-local value in `zone`. */
export function instantToZoned(ms: number, zone: string): string {
  const [y, mo, d, h, mi] = wallParts(ms, zone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${y}-${two(mo!)}-${two(d!)}T${two(h!)}:${two(mi!)}`;
}

/** "Thu, 26 Nov 2026, 10:00 – 14:00" (both days when they differ), in `zone`. */
export function formatWindow(startsAt: string | number, endsAt: string | number, zone: string): string {
  const day = new Intl.DateTimeFormat(undefined, { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
  const time = new Intl.DateTimeFormat(undefined, { timeZone: zone, hour: '2-digit', minute: '2-digit' });
  const a = new Date(startsAt);
  const b = new Date(endsAt);
  if (Number.isNaN(a.getTime()) || Number.isNaN(b.getTime())) return `${startsAt} – ${endsAt}`;
  const sameDay = day.format(a) === day.format(b);
  return sameDay
    ? `${day.format(a)}, ${time.format(a)} – ${time.format(b)}`
    : `${day.format(a)}, ${time.format(a)} – ${day.format(b)}, ${time.format(b)}`;
}

/** An instant as "Thu, 26 Nov 2026, 10:05" in `zone`. */
export function formatZoned(time: string | number, zone: string): string {
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) return String(time);
  return new Intl.DateTimeFormat(undefined, {
    timeZone: zone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(d);
}

/** "1234 5678 9012": a code in groups of four, as people read it. */
export function groupedCode(code: string): string {
  return code.replace(/(\d{4})(?=\d)/g, '$1 ');
}
