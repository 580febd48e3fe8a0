import { FINAL, REQUEST_STATUSES, parseRequestId, type Actor, type RequestStatus } from '../../core/domain/access-request.js';
import { formatDuration, parseDuration } from '../../core/domain/duration.js';
import type { DirectMessageKind } from '../../core/ports/scheduler.js';
import type { JitCore } from '../../core/services/create-core.js';
import type { CommandReply } from '../../core/services/handle-command.js';
import type { ConsoleNotifier } from './console-notifier.js';
import { renderEcho, renderNote, renderReply } from './console-renderer.js';
import type { ConsoleScreen } from './console-screen.js';
import type { LineSource } from './line-source.js';
import { pipedFormText, runRequestForm } from './request-form.js';
import { completeLine } from './tab-completion.js';

export const CONSOLE_HELP = [
  'Console commands (everything else is a /jit command; the leading /jit is optional):',
  '  /as <person>                      type as someone else (the prompt shows who is typing)',
  '  /sleep <duration>                 pause reading input, e.g. /sleep 15s (or 500ms)',
  '  /wait <id> <status> [timeout]     wait until a request reaches a status (or "ended") and its card is shown; default 60s',
  '  /help                             this list; /jit help lists the /jit commands',
  '  /quit                             leave (so does the end of piped input, or Ctrl-D)',
];

const ENDED: readonly RequestStatus[] = ['expired', 'released', 'revoked'];
/** The DM the requester gets when a request reaches a state: `/wait` lets it reach the screen first. */
const DM_FOR_STATUS: Partial<Record<RequestStatus, DirectMessageKind>> = {
  pending: 'received',
  active: 'active',
  expired: 'ended',
  released: 'ended',
  revoked: 'ended',
  denied: 'denied',
  timed_out: 'timed_out',
  failed: 'failed',
};
const MAX_SLEEP_MS = 60 * 60_000;
const DEFAULT_WAIT_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface SessionOptions {
  core: JitCore;
  screen: ConsoleScreen;
  notifier: ConsoleNotifier;
  source: LineSource;
  interactive: boolean;
  startAs?: string | undefined;
}

/**
 * One console session: reads commands one at a time, as the person currently typing, and prints each
 * reply as that person's private answer. Cards and DMs arrive meanwhile through the notifier.
 */
export class ConsoleSession {
  private person: string;

  constructor(private readonly options: SessionOptions) {
    const people = this.people();
    const wanted = options.startAs?.toLowerCase();
    this.person = (wanted && people.find((p) => p === wanted)) || people[0] || 'nobody';
    if (options.startAs && this.person !== wanted) this.note(`There is no person "${options.startAs}"; typing as ${this.person}.`);
  }

  /** Who is typing now. */
  get typing(): string {
    return this.person;
  }

  /** Runs until the input ends or /quit; a command in progress always completes first. */
  async run(): Promise<void> {
    const { screen, source } = this.options;
    let interrupts = 0;
    for (;;) {
      screen.prompt(`${this.person}> `);
      const event = await source.next();
      screen.lineEntered();
      if (!event) break;
      if (event.kind === 'interrupt') {
        if (++interrupts >= 2) break;
        this.note('(Press Ctrl-C again, Ctrl-D or type /quit to leave.)');
        continue;
      }
      interrupts = 0;
      if ((await this.handle(event.text)) === 'quit') break;
    }
  }

  /** Handles one line of input. */
  async handle(text: string): Promise<'quit' | undefined> {
    const line = text.trim();
    if (line === '' || line.startsWith('#')) return undefined;
    if (!this.options.interactive) this.print(renderEcho(this.person, line, this.style()));
    const [head = '', ...args] = line.split(/\s+/);
    const word = head.toLowerCase();
    if (word.startsWith('/') && word !== '/jit') return this.consoleCommand(word, args);
    await this.jit(line);
    return undefined;
  }

  /** Tab completion for the terminal; offers nothing rather than fail (the store may be away). */
  async complete(line: string): Promise<[string[], string]> {
    const { core, notifier } = this.options;
    const person = this.person;
    return completeLine(line, {
      people: () => this.people(),
      resources: () => core.resourceChoices(person),
      requestIds: (verb) => core.commandTargets(person, verb, notifier.knownIds()),
      statuses: () => REQUEST_STATUSES,
    }).catch(() => [[], line.split(/\s+/).at(-1) ?? '']);
  }

  private async consoleCommand(word: string, args: string[]): Promise<'quit' | undefined> {
    switch (word) {
      case '/as':
        this.switchPerson(args[0]);
        return undefined;
      case '/sleep':
        await this.sleepCommand(args[0]);
        return undefined;
      case '/wait':
        await this.waitCommand(args);
        return undefined;
      case '/help':
      case '/?':
        this.note(CONSOLE_HELP.join('\n'));
        return undefined;
      case '/quit':
      case '/exit':
        return 'quit';
      default:
        this.note(`There is no console command ${word.slice(0, 30)}. Console commands: /as, /sleep, /wait, /help, /quit; /jit help lists the /jit commands.`);
        return undefined;
    }
  }

