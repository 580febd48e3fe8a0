import type { IssueReceipt } from '../../core/domain/access-request.js';
import type { GrantContext } from '../../core/ports/issuer.js';
import { RoleOrder, type LedgerEntry } from './access-ledger.js';
import { REPOSITORY_ROLES, type CollaboratorParams } from './github-schemas.js';

/** Repository roles, lowest first. */
export const ROLES = new RoleOrder(REPOSITORY_ROLES);

/** The receipt of a collaborator grant: what the person has now, what they had before, who shares it, and any invitation to accept. */
export function collaboratorReceipt(grant: GrantContext, params: CollaboratorParams, login: string, entry: LedgerEntry, next: LedgerEntry, invitationUrl: string | undefined): IssueReceipt {
  const want = params.permission;
  const details: Record<string, string> = { repository: params.repo, login, permission: want };
  if (entry.priorRole !== null) details['had before'] = `${entry.priorRole} (kept after this grant)`;
  const others = Object.keys(entry.holders).filter((id) => id !== grant.grantId);
  if (others.length > 0) details['shared with'] = others.join(', ');
  if (invitationUrl !== undefined) details.invitation = `${invitationUrl} (accept it to get the access)`;
  const summary =
    invitationUrl !== undefined ? `invited ${login} to ${params.repo} with ${want}: accept the invitation at ${invitationUrl}` : `${login} has ${want} on ${params.repo}`;
  return {
    summary,
    details,
    revokeState: {
      kind: 'collaborator',
      repo: params.repo,
      login,
      permission: want,
      priorRole: entry.priorRole,
      ...(next.invitationId !== undefined ? { invitationId: next.invitationId } : {}),
    },
  };
}

/**
 * When jitbot's record is gone (a new data directory), the receipt still says what the person had
 * before: revoke acts as the only holder, restoring that.
 */
export function entryFromReceipt(grant: GrantContext, receipt: IssueReceipt | undefined): LedgerEntry | undefined {
  const state = receipt?.revokeState;
  if (!state || state.kind !== 'collaborator' || typeof state.permission !== 'string') return undefined;
  const prior = typeof state.priorRole === 'string' ? state.priorRole : null;
  return {
    priorRole: prior,
    holders: { [grant.grantId]: { role: state.permission, until: grant.window.end, since: grant.window.start } },
    applied: ROLES.highest([prior, state.permission]) ?? state.permission,
    ...(typeof state.invitationId === 'number' ? { invitationId: state.invitationId } : {}),
  };
}

