import type { AccessRequest, PipelineContext } from '../domain/access-request.js';
import { describeActor } from '../domain/access-request.js';
import { formatDuration } from '../domain/duration.js';
import { remaining } from '../domain/lifecycle.js';
import { formatTimestamp } from '../domain/timestamp.js';
import type { IssuedSecret } from '../ports/issuer.js';
import type { DirectMessageKind } from '../ports/scheduler.js';

/** A button, and the typed command that does the same (the console shows the command). */
export interface ActionView {
  id: 'approve' | 'deny' | 'cancel' | 'release' | 'extend';
  label: string;
  requestId: string;
  style?: 'primary' | 'danger';
  command: string;
}

export type Tone = 'waiting' | 'good' | 'bad' | 'alarm' | 'neutral';

/** A platform-neutral approval card. Adapters render it (Block Kit, Adaptive Card, text). */
export interface CardView {
  requestId: string;
  version: number;
  title: string;
  tone: Tone;
  /** The requester's policy name; adapters mention them by their own platform id. */
  requester: string;
  resource: string;
  resourceDescription: string;
  duration: string;
  /** User text, raw: every adapter escapes it for its own markup. */
  reason: string;
  approvals: string;
  status: string;
  /** Only the live actions of the request's current state (none once decided). */
  actions: ActionView[];
  /** Who may act on the buttons (for per-viewer rendering, e.g. Teams refresh userIds). */
  eligibleApprovers: string[];
  /**
   * Set when a pipeline asked: the run (link, commit, who triggered it), from verified claims. Its
   * `summary` is also the last line of `status`, so adapters that do not render this field show it.
   */
  pipeline?: PipelineRunView;
}

/** A pipeline run as an approver sees it. Every value comes from verified claims or a signed webhook. */
export interface PipelineRunView {
  provider: 'github' | 'gitlab';
  kind: 'pipeline' | 'deployment';
  repository: string;
  runUrl?: string;
  commit?: string;
  ref?: string;
  environment?: string;
  workflow?: string;
  /** Login of who triggered the run; they cannot approve it. */
  triggeredBy?: string;
  /** One line with all of the above. */
  summary: string;
}

/** The card's view of a pipeline run. */
export function pipelineRunView(pipeline: PipelineContext): PipelineRunView {
  const kind = pipeline.source === 'deployment_protection_rule' ? 'deployment' : 'pipeline';
  const parts = [
    `${kind === 'deployment' ? 'Deployment' : 'Pipeline'} run of ${pipeline.repository}${pipeline.runUrl ? `: ${pipeline.runUrl}` : pipeline.runId ? ` (run ${pipeline.runId})` : ''}`,
    pipeline.commit ? `commit ${pipeline.commit.slice(0, 12)}${pipeline.ref ? ` on ${pipeline.ref}` : ''}` : pipeline.ref ? `ref ${pipeline.ref}` : undefined,
    pipeline.environment ? `environment ${pipeline.environment}` : undefined,
    pipeline.actor ? `triggered by ${pipeline.actor} (who cannot approve it)` : undefined,
  ].filter((part): part is string => part !== undefined);
  return {
    provider: pipeline.provider,
    kind,
    repository: pipeline.repository,
    ...(pipeline.runUrl ? { runUrl: pipeline.runUrl } : {}),
    ...(pipeline.commit ? { commit: pipeline.commit } : {}),
    ...(pipeline.ref ? { ref: pipeline.ref } : {}),
    ...(pipeline.environment ? { environment: pipeline.environment } : {}),
    ...(pipeline.workflow ? { workflow: pipeline.workflow } : {}),
    ...(pipeline.actor ? { triggeredBy: pipeline.actor } : {}),
    summary: `${parts.join(' · ')}.`,
  };
}

export interface DirectMessage {
  kind: DirectMessageKind;
  requestId: string;
  title: string;
  lines: string[];
  actions: ActionView[];
  /** Shown only in this DM, never elsewhere. */
  secret?: IssuedSecret;
}

export interface ChannelNotice {
  requestId: string;
  tone: Tone;
  title: string;
  lines: string[];
}

export const when = formatTimestamp;

export function approveAction(id: string): ActionView {
  return { id: 'approve', label: 'Approve', requestId: id, style: 'primary', command: `/jit approve ${id}` };
}
export function denyAction(id: string): ActionView {
  return { id: 'deny', label: 'Deny', requestId: id, style: 'danger', command: `/jit deny ${id} <reason>` };
}
export function releaseAction(id: string): ActionView {
  return { id: 'release', label: 'Release now', requestId: id, style: 'danger', command: `/jit release ${id}` };
}
export function extendAction(id: string): ActionView {
  return { id: 'extend', label: 'Extend', requestId: id, style: 'primary', command: `/jit extend ${id} <duration> <reason>` };
}
export function cancelAction(id: string): ActionView {
  return { id: 'cancel', label: 'Cancel', requestId: id, command: `/jit cancel ${id}` };
}

