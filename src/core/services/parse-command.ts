import { parseRequestId, type RequestId } from '../domain/access-request.js';
import { closestName, editDistance } from '../domain/closest-name.js';
import { parseDuration } from '../domain/duration.js';
import { JitError } from '../domain/errors.js';

/** One `/jit …` command, the same on Slack, Teams and the console. */
export type JitCommand =
  | { name: 'form' }
  | { name: 'help' }
  | { name: 'list' }
  | { name: 'resources' }
  | { name: 'request'; resource: string; duration: string; reason: string }
  | { name: 'approve'; id: RequestId }
  | { name: 'deny'; id: RequestId; reason: string }
  | { name: 'cancel'; id: RequestId }
  | { name: 'release'; id: RequestId }
  | { name: 'extend'; id: RequestId; duration: string; reason: string }
  | { name: 'revoke'; id: RequestId; reason: string }
  | { name: 'audit'; id: RequestId };

export const USAGE = [
  '/jit                                  open the request form',
  '/jit request <resource> <duration> [reason…]   (or /jit <resource> <duration> [reason…])',
  '/jit list                             your requests and grants, and what waits on you',
  '/jit resources                        what you may request, with limits',
  '/jit approve <id>   |   /jit deny <id> <reason…>   (a reason is required)',
  '/jit cancel <id>    |   /jit release <id>',
  '/jit extend <id> <duration> [reason…]',
  '/jit revoke <id> [reason…]             (admins)',
  '/jit audit <id>                       the history of one request',
  '/jit help',
];

const MAX_COMMAND_LENGTH = 4000;

/** What the parser may know of the policy, to tell a mistyped verb from a resource and to give examples that work. */
export interface CommandContext {
  /** Every resource name in the policy: a first word that is one of them is a request, never a mistyped verb. */
  resources: readonly string[];
  /** A duration this resource may be requested for (its default), for examples; undefined for an unknown resource. */
  exampleDuration(resource: string): string | undefined;
}

/**
 * Parses the text after `/jit` (a leading `/jit` or `jit` is tolerated, for Teams and the console).
 * Throws `INPUT.BAD_COMMAND` / `INPUT.BAD_ID` with a sentence that says what would be right.
 */
export function parseCommand(input: string, context?: CommandContext): JitCommand {
  if (input.length > MAX_COMMAND_LENGTH) {
    throw new JitError('INPUT.BAD_COMMAND', `That command is too long (${input.length} characters; at most ${MAX_COMMAND_LENGTH}).`);
  }
  const text = input.replace(/^\s*\/?jit(?=\s|$)/i, '').trim();
  if (text === '') return { name: 'form' };
  const [head = '', ...rest] = text.split(/\s+/);
  const word = head.toLowerCase();
  const tail = (n: number): string => rest.slice(n).join(' ');
  switch (word) {
    case 'help':
    case '?':
      return { name: 'help' };
    case 'list':
    case 'ls':
      return { name: 'list' };
    case 'resources':
      return { name: 'resources' };
    case 'request':
      // `/jit request` alone opens the form, like `/jit`.
      return rest.length === 0 ? { name: 'form' } : requestFrom(rest, 'request ', context);
    case 'approve':
      return { name: 'approve', id: idFrom(rest[0], 'approve') };
    case 'deny': {
      const id = idFrom(rest[0], 'deny');
      if (tail(1).trim() === '') throw new JitError('INPUT.BAD_REASON', denyNeedsReason(id));
      return { name: 'deny', id, reason: tail(1) };
    }
    case 'cancel':
      return { name: 'cancel', id: idFrom(rest[0], 'cancel') };
    case 'release':
      return { name: 'release', id: idFrom(rest[0], 'release') };
    case 'revoke':
      return { name: 'revoke', id: idFrom(rest[0], 'revoke'), reason: tail(1) };
    case 'audit':
      return { name: 'audit', id: idFrom(rest[0], 'audit') };
    case 'extend': {
      const id = idFrom(rest[0], 'extend');
      if (!rest[1]) throw new JitError('INPUT.BAD_COMMAND', `Say how much longer: /jit extend ${id} 30m <reason>.`);
      return { name: 'extend', id, duration: rest[1], reason: tail(2) };
    }
    default:
      if (context && !context.resources.includes(head)) checkForMistypedVerb(head, rest, context);
      return requestFrom([head, ...rest], '', context);
  }
}

