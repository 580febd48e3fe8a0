import type { AccessRequest, Actor } from '../domain/access-request.js';
import { formatDuration } from '../domain/duration.js';
import { JitError, isJitError } from '../domain/errors.js';
import { describeStatus } from '../domain/lifecycle.js';
import { formatTimestamp } from '../domain/timestamp.js';
import { auditLine } from '../messages/audit-text.js';
import { durationLimits, requestableResources } from '../policy/evaluate-policy.js';
import { mayReadHistory } from './command-targets.js';
import { loadRequest, type CoreDeps } from './core-context.js';
import { cancelRequest, extendAccess, releaseAccess, revokeAccess } from './end-access.js';
import { parseCommand, USAGE, type CommandContext, type JitCommand } from './parse-command.js';
import { requestAccess } from './request-access.js';
import { approveRequest, denyRequest } from './review-request.js';
import { resourceNamed } from '../policy/policy-lookup.js';

type PersonActor = Actor & { kind: 'person' };

/** A resource as the request form shows it. */
export interface ResourceChoice {
  name: string;
  description: string;
  minMs: number;
  defaultMs: number;
  maxMs: number;
  reason: 'required' | 'optional';
  ticket?: string;
}

/** The answer to a command, shown only to the person who typed it. */
export interface CommandReply {
  ok: boolean;
  text: string;
  /** Set for `/jit` alone: the adapter opens its request form with these choices. */
  form?: ResourceChoice[];
  request?: AccessRequest;
}

/** Parses and runs one `/jit` command for a person; every mistake becomes a reply, never a throw. */
export async function handleCommand(deps: CoreDeps, actor: PersonActor, text: string): Promise<CommandReply> {
  let name = 'unparsed';
  try {
    const command = parseCommand(text, commandContext(deps));
    name = command.name;
    const reply = await runCommand(deps, actor, command);
    deps.observer?.commandHandled?.(name, 'ok');
    return reply;
  } catch (error) {
    deps.observer?.commandHandled?.(name, isJitError(error) ? 'refused' : 'error');
    return errorReply(deps, error);
  }
}

export function errorReply(deps: CoreDeps, error: unknown): CommandReply {
  if (isJitError(error)) {
    if (error.code === 'STORE.UNAVAILABLE') deps.log.error({ err: error.cause }, 'store unavailable');
    return { ok: false, text: error.message };
  }
  const correlation = Math.random().toString(36).slice(2, 10);
  deps.log.error({ err: error, correlation }, 'command failed');
  return { ok: false, text: `Something went wrong on jitbot's side (reference ${correlation}); nothing was changed. Try again, or tell an admin.` };
}

export async function runCommand(deps: CoreDeps, actor: PersonActor, command: JitCommand): Promise<CommandReply> {
  switch (command.name) {
    case 'form': {
      const form = resourceChoices(deps, actor.person);
      if (form.length === 0) return { ok: false, text: 'There is nothing you may request. Ask an admin to add you to the policy.' };
      return { ok: true, text: 'Choose a resource, a duration and a reason.', form };
    }
    case 'help':
      return { ok: true, text: ['jitbot: just-in-time access.', ...USAGE].join('\n') };
    case 'resources':
      return { ok: true, text: resourcesText(deps, actor.person) };
    case 'list':
      return { ok: true, text: await listText(deps, actor.person) };
    case 'request': {
      const request = await requestAccess(deps, { actor, resource: command.resource, duration: command.duration, reason: command.reason });
      const text =
        request.status === 'pending'
          ? `${request.id}: requested ${request.resource} for ${formatDuration(request.durationMs)}; waiting for ${request.approvalsRequired} approval(s). You will get a DM when it is decided.`
          : `${request.id}: ${request.resource} for ${formatDuration(request.durationMs)} was approved by policy; access is being issued and will arrive by DM.`;
      return { ok: true, text, request };
    }
    case 'approve': {
      const request = await approveRequest(deps, actor, command.id);
      const text =
        request.status === 'approved'
          ? `You approved ${request.id}; access is being issued to ${request.requester}.`
          : request.status === 'active' && !request.pendingExtension
            ? `You approved the extension of ${request.id}; it now ends at ${formatTimestamp(request.window.end)}.`
            : `You approved ${request.id}; it needs ${Math.max(0, request.approvalsRequired - (request.status === 'active' && request.pendingExtension ? request.pendingExtension.approvals.length : request.approvals.length))} more approval(s).`;
      return { ok: true, text, request };
    }
    case 'deny': {
      const request = await denyRequest(deps, actor, command.id, command.reason);
      return { ok: true, text: request.status === 'denied' ? `You denied ${request.id}.` : `You denied the extension of ${request.id}.`, request };
    }
    case 'cancel': {
      const request = await cancelRequest(deps, actor, command.id);
      return { ok: true, text: `${request.id} is cancelled.`, request };
    }
    case 'release': {
      const request = await releaseAccess(deps, actor, command.id);
      return { ok: true, text: `${request.id}: your access is being revoked now.`, request };
    }
    case 'extend': {
      const request = await extendAccess(deps, actor, command.id, command.duration, command.reason);
      const text =
        request.status === 'active' && request.pendingExtension
          ? `${request.id}: extension of ${command.duration} requested; approvers have been asked.`
          : `${request.id} extended; it now ends at ${request.status === 'active' ? formatTimestamp(request.window.end) : 'later'}.`;
      return { ok: true, text, request };
    }
    case 'revoke': {
      const request = await revokeAccess(deps, actor, command.id, command.reason);
      return {
        ok: true,
        text: request.status === 'revoked' ? `${request.id} is closed as revoked.` : `${request.id}: access of ${request.requester} is being revoked now.`,
        request,
      };
    }
    case 'audit':
      return { ok: true, text: await auditText(deps, actor.person, command.id) };
  }
}

