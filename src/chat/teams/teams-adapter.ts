import type { Logger } from '../../core/ports/logger.js';
import type { Notifier } from '../../core/ports/notifier.js';
import type { JitCore } from '../../core/services/create-core.js';
import type { HttpServer } from '../../http/http-server.js';

export interface TeamsAdapterOptions {
  core: JitCore;
  /** The shared HTTP server to mount `POST /api/messages` on; absent in worker-only processes (outbound only). */
  http?: HttpServer;
  appId?: string;
  appPassword?: string;
  tenantId?: string;
  /** TEAMS_INSECURE_NO_AUTH=1: no Bot Framework authentication (Emulator and tests only). */
  insecureNoAuth: boolean;
  log: Logger;
}

export interface TeamsAdapter {
  notifier: Notifier;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the Teams adapter. (Placeholder until the Teams adapter lands.) */
export async function createTeamsAdapter(_options: TeamsAdapterOptions): Promise<TeamsAdapter> {
  throw new Error('Microsoft Teams support is not built yet');
}
