import type { Notifier } from '../../core/ports/notifier.js';
import type { JitCore } from '../../core/services/create-core.js';
import { ConsoleNotifier } from './console-notifier.js';
import { paint } from './terminal-text.js';
import { ConsoleScreen } from './console-screen.js';
import { ConsoleSession } from './console-session.js';
import { openInput } from './line-source.js';

export interface ConsoleOptions {
  core: JitCore;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** A terminal (colour, boxes, tab completion) rather than a pipe. */
  interactive: boolean;
  /** Registers the console's Notifier with the app before anything is sent. */
  register(notifier: Notifier): void;
  /** Lines shown first: what is running and how to connect Slack or Teams. */
  banner: string[];
  /** Who is typing at first; default: the first person in the policy. */
  startAs?: string;
}

/** After the input ends, how long the screen must stay quiet (messages still on their way arrive) before the console returns. */
const SETTLE_QUIET_MS = 300;
const SETTLE_MAX_MS = 3_000;

/**
 * Runs the console adapter until the input ends or `/quit`: a terminal chat where every person of
 * the policy is one `/as` away, approval cards appear in `#approvals` and DMs are labelled with
 * their recipient. Piped input is read one command at a time (a script may `/sleep` and `/wait`),
 * and the returned promise resolves only after the last command has completed.
 */
export async function runConsole(options: ConsoleOptions): Promise<void> {
  const screen = new ConsoleScreen(options.output, options.interactive);
  const notifier = new ConsoleNotifier(screen);
  options.register(notifier);

  const p = paint(screen.style().color);
  if (options.banner.length > 0) {
    const [first = '', ...rest] = options.banner;
    screen.print([p.bold(first), ...rest.map((line) => p.dim(line))].join('\n'));
  }

  // The session reads from the input, and the input's completer asks the session: tie the knot.
  const ref: { session?: ConsoleSession } = {};
  const input = openInput(options.input, options.output, options.interactive, (line) => ref.session?.complete(line) ?? Promise.resolve([[], line]));
  screen.attach(input.rl);
  const session = new ConsoleSession({ core: options.core, screen, notifier, source: input.source, interactive: options.interactive, startAs: options.startAs });
  ref.session = session;
  // The reader went away (`jitbot console | head`): stop reading instead of dying on EPIPE.
  const outputFailed = (): void => input.source.stop();
  options.output.on('error', outputFailed);
  try {
    await session.run();
  } finally {
    input.source.stop();
    await screen.settle(SETTLE_QUIET_MS, SETTLE_MAX_MS);
    input.close();
    if (options.interactive) options.output.write('\n');
    options.output.off('error', outputFailed);
  }
}
