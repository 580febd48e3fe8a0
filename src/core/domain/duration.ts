import { JitError } from './errors.js';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
// Units in descending order, each at most once, ASCII digits only ("1h30m", "45s", "1d").
const DURATION_PATTERN = /^(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?$/;

/** Parses `45s`, `30m`, `2h`, `1d`, `1h30m` into milliseconds; anything else is a typed error. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const match = DURATION_PATTERN.exec(trimmed);
  if (!trimmed || !match) {
    throw new JitError(
      'INPUT.BAD_DURATION',
      `"${printable(text)}" is not a duration. Use a number with a unit: 45s, 30m, 2h, 1d or 1h30m.`,
    );
  }
  const [, d, h, m, s] = match;
  const ms =
    Number(d ?? 0) * UNIT_MS.d + Number(h ?? 0) * UNIT_MS.h + Number(m ?? 0) * UNIT_MS.m + Number(s ?? 0) * UNIT_MS.s;
  if (ms <= 0) {
    throw new JitError('INPUT.BAD_DURATION', `"${printable(text)}" is zero; a duration must be longer than that.`);
  }
  return ms;
}

/** Formats milliseconds the way people type them: 5400000 → "1h30m". */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms / 1000) * 1000;
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out || '0s';
}

function printable(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
