import { parseRequestId, type RequestId } from '../domain/access-request.js';
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
  '/jit approve <id>   |   /jit deny <id> [reason…]',
  '/jit cancel <id>    |   /jit release <id>',
  '/jit extend <id> <duration> [reason…]',
  '/jit revoke <id> [reason…]             (admins)',
  '/jit audit <id>                       the history of one request',
  '/jit help',
];

const MAX_COMMAND_LENGTH = 4000;

/**
 * Parses the text after `/jit` (a leading `/jit` or `jit` is tolerated, for Teams and the console).
 * Throws `INPUT.BAD_COMMAND` / `INPUT.BAD_ID` with a sentence that says what would be right.
 */
export function parseCommand(input: string): JitCommand {
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
      return rest.length === 0 ? { name: 'form' } : requestFrom(rest, 'request ');
    case 'approve':
      return { name: 'approve', id: idFrom(rest[0], 'approve') };
    case 'deny':
      return { name: 'deny', id: idFrom(rest[0], 'deny'), reason: tail(1) };
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
      return requestFrom([head, ...rest], '');
  }
}

function requestFrom(words: string[], verb: string): JitCommand {
  const [resource, duration, ...reason] = words;
  if (!resource) {
    throw new JitError('INPUT.BAD_COMMAND', `Say what and for how long: /jit ${verb}<resource> <duration> <reason>, e.g. /jit ${verb}prod-deploy 1h fixing INC-7. /jit resources lists what you may request.`);
  }
  if (!duration) {
    throw new JitError('INPUT.BAD_COMMAND', `Say for how long: /jit ${verb}${resource} <duration> <reason>, e.g. /jit ${verb}${resource} 1h fixing INC-7.`);
  }
  return { name: 'request', resource, duration, reason: reason.join(' ') };
}

function idFrom(text: string | undefined, verb: string): RequestId {
  if (!text) throw new JitError('INPUT.BAD_ID', `Say which request: /jit ${verb} JIT-42.`);
  const id = parseRequestId(text);
  if (!id) throw new JitError('INPUT.BAD_ID', `"${text.slice(0, 30)}" is not a request id; ids look like JIT-42.`);
  return id;
}