  private switchPerson(name: string | undefined): void {
    const people = this.people();
    const list = `People: ${people.join(', ')}.`;
    if (!name) {
      this.note(`Typing as ${this.person}. ${list} Switch with /as <person>.`);
      return;
    }
    const found = people.find((p) => p === name.toLowerCase());
    if (!found) {
      this.note(`There is no person "${name.slice(0, 40)}" in the policy. ${list}`);
      return;
    }
    this.person = found;
    this.note(`Now typing as ${found}.`);
  }

  private async sleepCommand(arg: string | undefined): Promise<void> {
    const ms = arg ? parseSleep(arg) : undefined;
    if (ms === undefined) {
      this.note(`Say how long: /sleep 15s, /sleep 1m30s or /sleep 500ms (at most ${formatDuration(MAX_SLEEP_MS)}).`);
      return;
    }
    if (this.options.interactive) this.note(`Sleeping ${arg}…`);
    await sleep(ms);
  }

  private async waitCommand(args: string[]): Promise<void> {
    const [idText, statusText, timeoutText] = args;
    const usage = `Say which request, which status and (optionally) how long: /wait JIT-3 expired 60s. Statuses: ${REQUEST_STATUSES.join(', ')}, or ended (expired, released or revoked).`;
    const id = idText ? parseRequestId(idText) : undefined;
    const target = statusText?.toLowerCase();
    if (!id || !target || !(target === 'ended' || (REQUEST_STATUSES as readonly string[]).includes(target))) {
      this.note(usage);
      return;
    }
    let timeoutMs = DEFAULT_WAIT_MS;
    if (timeoutText) {
      try {
        timeoutMs = parseDuration(timeoutText);
      } catch (error) {
        this.note(`${(error as Error).message} ${usage}`);
        return;
      }
    }
    const matches = (status: RequestStatus): boolean => (target === 'ended' ? ENDED.includes(status) : status === target);
    const { core } = this.options;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const request = await core.findRequest(id);
      if (!request) {
        this.note(`There is no request ${id}.`);
        return;
      }
      if (matches(request.status)) {
        // The card and the requester's DM for that state are on their way: let them reach the screen first.
        const dm = DM_FOR_STATUS[request.status];
        const { notifier } = this.options;
        const shown = (): boolean => notifier.cardVersionShown(id) >= request.version && (dm === undefined || notifier.dmShown(id, dm));
        const settleBy = Date.now() + 5_000;
        while (!shown() && Date.now() < settleBy) await sleep(20);
        this.note(`${id} is ${request.status}.`);
        return;
      }
      if (FINAL.has(request.status)) {
        this.note(`${id} is ${request.status}; it will not become ${target}.`);
        return;
      }
      if (Date.now() >= deadline) {
        this.note(`Gave up after ${formatDuration(timeoutMs)}: ${id} is ${request.status}, not ${target}.`);
        return;
      }
      await sleep(Math.min(100, Math.max(1, deadline - Date.now())));
    }
  }

  private async jit(line: string): Promise<void> {
    const reply = await this.run1(line);
    if (reply.form) {
      if (!this.options.interactive) {
        this.reply({ ok: true, text: pipedFormText(reply.text, reply.form) });
        return;
      }
      const command = await runRequestForm(reply.form, {
        say: (text) => this.print(`${text}\n`),
        ask: (question) => this.ask(question),
      });
      if (!command) {
        this.note('Nothing was requested.');
        return;
      }
      this.print(`→ ${command}\n`);
      this.reply(await this.run1(command));
      return;
    }
    this.reply(reply);
    if (/^\s*(\/?jit\s+)?(help|\?)\s*$/i.test(line)) this.note('Console: /as <person> switches who is typing; /help lists /sleep, /wait and /quit.');
  }

  private async run1(command: string): Promise<CommandReply> {
    const actor: Actor & { kind: 'person' } = { kind: 'person', person: this.person, via: 'console' };
    try {
      return await this.options.core.handleCommand(actor, command);
    } catch (error) {
      return { ok: false, text: `Something went wrong: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  private async ask(question: string): Promise<string | undefined> {
    const { screen, source } = this.options;
    screen.prompt(question);
    const event = await source.next();
    screen.lineEntered();
    return event?.kind === 'line' ? event.text : undefined;
  }

  private reply(reply: { ok: boolean; text: string; request?: { id: string } }): void {
    for (const id of reply.text.match(/JIT-\d+/g) ?? []) this.options.notifier.noteId(id);
    if (reply.request) this.options.notifier.noteId(reply.request.id);
    this.print(renderReply(this.person, reply, this.style()));
  }

  private note(text: string): void {
    this.print(renderNote(text, this.style()));
  }

  private print(text: string): void {
    this.options.screen.print(text);
  }

  private style() {
    return this.options.screen.style();
  }

  private people(): string[] {
    return this.options.core.policy.people().map((person) => person.name);
  }
}

/** `15s`, `1m30s`, `500ms`: at most an hour. */
export function parseSleep(text: string): number | undefined {
  const ms = /^(\d{1,7})ms$/i.exec(text.trim());
  let value: number;
  if (ms) value = Number(ms[1]);
  else {
    try {
      value = parseDuration(text);
    } catch {
      return undefined;
    }
  }
  return value > MAX_SLEEP_MS ? undefined : value;
}
