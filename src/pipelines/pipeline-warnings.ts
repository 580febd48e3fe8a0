import { globMatches } from '../core/policy/evaluate-policy.js';
import type { PipelinePrincipal, Policy } from '../core/policy/policy-schema.js';
import { formatPath, type PolicyProblem } from '../config/policy-problem.js';

/**
 * Runs whose ID token names the base repository but whose code or trigger may come from a pull
 * request, possibly a fork's: `pull_request_target` runs the base branch's workflow with the base
 * repository's identity on behalf of the pull request (and workflows often check out its head);
 * `workflow_run` follows a workflow that a fork's pull request may have triggered.
 */
const PRIVILEGED_PR_EVENTS = ['pull_request_target', 'workflow_run'] as const;

/** What a pull request's own run (`pull_request`) carries as `ref`; a fork's code runs there. */
const PULL_REQUEST_REF = 'refs/pull/1/merge';

/** The claims that say which job of the repository this is, beyond which branch. */
const JOB_CLAIMS = ['environment', 'job_workflow_ref', 'event_name'] as const;

/**
 * Legal but loose GitHub pipeline principals, for `jitbot check` to warn about: one that pins none
 * of `environment`, `job_workflow_ref` or `event_name` (any workflow of the repository on a matching
 * ref acts as it), and one whose claims let runs triggered by a pull request (`pull_request_target`,
 * `workflow_run`, or `pull_request` from a fork) act as it.
 */
export function pipelineWarnings(policy: Policy): PolicyProblem[] {
  const warnings: PolicyProblem[] = [];
  for (const [name, pipeline] of Object.entries(policy.pipelines)) {
    if (pipeline.provider !== 'github') continue;
    const path = formatPath(['pipelines', name, 'claims']);
    const principal = `pipeline:${name}`;
    if (!JOB_CLAIMS.some((claim) => pins(pipeline, claim)) && !subPinsEnvironment(pipeline)) {
      warnings.push({
        path,
        message: `${principal} pins none of environment, job_workflow_ref or event_name: any workflow in the repository, on any event, can act as it; pin the environment (with protection rules) or the workflow file`,
      });
    }
    const events = PRIVILEGED_PR_EVENTS.filter((event) => mayMatch(pipeline, 'event_name', event));
    if (events.length > 0) {
      warnings.push({
        path,
        message: `${principal} can match ${events.join(' and ')} runs (${pins(pipeline, 'event_name') ? 'event_name allows them' : 'event_name is not pinned'}), which act with the base repository's identity for a pull request, possibly from a fork, and may run its code; pin event_name, e.g. [push, workflow_dispatch]`,
      });
    }
    const pullRequestRun =
      mayMatch(pipeline, 'event_name', 'pull_request') &&
      mayMatch(pipeline, 'ref', PULL_REQUEST_REF) &&
      workflowMayRunAt(pipeline, 'job_workflow_ref', PULL_REQUEST_REF) &&
      workflowMayRunAt(pipeline, 'workflow_ref', PULL_REQUEST_REF) &&
      subMayMatchPullRequest(pipeline);
    if (pullRequestRun) {
      warnings.push({
        path,
        message: `${principal} can match pull_request runs (ref refs/pull/<n>/merge), which run a pull request's code, a fork's included; pin ref to your branches or event_name to events that are not pull requests`,
      });
    }
  }
  return warnings;
}

/** Whether the claim is named, with no pattern that is only wildcards. */
function pins(pipeline: PipelinePrincipal, claim: string): boolean {
  const patterns = pipeline.claims[claim];
  return patterns !== undefined && patterns.every((pattern) => pattern.replace(/\*/g, '') !== '');
}

/** Whether a run whose claim has this value could match (an unnamed claim matches anything). */
function mayMatch(pipeline: PipelinePrincipal, claim: string, value: string): boolean {
  const patterns = pipeline.claims[claim];
  return patterns === undefined || patterns.some((pattern) => globMatches(pattern, value, false));
}

/** `owner/repo/.github/workflows/x.yml@<ref>` patterns: whether one may match the workflow at `ref`. */
function workflowMayRunAt(pipeline: PipelinePrincipal, claim: string, ref: string): boolean {
  const patterns = pipeline.claims[claim];
  if (patterns === undefined) return true;
  return patterns.some((pattern) => {
    const at = pattern.lastIndexOf('@');
    return at < 0 ? pattern.endsWith('*') : globMatches(pattern.slice(at + 1), ref, false);
  });
}

// GitHub's `sub` is `repo:<owner>/<repo>:environment:<name>` for a job with an environment,
// `repo:<owner>/<repo>:pull_request` for a pull_request run, else `…:ref:<ref>`.
function subPinsEnvironment(pipeline: PipelinePrincipal): boolean {
  const patterns = pipeline.claims.sub;
  return patterns !== undefined && patterns.every((pattern) => /:environment:[^*]+$/.test(pattern));
}

function subMayMatchPullRequest(pipeline: PipelinePrincipal): boolean {
  const patterns = pipeline.claims.sub;
  return patterns === undefined || patterns.some((pattern) => pattern.endsWith(':pull_request') || pattern.endsWith('*') || /:environment:/.test(pattern));
}
