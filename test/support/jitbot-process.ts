import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root and the `jitbot` command in it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const JITBOT_BIN = path.join(REPO_ROOT, 'bin', 'jitbot.js');

/** Variables jitbot reads: dropped from the inherited environment, so a developer's own settings never leak into a test. */
const JITBOT_VARIABLE = /^(JITBOT_|SLACK_|TEAMS_|REDIS_URL|PORT$|HOST$|LOG_LEVEL$)/;

export interface JitbotRunOptions {
  /** Added to a clean environment (PATH, HOME… but none of jitbot's variables); `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string;
  cwd?: string;
  /** Killed (SIGTERM, then SIGKILL 3 s later) after this long; default 60 s. */
  timeoutMs?: number;
}

export interface JitbotResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** How long the process ran. */
  ms: number;
  timedOut: boolean;
}

/**
 * The environment a test's jitbot runs with: the parent's minus jitbot's own variables, with the HTTP
 * listener on a free loopback port (PORT=0, HOST=127.0.0.1) unless `env` says otherwise.
 */
export function jitbotEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!JITBOT_VARIABLE.test(name)) base[name] = value;
  const merged: NodeJS.ProcessEnv = { ...base, PORT: '0', HOST: '127.0.0.1' };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

/** A running `node bin/jitbot.js …`, its output so far, and its end. */
export interface JitbotProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Writes to stdin (for commands: include the newline). */
  write(text: string): void;
  /** Closes stdin: the console's end of input. */
  end(): void;
  /** Resolves when stdout matches (checked as output arrives); rejects after `timeoutMs` or if the process ends first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited. */
  result: Promise<JitbotResult>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `node bin/jitbot.js <args>` with stdin as a pipe; see {@link runJitbot} for a run-to-completion helper. */
export function startJitbot(args: readonly string[], options: Omit<JitbotRunOptions, 'input'> = {}): JitbotProcess {
  const started = Date.now();
  const child = spawn(process.execPath, [JITBOT_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: jitbotEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin!.on('error', () => {}); // the process may exit before reading all of its input

  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const timeout = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
  }, options.timeoutMs ?? 60_000);

  let exited = false;
  const result = new Promise<JitbotResult>((resolve) => {
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(timeout);
      if (killTimer) clearTimeout(killTimer);
      for (const listener of listeners) listener();
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });

  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    write(text) {
      child.stdin!.write(text);
    },
    end() {
      child.stdin!.end();
    },
    waitForOutput(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = stdout.match(pattern);
          if (match) {
            done();
            resolve(match);
          } else if (exited) {
            done();
            reject(new Error(`jitbot exited before printing ${pattern}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    result,
    kill(signal = 'SIGTERM') {
      child.kill(signal);
    },
  };
}

/** Runs `node bin/jitbot.js <args>` to completion with `input` on stdin (or /dev/null) and collects its output. */
export async function runJitbot(args: readonly string[], options: JitbotRunOptions = {}): Promise<JitbotResult> {
  if (options.input === undefined) {
    const started = Date.now();
    const child = spawn(process.execPath, [JITBOT_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: jitbotEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    return new Promise((resolve) => {
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
      });
    });
  }
  const running = startJitbot(args, options);
  running.write(options.input);
  running.end();
  return running.result;
}

/** One block of a console transcript: its header (`#approvals`, `DM to alice`, `to alice (only alice sees this)`) and its lines. */
export interface TranscriptBlock {
  header: string;
  body: string;
}

/**
 * Splits plain (piped) console output into blocks. A block starts with a `── header ──` line and
 * runs over the indented lines after it; column 0 holds only headers, echoed commands and notes.
 */
export function transcriptBlocks(stdout: string): TranscriptBlock[] {
  const blocks: TranscriptBlock[] = [];
  let current: { header: string; lines: string[] } | undefined;
  const close = (): void => {
    if (current) blocks.push({ header: current.header, body: current.lines.join('\n') });
    current = undefined;
  };
  for (const line of stdout.split('\n')) {
    const header = /^── (.+?) ──$/.exec(line);
    if (header) {
      close();
      current = { header: header[1]!, lines: [] };
    } else if (current && line.startsWith(' ')) {
      current.lines.push(line);
    } else {
      close();
    }
  }
  close();
  return blocks;
}
