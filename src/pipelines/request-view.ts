import { FINAL, type AccessRequest } from '../core/domain/access-request.js';
import { formatDuration } from '../core/domain/duration.js';
import { describeStatus } from '../core/domain/lifecycle.js';
import type { CredentialPickup } from '../core/services/pipeline-credentials.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A request as the pipelines API returns it. `credential` appears once: in the first read of the
 * active grant; afterwards `credentialStatus` says `collected`.
 */
export function requestView(request: AccessRequest, pickup?: CredentialPickup): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: request.id,
    status: request.status,
    final: FINAL.has(request.status),
    description: describeStatus(request),
    resource: request.resource,
    requester: request.requester,
    duration: formatDuration(request.durationMs),
    durationMs: request.durationMs,
    reason: request.reason,
    createdAt: iso(request.createdAt),
    version: request.version,
    approvalsRequired: request.approvalsRequired,
    approvals: request.approvals.map((a) => ({ by: a.person, at: iso(a.at) })),
    ...(request.autoApprovedBy !== undefined ? { autoApproved: true } : {}),
  };
  if (request.status === 'pending') view.timeoutAt = iso(request.timeoutAt);
  if ('window' in request) view.window = { start: iso(request.window.start), end: iso(request.window.end) };
  if ('receipt' in request) view.access = { summary: request.receipt.summary, details: request.receipt.details };
  if (request.status === 'denied') Object.assign(view, { deniedBy: request.deniedBy, denyReason: request.denyReason });
  if (request.status === 'failed') view.error = request.error;
  if ('endReason' in request) view.endReason = request.endReason;
  if ('endedAt' in request) view.endedAt = iso(request.endedAt);
  if (request.pipeline?.runUrl) view.run = request.pipeline.runUrl;
  if (request.status === 'active') {
    view.credentialStatus = pickup?.kind === 'credential' ? 'included' : (pickup?.kind ?? 'none');
    if (pickup?.kind === 'credential') view.credential = { label: pickup.secret.label, value: pickup.secret.value };
  }
  return view;
}