/** The sentence for a deny without a reason, from the grammar and from the core alike. */
export function denyNeedsReason(id: string): string {
  return `A reason is required to deny, so the requester knows why: /jit deny ${id} <reason>. Nothing was changed.`;
}

function requestFrom(words: string[], verb: string, context: CommandContext | undefined): JitCommand {
  const [resource, duration, ...reason] = words;
  if (!resource) {
    throw new JitError('INPUT.BAD_COMMAND', `Say what and for how long: /jit ${verb}<resource> <duration> <reason>. /jit resources lists what you may request, with their durations.`);
  }
  if (!duration) {
    // An unknown resource is the bigger mistake: let the policy check name it (and what is close to it).
    if (context && !context.resources.includes(resource)) return { name: 'request', resource, duration: '', reason: '' };
    const example = context?.exampleDuration(resource);
    throw new JitError(
      'INPUT.BAD_COMMAND',
      `Say for how long: /jit ${verb}${resource} <duration> <reason>${example ? `, e.g. /jit ${verb}${resource} ${example} fixing INC-7` : ''}.`,
    );
  }
  return { name: 'request', resource, duration, reason: reason.join(' ') };
}

// The verbs a first word may be a typo of, and whether the words after it fit that verb: an id after
// the verbs that take one, nothing after list/resources/help, a resource name (not an id or a
// duration) after request. `ls` and `?` are left out: too short to tell a typo from another word.
const NO_ARGUMENT = ['list', 'resources', 'help'];
const TAKES_ID = ['approve', 'deny', 'cancel', 'release', 'extend', 'revoke', 'audit'];

function fitsVerb(verb: string, rest: readonly string[]): boolean {
  const next = rest[0];
  if (next === undefined) return true;
  if (NO_ARGUMENT.includes(verb)) return false;
  if (TAKES_ID.includes(verb)) return parseRequestId(next) !== undefined;
  return parseRequestId(next) === undefined && !isDuration(next);
}

function isDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A first word that is neither a verb nor a resource. The rule: it is a mistyped verb when it is close
 * to one and the words after it fit that verb; a mistyped resource when it is close to a resource and
 * a duration (or nothing) follows; when it is close to both, the closer one wins, and a tie names
 * both. Only a mistyped verb (or a tie) is refused here: anything else is left to the request, whose
 * policy check names the unknown resource and the closest one.
 */
function checkForMistypedVerb(head: string, rest: readonly string[], context: CommandContext): void {
  const word = head.toLowerCase();
  const verb = closestName(word, [...NO_ARGUMENT, 'request', ...TAKES_ID].filter((v) => fitsVerb(v, rest)));
  const resource = rest[0] === undefined || isDuration(rest[0]) ? closestName(head, context.resources) : undefined;
  const shown = clip(head);
  const retyped = (first: string): string => clip([first, ...rest].join(' '), 80);
  if (verb && resource) {
    const toVerb = editDistance(word, verb);
    const toResource = editDistance(word, resource.toLowerCase());
    if (toVerb === toResource) {
      const example = context.exampleDuration(resource);
      throw new JitError(
        'INPUT.BAD_COMMAND',
        `There is no command or resource "${shown}". Did you mean ${verb} (/jit ${retyped(verb)}), or the resource ${resource} (/jit request ${resource} ${rest[0] ?? example ?? '<duration>'} …)?`,
      );
    }
    if (toResource < toVerb) return;
  }
  if (verb) throw new JitError('INPUT.BAD_COMMAND', `There is no command "${shown}". Did you mean ${verb}? /jit ${retyped(verb)}`);
  if (!resource && rest[0] !== undefined && parseRequestId(rest[0]) !== undefined) {
    throw new JitError('INPUT.BAD_COMMAND', `There is no command "${shown}". /jit help lists the commands.`);
  }
}

function clip(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function idFrom(text: string | undefined, verb: string): RequestId {
  if (!text) throw new JitError('INPUT.BAD_ID', `Say which request: /jit ${verb} JIT-42.`);
  const id = parseRequestId(text);
  if (!id) throw new JitError('INPUT.BAD_ID', `"${text.slice(0, 30)}" is not a request id; ids look like JIT-42.`);
  return id;
}
