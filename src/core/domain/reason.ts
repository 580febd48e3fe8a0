import { JitError } from './errors.js';

export const MAX_REASON_LENGTH = 3000;

// C0/C1 controls except tab and newline, bidi overrides and isolates, and the BOM: they hide or
// reorder text in a reviewer's view, so they never reach a card or the audit trail.
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFEFF]/g;

/** Normalises a reason as typed (NFC, hidden characters removed, trimmed) and bounds its length. */
export function normalizeReason(text: string): string {
  const clean = text.normalize('NFC').replace(HIDDEN, '').trim();
  if (clean.length > MAX_REASON_LENGTH) {
    throw new JitError('INPUT.BAD_REASON', `That reason is ${clean.length} characters long; keep it under ${MAX_REASON_LENGTH}.`);
  }
  return clean;
}
