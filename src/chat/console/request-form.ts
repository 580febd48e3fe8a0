import { formatDuration, parseDuration } from '../../core/domain/duration.js';
import type { ResourceChoice } from '../../core/services/handle-command.js';

/** The answer to one question: text, or `undefined` when the person gave up (Ctrl-C, `/cancel`, end of input). */
export type Answer = string | undefined;

export interface FormIo {
  /** Shows `question` as the prompt and waits for the answer. */
  ask(question: string): Promise<Answer>;
  /** A line of guidance (a mistake, the list of choices). */
  say(text: string): void;
}

/** One line per resource, as the form and the piped hint list them. */
export function describeChoice(choice: ResourceChoice): string {
  const limits = `${formatDuration(choice.minMs)} to ${formatDuration(choice.maxMs)}, default ${formatDuration(choice.defaultMs)}`;
  const reason = `reason ${choice.reason}${choice.ticket ? `, with a ticket matching ${choice.ticket}` : ''}`;
  return `${choice.name}: ${choice.description || '(no description)'} (${limits}; ${reason})`;
}

/** What `/jit` alone prints when there is no terminal to ask on: the choices and a command to type. */
export function pipedFormText(intro: string, choices: readonly ResourceChoice[]): string {
  const example = choices[0];
  return [
    intro,
    'You may request:',
    ...choices.map((c) => `• ${describeChoice(c)}`),
    'Type the whole command, for example:',
    example ? `/jit request ${example.name} ${formatDuration(example.defaultMs)} ${example.reason === 'required' ? '<reason>' : '[reason]'}` : '/jit request <resource> <duration> <reason>',
  ].join('\n');
}

/**
 * The console's request form: resource, duration and reason, one question at a time, each with its
 * default and checked before moving on (the core checks again when the command runs). Returns the
 * `/jit request …` text to run, or undefined when the person gave up.
 */
export async function runRequestForm(choices: readonly ResourceChoice[], io: FormIo): Promise<string | undefined> {
  if (choices.length === 0) return undefined;
  io.say(['Request access (Enter takes the [default]; /cancel or Ctrl-C stops):', ...choices.map((c, i) => `  ${i + 1}) ${describeChoice(c)}`)].join('\n'));

  let choice: ResourceChoice | undefined;
  const first = choices[0]!;
  while (!choice) {
    const answer = await ask(io, `resource [${first.name}]: `);
    if (answer === undefined) return undefined;
    const text = answer.trim();
    if (text === '') choice = first;
    else if (/^\d+$/.test(text)) choice = choices[Number(text) - 1];
    else choice = choices.find((c) => c.name.toLowerCase() === text.toLowerCase());
    if (!choice) io.say(`"${text.slice(0, 40)}" is not one of the choices: type a number from 1 to ${choices.length} or one of ${choices.map((c) => c.name).join(', ')}.`);
  }

  const range = `${formatDuration(choice.minMs)} to ${formatDuration(choice.maxMs)}`;
  let durationMs: number | undefined;
  while (durationMs === undefined) {
    const answer = await ask(io, `duration, ${range} [${formatDuration(choice.defaultMs)}]: `);
    if (answer === undefined) return undefined;
    const text = answer.trim();
    if (text === '') {
      durationMs = choice.defaultMs;
      continue;
    }
    try {
      const ms = parseDuration(text);
      if (ms < choice.minMs || ms > choice.maxMs) io.say(`${formatDuration(ms)} is out of range: ${choice.name} may be requested for ${range}.`);
      else durationMs = ms;
    } catch (error) {
      io.say(`${(error as Error).message} ${choice.name} may be requested for ${range}.`);
    }
  }

  let reason: string | undefined;
  while (reason === undefined) {
    const hint = choice.reason === 'required' ? `required${choice.ticket ? `, with a ticket matching ${choice.ticket}` : ''}` : 'optional';
    const answer = await ask(io, `reason (${hint}): `);
    if (answer === undefined) return undefined;
    const text = answer.trim();
    if (choice.reason === 'required' && text === '') io.say(`${choice.name} needs a reason.`);
    else if (choice.ticket && text !== '' && !hasTicket(choice.ticket, text)) io.say(`${choice.name} needs a ticket in the reason matching ${choice.ticket}, e.g. "fixing INC-7".`);
    else reason = text;
  }
  return `/jit request ${choice.name} ${formatDuration(durationMs)}${reason ? ` ${reason}` : ''}`;
}

async function ask(io: FormIo, question: string): Promise<Answer> {
  const answer = await io.ask(question);
  if (answer === undefined || /^\s*\/cancel\s*$/i.test(answer)) return undefined;
  return answer;
}

function hasTicket(pattern: string, reason: string): boolean {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch {
    return true; // the core reports a broken pattern; the form does not block on it
  }
  return re.test(reason) || reason.split(/\s+/).some((word) => re.test(word.replace(/[.,;:!?()]+$/g, '')));
}
