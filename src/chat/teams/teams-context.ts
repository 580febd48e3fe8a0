import type { Actor } from '../../core/domain/access-request.js';
import { failureText } from '../../core/messages/failure-text.js';
import type { AdapterState } from '../../core/ports/adapter-state.js';
import type { AuditLog } from '../../core/ports/audit-log.js';
import type { Logger } from '../../core/ports/logger.js';
import type { JitCore } from '../../core/services/create-core.js';
import type { ConversationDirectory } from './conversation-directory.js';
import type { TeamsConnection } from './teams-connection.js';

/** What the Teams handlers share: the core, the Bot Framework connection, the reference directory. */
export interface TeamsContext {
  core: JitCore;
  /** The composition root's adapter state: redelivery and tenant claims, once-only notices. */
  state: Pick<AdapterState, 'claimOnce'>;
  /** The trail, for what changes no request (another tenant's activity, an unreachable person). */
  audit: Pick<AuditLog, 'appendAudit'>;
  connection: TeamsConnection;
  directory: ConversationDirectory;
  log: Logger;
  /** TEAMS_TENANT_ID: the only tenant served, when set. */
  tenantId: string | undefined;
}

export type PersonActor = Actor & { kind: 'person' };

/** The sentence a person sees for a failure: the JitError's own message, or a generic one with a reference. */
export function userMessage(context: TeamsContext, error: unknown, what: string): string {
  return failureText(error, context.log, `teams ${what}`);
}
