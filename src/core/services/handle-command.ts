import type { AccessRequest, Actor } from '../domain/access-request.js';
import { formatDuration } from '../domain/duration.js';
import { JitError, isJitError } from '../domain/errors.js';
import { describeStatus } from '../domain/lifecycle.js';
import type { CommandOutcome } from '../domain/command-outcome.js';
import { auditLine } from '../messages/audit-text.js';
import { commandReply } from '../messages/command-replies.js';
import { failureText } from '../messages/failure-text.js';
import { durationLimits, requestableResources } from '../policy/evaluate-policy.js';
import { mayReadHistory } from './command-targets.js';
import { loadRequest, type CoreDeps } from './core-context.js';
import { parseCommand, USAGE, type CommandContext, type JitCommand } from './parse-command.js';
import type { TypedCommands } from './typed-commands.js';
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
export async function handleCommand(deps: CoreDeps, commands: TypedCommands, actor: PersonActor, text: string): Promise<CommandReply> {
  let command: JitCommand;
  try {
    command = parseCommand(text, commandContext(deps));
  } catch (error) {
    deps.observer?.commandHandled?.('unparsed', isJitError(error) ? 'refused' : 'error');
    return failed(deps, error, 'unparsed');
  }
  if (isChange(command)) {
    // The same typed command a button or form calls; it counts itself.
    try {
      const outcome = await runChange(commands, actor, command);
      return { ok: true, text: commandReply(outcome), request: outcome.request };
    } catch (error) {
      return failed(deps, error, command.name);
    }
  }
  try {
    const reply = await runQuery(deps, actor, command);
    deps.observer?.commandHandled?.(command.name, 'ok');
    return reply;
  } catch (error) {
    deps.observer?.commandHandled?.(command.name, isJitError(error) ? 'refused' : 'error');
    return failed(deps, error, command.name);
  }
}

function failed(deps: CoreDeps, error: unknown, what: string): CommandReply {
  return { ok: false, text: failureText(error, deps.log, what) };
}

type ChangeCommand = Extract<JitCommand, { name: 'request' | 'approve' | 'deny' | 'cancel' | 'release' | 'extend' | 'revoke' }>;
type QueryCommand = Exclude<JitCommand, ChangeCommand>;

function isChange(command: JitCommand): command is ChangeCommand {
  return ['request', 'approve', 'deny', 'cancel', 'release', 'extend', 'revoke'].includes(command.name);
}

/** A verb that changes a request, dispatched to its typed command. */
function runChange(commands: TypedCommands, actor: PersonActor, command: ChangeCommand): Promise<CommandOutcome> {
  switch (command.name) {
    case 'request':
      return commands.requestAccess({ actor, resource: command.resource, duration: command.duration, reason: command.reason });
    case 'approve':
      return commands.approve(actor, command.id);
    case 'deny':
      return commands.deny(actor, command.id, command.reason);
    case 'cancel':
      return commands.cancel(actor, command.id);
    case 'release':
      return commands.release(actor, command.id);
    case 'extend':
      return commands.extend(actor, command.id, command.duration, command.reason);
    case 'revoke':
      return commands.revoke(actor, command.id, command.reason);
  }
}

async function runQuery(deps: CoreDeps, actor: PersonActor, command: QueryCommand): Promise<CommandReply> {
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
