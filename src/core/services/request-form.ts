import { isJitError, type JitError } from '../domain/errors.js';
import { normalizeReason } from '../domain/reason.js';
import { checkDuration, checkReason, resourceForRequest } from '../policy/evaluate-policy.js';
import type { CoreDeps } from './core-context.js';

/** The fields of a request form (Slack modal, Teams card), as typed; empty strings for blanks. */
export interface RequestFormInput {
  resource: string;
  duration: string;
  reason: string;
}

export type RequestFormField = keyof RequestFormInput;

/** The policy's objection to each field that has one; an empty object means the form may be submitted. */
export type RequestFormProblems = Partial<Record<RequestFormField, JitError>>;

/**
 * The checks `requestAccess` makes on its input, field by field, so a form can show each objection
 * under its own field before anything is created. Duration and reason are only judged against a
 * resource this person may request. Pure and fast (no store), so it fits in a platform's ack window.
 */
export function validateRequestForm(deps: CoreDeps, person: string, input: RequestFormInput): RequestFormProblems {
  const policy = deps.policy();
  const problems: RequestFormProblems = {};
  const field = (name: RequestFormField, check: () => void): void => {
    try {
      check();
    } catch (error) {
      if (!isJitError(error)) throw error;
      problems[name] = error;
    }
  };
  field('resource', () => {
    const definition = resourceForRequest(policy, person, input.resource);
    field('duration', () => void checkDuration(policy, input.resource, definition, input.duration || undefined));
    field('reason', () => checkReason(input.resource, definition, normalizeReason(input.reason)));
  });
  return problems;
}
