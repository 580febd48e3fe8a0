import type { Notifier } from '../../core/ports/notifier.js';
import type { JitCore } from '../../core/services/create-core.js';

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

/** Runs the console adapter until the input ends. (Placeholder until the console adapter lands.) */
export async function runConsole(options: ConsoleOptions): Promise<void> {
  options.output.write(`${options.banner.join('\n')}\nconsole adapter not built yet\n`);
}
