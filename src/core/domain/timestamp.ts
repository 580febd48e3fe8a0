/**
 * The one way jitbot writes a moment for people, everywhere they read one (DMs, cards, replies, the
 * console, `/jit list`, `/jit audit`): `2026-12-04 19:49:05 UTC`. Seconds are kept because grants can
 * be as short as a few seconds; UTC because approvers and requesters may sit in different zones.
 */
export function formatTimestamp(at: number | string): string {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) return String(at);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}
