import type { Environment } from '../config/environment.js';
import type { Logger } from '../core/ports/logger.js';
import type { Notifier } from '../core/ports/notifier.js';
import type { JitbotApp } from './build-app.js';

/** What a jitbot process runs: `jitbot start | web | worker | console`. */
export type RunMode = 'start' | 'web' | 'worker' | 'console';

/** What a chat adapter is started with: the built app (core, the HTTP server when this process serves one) and the process's settings. */
export interface ChatAdapterContext {
  app: JitbotApp;
  environment: Environment;
  log: Logger;
  /** The console's terminal and what it shows first; the platforms ignore it. */
  terminal: ChatTerminal;
}

/** The process's standard streams, and the facts the console's banner reports. */
export interface ChatTerminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
  policySource: string;
  /** The built-in demo policy stands in for a missing ./jitbot.yaml. */
  demoPolicy: boolean;
  /** `jitbot console --fresh` wiped the embedded Redis first. */
  fresh: boolean;
}

/** A chat adapter once started: its routes are mounted and its notifier is ready to be registered. */
export interface RunningChatAdapter {
  notifier: Notifier;
  /** After the app has started (workers running, HTTP listening): reach the platform (auth, sockets, lookups). */
  connect(): Promise<void>;
  stop(): Promise<void>;
  /** Set by adapters whose end ends the process (the console: its input ended or `/quit`). */
  done?: Promise<void>;
}

/**
 * One chat platform (Slack, Microsoft Teams, the console) as the process wiring sees it: whether this
 * process runs it, given its environment and mode, and how to start it. The registry
 * (`chat-adapters.ts`) lists them; `jitbot start | web | worker | console` loops over the configured ones.
 */
export interface ChatAdapter {
  /** For messages: "Slack", "Microsoft Teams", "the console". */
  name: string;
  /** The variables that turn this platform on, one line per way (for the message when none is set). */
  setup: readonly { way: string; variables: string }[];
  /** Whether a process of this mode, with this environment, runs the adapter. */
  configured(environment: Environment, mode: RunMode): boolean;
  /** Builds the adapter: mounts its routes on `app.http` (when there is one) and returns its notifier. Throws when it cannot run. */
  start(context: ChatAdapterContext): Promise<RunningChatAdapter>;
}
