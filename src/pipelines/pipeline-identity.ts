import type { AccessRequest, Actor, PipelineContext } from '../core/domain/access-request.js';
import type { VerifiedToken } from './oidc-verifier.js';

/** A verified token's claim as text (GitHub and GitLab send ids as strings; be lenient with numbers). */
function claim(token: VerifiedToken, name: string): string | undefined {
  const value = token.claims[name];
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** The run a verified ID token belongs to, as the request records it and the card shows it. */
export function pipelineContextFromToken(token: VerifiedToken): PipelineContext {
  const { provider } = token;
  const pick = (name: string) => claim(token, name);
  const common = { source: 'oidc' as const, provider: provider.provider, issuer: provider.issuer, subject: pick('sub') ?? '' };
  const optional = (fields: Record<string, string | undefined>) =>
    Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
  if (provider.provider === 'github') {
    const repository = pick('repository') ?? '';
    const runId = pick('run_id');
    return {
      ...common,
      repository,
      ...optional({
        repositoryId: pick('repository_id'),
        runId,
        runUrl: runId ? `${provider.serverUrl}/${repository}/actions/runs/${runId}` : undefined,
        commit: pick('sha'),
        ref: pick('ref'),
        environment: pick('environment'),
        workflow: pick('job_workflow_ref') ?? pick('workflow_ref'),
        actor: pick('actor'),
      }),
    };
  }
  const repository = pick('project_path') ?? '';
  const runId = pick('pipeline_id');
  return {
    ...common,
    repository,
    ...optional({
      repositoryId: pick('project_id'),
      runId,
      runUrl: runId ? `${provider.serverUrl}/${repository}/-/pipelines/${runId}` : undefined,
      commit: pick('sha'),
      ref: pick('ref'),
      environment: pick('environment'),
      workflow: pick('ci_config_ref_uri'),
      actor: pick('user_login'),
      actorEmail: pick('user_email'),
    }),
  };
}

/**
 * Whether the run behind `context` may read or end `request`: the same issuer, repository (by id)
 * and run. Another run of the same repository, or another repository, may not.
 */
export function sameRun(context: PipelineContext, request: AccessRequest): boolean {
  const made = request.pipeline;
  return (
    made !== undefined &&
    made.source === 'oidc' &&
    made.issuer === context.issuer &&
    made.repositoryId !== undefined &&
    made.repositoryId === context.repositoryId &&
    made.runId !== undefined &&
    made.runId === context.runId
  );
}

/** The actor a pipeline acts as, for the trail. */
export function pipelineActor(requester: string, context: PipelineContext, via: 'api' | 'github-webhook'): Actor & { kind: 'pipeline' } {
  return { kind: 'pipeline', pipeline: requester, via, subject: context.subject, ...(context.runId ? { runId: context.runId } : {}) };
}
