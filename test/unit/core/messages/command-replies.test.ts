import { describe, expect, it } from 'vitest';
import type { AccessRequest, RequestIn } from '../../../../src/core/domain/access-request.js';
import type { CommandOutcome, OutcomeKind } from '../../../../src/core/domain/command-outcome.js';
import { JitError } from '../../../../src/core/domain/errors.js';
import { commandReply, formReplyLines } from '../../../../src/core/messages/command-replies.js';
import { failureText, unexpectedFailureText } from '../../../../src/core/messages/failure-text.js';
import type { Logger } from '../../../../src/core/ports/logger.js';

// The renderers read the id, requester, resource and duration; the rest of the record does not matter here.
const request = { id: 'JIT-42', requester: 'alice', resource: 'deploy', durationMs: 90 * 60_000, approvalsRequired: 2 } as AccessRequest;
const pending = request as RequestIn<'pending'>;
const active = request as RequestIn<'active'>;
const END = Date.UTC(2026, 11, 4, 19, 49, 5);

// A Record over every kind: a new outcome kind does not compile until it has its sentence here.
const replies: Record<OutcomeKind, [CommandOutcome, string]> = {
  requested: [
    { kind: 'requested', request: pending, approvalsNeeded: 2 },
    'JIT-42: requested deploy for 1h30m; waiting for 2 approval(s). You will get a DM when it is decided.',
  ],
  auto_approved: [{ kind: 'auto_approved', request }, 'JIT-42: deploy for 1h30m was approved by policy; access is being issued and will arrive by DM.'],
  approved: [{ kind: 'approved', request }, 'You approved JIT-42; access is being issued to alice.'],
  extension_approved: [{ kind: 'extension_approved', request: active, endsAt: END }, 'You approved the extension of JIT-42; it now ends at 2026-12-04 19:49:05 UTC.'],
  approval_added: [{ kind: 'approval_added', request, extension: false, stillNeeded: 1 }, 'You approved JIT-42; it needs 1 more approval(s).'],
  denied: [{ kind: 'denied', request }, 'You denied JIT-42.'],
  extension_denied: [{ kind: 'extension_denied', request }, 'You denied the extension of JIT-42.'],
  cancelled: [{ kind: 'cancelled', request }, 'JIT-42 is cancelled.'],
  released: [{ kind: 'released', request }, 'JIT-42: your access is being revoked now.'],
  revoke_started: [{ kind: 'revoke_started', request }, 'JIT-42: access of alice is being revoked now.'],
  revoke_resolved: [{ kind: 'revoke_resolved', request }, 'JIT-42 is closed as revoked.'],
  extension_requested: [{ kind: 'extension_requested', request: active, durationMs: 30 * 60_000 }, 'JIT-42: extension of 30m requested; approvers have been asked.'],
  extended: [{ kind: 'extended', request, endsAt: END }, 'JIT-42 extended; it now ends at 2026-12-04 19:49:05 UTC.'],
};

describe('commandReply', () => {
  it.each(Object.entries(replies))('renders %s', (_kind, [outcome, text]) => {
    expect(commandReply(outcome)).toBe(text);
  });

  it('says "later" for an extension whose grant is no longer active', () => {
    expect(commandReply({ kind: 'extended', request, endsAt: undefined })).toBe('JIT-42 extended; it now ends at later.');
  });

  it('writes the approvals an extension still needs the same way as a request', () => {
    expect(commandReply({ kind: 'approval_added', request: active, extension: true, stillNeeded: 2 })).toBe('You approved JIT-42; it needs 2 more approval(s).');
  });
});

describe('formReplyLines (a Teams card that answers a form)', () => {
  it('answers a request in two lines that say the messages arrive here', () => {
    expect(formReplyLines({ kind: 'requested', request: pending, approvalsNeeded: 2 })).toEqual([
      'JIT-42: requested deploy for 1h30m.',
      'Waiting for 2 approval(s); you will get a message here when it is decided.',
    ]);
    expect(formReplyLines({ kind: 'auto_approved', request })).toEqual(['JIT-42: deploy for 1h30m was approved by policy.', 'The access is being issued and will arrive here.']);
  });

  it('answers an extension with the duration as jitbot reads it, or the new end', () => {
    expect(formReplyLines({ kind: 'extension_requested', request: active, durationMs: 90 * 60_000 })).toEqual(['Extension of 1h30m requested; the approvers have been asked.']);
    expect(formReplyLines({ kind: 'extended', request, endsAt: END })).toEqual(['JIT-42 extended; it now ends at 2026-12-04 19:49:05 UTC.']);
  });
});

describe('failureText', () => {
  function recording(): Logger & { errors: Array<[Record<string, unknown>, string]> } {
    const errors: Array<[Record<string, unknown>, string]> = [];
    return { errors, debug() {}, info() {}, warn() {}, error: (fields, message) => void errors.push([fields, message]) };
  }

  it("passes a refusal's own sentence through and logs nothing", () => {
    const log = recording();
    expect(failureText(new JitError('POLICY.NOT_APPROVER', 'bob is not an approver of deploy.'), log, 'approve')).toBe('bob is not an approver of deploy.');
    expect(log.errors).toEqual([]);
  });

  it('logs the cause of an unavailable store and shows its sentence', () => {
    const log = recording();
    const cause = new Error('ECONNREFUSED');
    expect(failureText(new JitError('STORE.UNAVAILABLE', 'jitbot cannot reach its store.', { cause }), log, 'list')).toBe('jitbot cannot reach its store.');
    expect(log.errors).toEqual([[{ err: cause, what: 'list' }, 'store unavailable']]);
  });

  it('answers anything else with the generic sentence and logs the error under the same reference', () => {
    const log = recording();
    const error = new Error('boom');
    const text = failureText(error, log, 'teams approve');
    const reference = /\(reference (\w+)\)/.exec(text)?.[1];
    expect(reference).toMatch(/^\w{4,}$/);
    expect(text).toBe(unexpectedFailureText(reference!));
    expect(text).toBe(`Something went wrong on jitbot's side (reference ${reference}); nothing was changed. Try again, or tell an admin.`);
    expect(log.errors).toEqual([[{ err: error, correlation: reference, what: 'teams approve' }, 'command failed']]);
  });
});
