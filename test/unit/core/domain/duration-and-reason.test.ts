import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../../src/core/domain/duration.js';
import { MAX_REASON_LENGTH, normalizeReason } from '../../../../src/core/domain/reason.js';

describe('durations', () => {
  it.each([
    ['45s', 45_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s', 93_784_000],
    [' 5m ', 300_000],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['0m', '0s', '-5m', '9999999h', '1e3m', '0x10m', '５m', '5 m', '5M', '90', '', 'm', '1m1h', '1.5h', '99999999999999999999m', '5min', 'abc'])(
    'rejects %j with a typed error that shows the right form',
    (text) => {
      expect(() => parseDuration(text)).toThrow(/duration|zero/);
      try {
        parseDuration(text);
      } catch (error) {
        expect((error as { code: string }).code).toBe('INPUT.BAD_DURATION');
      }
    },
  );

  it('formats as people type', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(86_400_000 + 60_000)).toBe('1d1m');
    expect(formatDuration(0)).toBe('0s');
  });
});

describe('reasons', () => {
  it('removes hidden characters, keeps emoji and newlines, normalises to NFC', () => {
    expect(normalizeReason('fix\u0000ing \u202Eevil\u202C INC-7 🚀\nline2')).toBe('fixing evil INC-7 🚀\nline2');
    expect(normalizeReason('e\u0301')).toBe('é');
  });
  it('refuses an overlong reason with the limit in the message', () => {
    expect(() => normalizeReason('x'.repeat(MAX_REASON_LENGTH + 1))).toThrow(/3000/);
    expect(normalizeReason('x'.repeat(MAX_REASON_LENGTH))).toHaveLength(MAX_REASON_LENGTH);
  });
});
