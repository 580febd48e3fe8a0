import { FINAL, PIPELINE_REQUESTER_PREFIX, type AccessRequest, type RequestId } from '../domain/access-request.js';
import { matchingPipelines, mayRequest, pipelineMatches } from '../policy/evaluate-policy.js';
import { pipelineNamed } from '../policy/policy-lookup.js';
import type { PipelineProvider } from '../policy/policy-schema.js';
import type { CoreDeps } from './core-context.js';
import { collectPipelineCredential, type CredentialPickup } from './pipeline-credentials.js';

/**
 * Pipelines as requesters, past authentication: which `pipelines:` entry a verified run is, the
 * Idempotency-Key of a create, the long poll on a request, and the credential pickup. The HTTP shapes,
 * the OIDC verification and the job binding stay in `pipelines/`.
 */

/** The verified claims of a CI run's ID token, as the policy's `pipelines:` entries match them. */
export interface PipelineClaims {
  provider: PipelineProvider;
  claims: Readonly<Record<string, unknown>>;
}

const IDEMPOTENCY_NAMESPACE = 'pipeline-idempotency';
/** A create with an Idempotency-Key holds it this long while it runs; a retry meanwhile waits for its result. */
const IDEMPOTENCY_CLAIM_MS = 60_000;

/**
 * The requester name (`pipeline:<name>`) a run asks as: the first matching entry that may request
 * `resource`, else the first match (whose refusal then names the resource); undefined when no entry
 * matches the run.
 */
export function pipelineRequester(deps: CoreDeps, run: PipelineClaims, resource: string): string | undefined {
  const policy = deps.policy();
  const candidates = matchingPipelines(policy, run.provider, run.claims);
  return candidates.find((name) => mayRequest(policy, name, resource)) ?? candidates[0];
}

/** Whether a request's principal (`pipeline:<name>`) is still an entry of the current policy that this run matches. */
export function pipelineStillMatches(deps: CoreDeps, principal: string, run: PipelineClaims): boolean {
  if (!principal.startsWith(PIPELINE_REQUESTER_PREFIX)) return false;
  const entry = pipelineNamed(deps.policy(), principal.slice(PIPELINE_REQUESTER_PREFIX.length));
  return entry !== undefined && pipelineMatches(entry, run.provider, run.claims);
}

/** The request an earlier create with this idempotency scope made, if it got that far. */
export async function earlierPipelineRequest(deps: CoreDeps, scope: string): Promise<AccessRequest | undefined> {
  const id = await deps.state.getValue(IDEMPOTENCY_NAMESPACE, scope);
  return id ? deps.requests.get(id) : undefined;
}

/** True for the one create that may run with this scope now; false while another one is running. */
export function claimPipelineRequest(deps: CoreDeps, scope: string): Promise<boolean> {
  return deps.state.claimOnce(`${IDEMPOTENCY_NAMESPACE}:${scope}`, IDEMPOTENCY_CLAIM_MS);
}

/** Remembers the request a create with this scope made, for its replays. */
export function rememberPipelineRequest(deps: CoreDeps, scope: string, id: RequestId): Promise<void> {
  return deps.state.putValue(IDEMPOTENCY_NAMESPACE, scope, id);
}

export interface WaitOptions {
  timeoutMs: number;
  /** How often the store is read. */
  everyMs: number;
  /** Ends the wait early (the caller hung up, the server stops). */
  signal?: AbortSignal;
}

/** Reads the request until `until` holds for it; undefined when the time is up, the wait was aborted, or it is gone. */
export function waitForRequest(deps: CoreDeps, id: RequestId, until: (request: AccessRequest) => boolean, wait: WaitOptions): Promise<AccessRequest | undefined> {
  return pollUntil(
    async () => {
      const now = await deps.requests.get(id);
      return now && until(now) ? now : undefined;
    },
    wait.timeoutMs,
    wait.everyMs,
    wait.signal,
  );
}

/** A pipeline's read of its request: the state it finds, and the credential if this read picked it up. */
export interface PipelineRead {
  request: AccessRequest;
  pickup?: CredentialPickup;
}

/**
 * One read of a pipeline's request: with `waitMs`, a long poll until the version moves past `since`
 * (not for a request already final); then, if the grant is active, the credential pickup, which
 * hands the secret out exactly once however many reads race for it.
 */
export async function readPipelineRequest(deps: CoreDeps, request: AccessRequest, wait: WaitOptions & { since: number }): Promise<PipelineRead> {
  let current = request;
  if (wait.timeoutMs > 0 && current.version === wait.since && !FINAL.has(current.status)) {
    const changed = await waitForRequest(deps, current.id, (now) => now.version !== wait.since, wait);
    current = changed ?? (await deps.requests.get(current.id)) ?? current;
  }
  if (current.status !== 'active') return { request: current };
  return { request: current, pickup: await collectPipelineCredential(deps, current) };
}

/** Calls `check` every `everyMs` until it returns something, `timeoutMs` passes, or `signal` aborts. */
export async function pollUntil<T>(check: () => Promise<T | undefined>, timeoutMs: number, everyMs: number, signal?: AbortSignal): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  let wake: (() => void) | undefined;
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(everyMs, left));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
