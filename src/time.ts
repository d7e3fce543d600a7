/** Durations ("90s", "15m", "2h", "7d", "1w", "500ms") and moments (ISO-8601, or a duration ago). */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "15m" -> 900000; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

/**
 * An ISO-8601 time ("2026-12-03T18:00:00Z", "2026-12-03" = UTC midnight; a time without a zone is
 * taken as UTC, the tape's one clock) or a duration meaning that long before `now`.
 * Returns epoch ms, or null when it is neither.
 */
export function parseWhen(text: string, now: number): number | null {
  const t = text.trim();
  const d = parseDuration(t);
  if (d !== null) return now - d;
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    if (!isCalendarDate(t)) return null;
    const ms = Date.parse(`${t}T00:00:00Z`);
    return Number.isNaN(ms) ? null : ms;
  }
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$/i.exec(t);
  if (!m || !isCalendarDate(m[1]!)) return null;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ? m[3].toUpperCase() : 'Z'}`);
  return Number.isNaN(ms) ? null : ms;
}

/** "2026-02-29" is not a day (Date.parse would read it as 1 March): the date must exist. */
function isCalendarDate(ymd: string): boolean {
  const [y, mo, d] = ymd.split('-').map(Number) as [number, number, number];
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d); // not Date.UTC: it reads years 0-99 as 1900-1999
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}