/** The card for a request in its current state; a pipeline's card also shows its run. */
export function buildCard(request: AccessRequest, resourceDescription: string, eligibleApprovers: string[]): CardView {
  const card = buildRequestCard(request, resourceDescription, eligibleApprovers);
  if (!request.pipeline) return card;
  const pipeline = pipelineRunView(request.pipeline);
  return { ...card, pipeline, status: `${card.status}\n${pipeline.summary}` };
}

function buildRequestCard(request: AccessRequest, resourceDescription: string, eligibleApprovers: string[]): CardView {
  const approvedBy = request.approvals.map((a) => a.person);
  const base = {
    requestId: request.id,
    version: request.version,
    requester: request.requester,
    resource: request.resource,
    resourceDescription,
    duration: formatDuration(request.durationMs),
    reason: request.reason,
    approvals:
      request.autoApprovedBy !== undefined
        ? 'auto-approved by policy'
        : `${request.approvals.length} of ${request.approvalsRequired}${approvedBy.length ? ` (${approvedBy.join(', ')})` : ''}`,
    eligibleApprovers,
  };
  switch (request.status) {
    case 'pending':
      return {
        ...base,
        title: `${request.id}: ${request.requester} requests ${request.resource}`,
        tone: 'waiting',
        status: `Waiting for ${remaining(request)} more approval${remaining(request) === 1 ? '' : 's'}; closes at ${when(request.timeoutAt)} if undecided.`,
        actions: [approveAction(request.id), denyAction(request.id)],
      };
    case 'approved':
    case 'issuing':
      return { ...base, title: `${request.id}: approved`, tone: 'good', status: `Approved by ${approvers(request)}; issuing access…`, actions: [] };
    case 'active': {
      const ext = request.pendingExtension;
      return {
        ...base,
        title: `${request.id}: active`,
        tone: 'good',
        status: `Approved by ${approvers(request)}. Active until ${when(request.window.end)}.${
          ext ? ` Extension of ${formatDuration(ext.durationMs)} requested: "${ext.reason}" (${ext.approvals.length} of ${request.approvalsRequired}).` : ''
        }`,
        reason: request.reason,
        actions: ext ? [approveAction(request.id), denyAction(request.id)] : [],
      };
    }
    case 'revoking':
      return { ...base, title: `${request.id}: ending`, tone: 'neutral', status: `Ending (${endPhrase(request)}); revoking access…${revokeReasonText(request)}`, actions: [] };
    case 'revoke_failed':
      return {
        ...base,
        title: `${request.id}: REVOCATION FAILING`,
        tone: 'alarm',
        status: `Access should have ended (${endPhrase(request)}) but revoking it has failed ${request.revokeAttempts} times (last error: ${request.lastRevokeError ?? 'unknown'}). jitbot keeps retrying; an admin can check and run /jit revoke ${request.id}.`,
        actions: [],
      };
    case 'expired':
      return { ...base, title: `${request.id}: ended`, tone: 'neutral', status: `Ended: expired at ${when(request.endedAt)}.`, actions: [] };
    case 'released':
      return { ...base, title: `${request.id}: ended`, tone: 'neutral', status: `Ended: released by ${request.requester} at ${when(request.endedAt)}.`, actions: [] };
    case 'revoked':
      return {
        ...base,
        title: `${request.id}: ended`,
        tone: 'neutral',
        status: `Ended: revoked by ${describeActor(request.resolvedBy ?? request.endedBy)} at ${when(request.endedAt)}.${revokeReasonText(request)}`,
        actions: [],
      };
    case 'denied':
      return { ...base, title: `${request.id}: denied`, tone: 'bad', status: `Denied by ${request.deniedBy}: ${request.denyReason}`, actions: [] };
    case 'cancelled':
      return { ...base, title: `${request.id}: cancelled`, tone: 'neutral', status: `Cancelled by ${request.requester}.`, actions: [] };
    case 'timed_out':
      return { ...base, title: `${request.id}: timed out`, tone: 'neutral', status: 'Closed: nobody decided in time.', actions: [] };
    case 'failed':
      return { ...base, title: `${request.id}: failed`, tone: 'alarm', status: `Approved, but issuing failed: ${request.error}`, actions: [] };
  }
}

function approvers(request: AccessRequest): string {
  if (request.autoApprovedBy !== undefined) return 'policy (auto-approval)';
  return request.approvals.map((a) => a.person).join(', ');
}

/** " Reason: …" when an admin gave one for revoking, as a deny reason is shown. */
export function revokeReasonText(request: Extract<AccessRequest, { endReason: unknown }>): string {
  return request.endReason === 'revoked' && request.revokeReason ? ` Reason: ${request.revokeReason}` : '';
}

export function endPhrase(request: Extract<AccessRequest, { endReason: unknown }>): string {
  switch (request.endReason) {
    case 'expired':
      return 'the window ended';
    case 'released':
      return `released by ${request.requester}`;
    case 'revoked':
      return `revoked by ${describeActor(request.endedBy)}`;
  }
}
