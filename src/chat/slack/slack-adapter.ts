import type { Logger } from '../../core/ports/logger.js';
import type { Notifier } from '../../core/ports/notifier.js';
import type { JitCore } from '../../core/services/create-core.js';
import type { HttpServer } from '../../http/http-server.js';

export interface SlackAdapterOptions {
  core: JitCore;
  /** The shared HTTP server to mount `POST /slack/events` on; absent in worker-only processes (outbound only). */
  http?: HttpServer;
  mode: 'http' | 'socket';
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  apiUrl?: string;
  log: Logger;
}

export interface SlackAdapter {
  notifier: Notifier;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the Slack adapter. (Placeholder until the Slack adapter lands.) */
export async function createSlackAdapter(_options: SlackAdapterOptions): Promise<SlackAdapter> {
  throw new Error('Slack support is not built yet');
}
