import readline from 'node:readline';

/** What the reader gets: a typed line, or Ctrl-C on a terminal. `undefined` from `next()` is the end of input. */
export type InputEvent = { kind: 'line'; text: string } | { kind: 'interrupt' };

/**
 * Lines from stdin, queued and handed out one at a time, so the console handles a command (and
 * sleeps, waits, asks follow-up questions) before it reads the next one, however fast a pipe
 * delivers them.
 */
export class LineSource {
  private readonly queued: InputEvent[] = [];
  private waiter: ((event: InputEvent | undefined) => void) | undefined;
  private ended = false;

  push(event: InputEvent): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(event);
    } else {
      this.queued.push(event);
    }
  }

  /** No more input: `next()` answers `undefined` once the queued lines are used up. */
  end(): void {
    this.ended = true;
    if (this.queued.length === 0) this.wake();
  }

  /** Drops whatever is queued and ends (`/quit`). */
  stop(): void {
    this.queued.length = 0;
    this.end();
  }

  next(): Promise<InputEvent | undefined> {
    const event = this.queued.shift();
    if (event) return Promise.resolve(event);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(undefined);
  }
}

export interface OpenedInput {
  source: LineSource;
  /** The terminal's line editor (interactive only). */
  rl: readline.Interface;
  close(): void;
}

/**
 * Reads `input` line by line into a LineSource. On a terminal: line editing, history and tab
 * completion; Ctrl-C clears a typed line, or (on an empty one) is passed on as an interrupt.
 */
export function openInput(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  interactive: boolean,
  complete: (line: string) => Promise<[string[], string]>,
): OpenedInput {
  const source = new LineSource();
  // Completion looks requests up in the store: readline's callback form lets it answer later.
  const completer = (line: string, callback: (error: Error | null, result: [string[], string]) => void): void =>
    void complete(line).then((result) => callback(null, result), () => callback(null, [[], line]));
  const rl = interactive
    ? readline.createInterface({ input, output, terminal: true, completer, historySize: 500, removeHistoryDuplicates: true, tabSize: 2 })
    : readline.createInterface({ input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
  rl.on('line', (text) => source.push({ kind: 'line', text }));
  rl.on('close', () => source.end());
  if (interactive) {
    rl.on('SIGINT', () => {
      if (rl.line !== '') {
        // Like a shell: Ctrl-C drops what was typed and shows a fresh prompt.
        rl.write(null, { ctrl: true, name: 'e' });
        rl.write(null, { ctrl: true, name: 'u' });
        return;
      }
      source.push({ kind: 'interrupt' });
    });
  }
  let closed = false;
  return {
    source,
    rl,
    close() {
      if (closed) return;
      closed = true;
      rl.close();
    },
  };
}
