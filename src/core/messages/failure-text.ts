import { isJitError } from '../domain/errors.js';
import type { Logger } from '../ports/logger.js';

/** The one answer to a failure jitbot did not expect; `reference` finds its log line. */
export function unexpectedFailureText(reference: string): string {
  return `Something went wrong on jitbot's side (reference ${reference}); nothing was changed. Try again, or tell an admin.`;
}

/**
 * What a person sees when a command fails, on every platform. A JitError is a refusal: its message is
 * written for the person who caused it. Anything else gets the generic answer with a fresh reference,
 * and the error is logged once under that reference (`what` says which command or action it was).
 */
export function failureText(error: unknown, log: Logger, what: string): string {
  if (isJitError(error)) {
    if (error.code === 'STORE.UNAVAILABLE') log.error({ err: error.cause, what }, 'store unavailable');
    return error.message;
  }
  const reference = Math.random().toString(36).slice(2, 10);
  log.error({ err: error, correlation: reference, what }, 'command failed');
  return unexpectedFailureText(reference);
}