/** What the grammar knows of the policy: resource names (to spot a mistyped verb) and durations that fit them (for examples). */
function commandContext(deps: CoreDeps): CommandContext {
  const policy = deps.policy();
  const names = Object.keys(policy.resources);
  return {
    resources: names,
    exampleDuration: (name) => (names.includes(name) ? formatDuration(durationLimits(policy, policy.resources[name]!).defaultMs) : undefined),
  };
}

export function resourceChoices(deps: CoreDeps, person: string): ResourceChoice[] {
  const policy = deps.policy();
  return requestableResources(policy, person).map((name) => {
    const resource = resourceNamed(policy, name)!;
    const limits = durationLimits(policy, resource);
    return {
      name,
      description: resource.description,
      minMs: limits.minMs,
      defaultMs: limits.defaultMs,
      maxMs: limits.maxMs,
      reason: resource.reason,
      ...(resource.ticket ? { ticket: resource.ticket } : {}),
    };
  });
}

function resourcesText(deps: CoreDeps, person: string): string {
  const choices = resourceChoices(deps, person);
  if (choices.length === 0) return 'There is nothing you may request.';
  return [
    'You may request:',
    ...choices.map(
      (c) =>
        `• ${c.name}: ${c.description || '(no description)'} (${formatDuration(c.minMs)} to ${formatDuration(c.maxMs)}, default ${formatDuration(c.defaultMs)}; reason ${c.reason}${c.ticket ? `, ticket ${c.ticket}` : ''})`,
    ),
  ].join('\n');
}

function line(request: AccessRequest): string {
  return `• ${request.id} ${request.resource} for ${formatDuration(request.durationMs)}: ${describeStatus(request)}`;
}

async function listText(deps: CoreDeps, person: string): Promise<string> {
  const mine = await deps.requests.listByRequester(person, 20);
  const waiting = await deps.requests.listWaitingOn(person);
  const out: string[] = [];
  out.push(mine.length ? 'Your requests (newest first):' : 'You have no requests.');
  out.push(...mine.map(line));
  if (waiting.length) {
    out.push('Waiting on you:');
    out.push(...waiting.map((r) => `${line(r)} (requested by ${r.requester}: "${r.reason}")`));
  }
  return out.join('\n');
}

async function auditText(deps: CoreDeps, person: string, id: string): Promise<string> {
  const request = await loadRequest(deps, id);
  if (!mayReadHistory(deps.policy(), person, request)) throw new JitError('POLICY.NOT_APPROVER', `Only the requester, approvers of ${request.resource} and admins may see the history of ${id}.`);
  const events = await deps.audit.auditOf(request.id);
  return [
    `${id}: ${request.requester} → ${request.resource} (${describeStatus(request)})`,
    ...events.map(auditLine),
  ].join('\n');
}
