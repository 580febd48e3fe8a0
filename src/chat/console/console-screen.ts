import readline from 'node:readline';
import { PLAIN_STYLE, terminalStyle, type RenderStyle } from './console-renderer.js';

/**
 * The console's one way to write. Each block goes out in a single write, so messages from jobs never
 * interleave mid-line with replies. On a terminal, a block that arrives while the prompt is shown
 * clears the prompt line, prints above it, and redraws the prompt with what was typed so far.
 */
export class ConsoleScreen {
  private rl: readline.Interface | undefined;
  private promptShown = false;
  private lastPrintAt = 0;

  constructor(
    private readonly output: NodeJS.WritableStream,
    readonly interactive: boolean,
  ) {}

  /** How blocks are drawn now (a terminal's width may change while running). */
  style(): RenderStyle {
    return this.interactive ? terminalStyle((this.output as NodeJS.WriteStream).columns) : PLAIN_STYLE;
  }

  /** The terminal's line editor, once it exists. */
  attach(rl: readline.Interface): void {
    this.rl = rl;
  }

  print(text: string): void {
    const out = text.endsWith('\n') ? text : `${text}\n`;
    this.lastPrintAt = Date.now();
    const rl = this.rl;
    if (!this.interactive || !rl || !this.promptShown) {
      this.output.write(out);
      return;
    }
    // Move to the first row of the prompt (the typed line may have wrapped), clear, print, redraw.
    const rows = rl.getCursorPos().rows;
    if (rows > 0) readline.moveCursor(this.output, 0, -rows);
    readline.cursorTo(this.output, 0);
    readline.clearScreenDown(this.output);
    this.output.write(out);
    rl.prompt(true);
  }

  /** Shows `prompt` (terminal only) and marks it shown until the next line is entered. */
  prompt(prompt: string): void {
    if (!this.interactive || !this.rl) return;
    this.rl.setPrompt(prompt);
    this.rl.prompt();
    this.promptShown = true;
  }

  /** A line was entered: the prompt is gone until shown again. */
  lineEntered(): void {
    this.promptShown = false;
  }

  /** Resolves once nothing was printed for `quietMs` (or after `maxMs`): lets messages already on their way arrive. */
  async settle(quietMs: number, maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    for (;;) {
      const quietFor = Date.now() - this.lastPrintAt;
      if (quietFor >= quietMs || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(quietMs - quietFor, deadline - Date.now()) + 5));
    }
  }
}
