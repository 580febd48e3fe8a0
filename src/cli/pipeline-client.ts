// How `jitbot request` and `jitbot release` talk to jitbot: the HTTP client, where ID tokens come
// from, and retries that honour Retry-After and name the URL they cannot reach.

export const DEFAULT_TOKEN_VARIABLE = 'JITBOT_ID_TOKEN';

export class CliError extends Error {}

export interface Client {
  call(method: 'GET' | 'POST', path: string, body?: unknown, headers?: Record<string, string>, timeoutMs?: number): Promise<ApiResponse>;
}

/** An answer; `retryAfterMs` from a `Retry-After` header (a 503 while the issuer's keys are refetched, a 429). */
export type ApiResponse = { status: number; body: ApiBody; retryAfterMs?: number };

/** jitbot (or the runner's token endpoint) could not be reached: retried, then reported naming the URL. */
export class Unreachable extends Error {}

export type ApiBody = Record<string, unknown> & { error?: string; message?: string; id?: string; status?: string; version?: number };


export function createClient(options: { url?: string; audience?: string; idTokenVar?: string }, env: NodeJS.ProcessEnv): Client {
  const base = (options.url ?? env.JITBOT_URL ?? '').replace(/\/+$/, '');
  if (!base) throw new CliError('where is jitbot? Set JITBOT_URL (or pass --url).');
  if (!/^https?:\/\//.test(base)) throw new CliError(`JITBOT_URL must be an http(s) URL (got ${base.slice(0, 60)})`);
  if (/^https?:\/\/[^/]*@/.test(base)) throw new CliError('JITBOT_URL must not contain a user name or password (jobs authenticate with their ID token)');
  const audience = options.audience ?? env.JITBOT_OIDC_AUDIENCE ?? base;
  const idToken = idTokenSource(env, audience, options.idTokenVar ?? env.JITBOT_ID_TOKEN_VAR ?? DEFAULT_TOKEN_VARIABLE);
  return {
    async call(method, path, body, headers = {}, timeoutMs = 30_000) {
      const token = await idToken();
      const url = `${base}${path}`;
      let response: Response;
      let text: string;
      try {
        response = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        throw unreachable(url, error, timeoutMs);
      }
      let parsed: ApiBody;
      try {
        parsed = text ? (JSON.parse(text) as ApiBody) : {};
      } catch {
        parsed = { error: 'bad_response', message: text.slice(0, 200) };
      }
      const retryAfter = Number(response.headers.get('retry-after'));
      return { status: response.status, body: parsed, ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: Math.min(retryAfter, 60) * 1000 } : {}) };
    },
  };
}

/**
 * Where ID tokens come from. On GitHub Actions (the job has `permissions: id-token: write`) a fresh
 * one is fetched from the runner for every call; elsewhere (GitLab `id_tokens:`) the variable is read.
 */
export function idTokenSource(env: NodeJS.ProcessEnv, audience: string, variable: string): () => Promise<string> {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (requestUrl && requestToken) {
    return async () => {
      const url = `${requestUrl}${requestUrl.includes('?') ? '&' : '?'}audience=${encodeURIComponent(audience)}`;
      let response: Response;
      try {
        response = await fetch(url, { headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' }, signal: AbortSignal.timeout(15_000) });
      } catch (error) {
        throw unreachable(url, error, 15_000);
      }
      if (!response.ok) throw new CliError(`GitHub Actions would not issue an ID token (HTTP ${response.status})`);
      const body = (await response.json()) as { value?: unknown };
      if (typeof body.value !== 'string') throw new CliError('GitHub Actions returned no ID token');
      return body.value;
    };
  }
  const token = env[variable];
  if (token) return async () => token;
  if (env.GITHUB_ACTIONS === 'true') {
    throw new CliError('no OIDC ID token: give the job "permissions: id-token: write" so ACTIONS_ID_TOKEN_REQUEST_URL is set.');
  }
  throw new CliError(`no OIDC ID token: on GitLab add "id_tokens: { ${variable}: { aud: ${audience} } }" to the job (or set --id-token-var to the variable that holds one).`);
}

/**
 * Network failures and 5xx answers are retried (same Idempotency-Key, so never twice): after the
 * answer's `Retry-After`, else with backoff; never past `deadline` (`--timeout`). A 429 is a limit of
 * the policy: its message says which limit and when to ask again, so it is reported at once.
 */
export async function withRetries(call: () => Promise<ApiResponse>, deadline?: number): Promise<ApiResponse> {
  for (let attempt = 0; ; attempt++) {
    let pause = Math.min(30_000, 1000 * 2 ** attempt);
    try {
      const result = await call();
      if (result.status < 500 || attempt >= 5) return result;
      if (result.retryAfterMs !== undefined) pause = result.retryAfterMs;
      if (deadline !== undefined && Date.now() + pause > deadline) return result;
      log(`jitbot answered ${result.status}${result.body.error ? ` ${result.body.error}` : ''}; retrying in ${Math.ceil(pause / 1000)} s`);
    } catch (error) {
      if (error instanceof CliError || attempt >= 5 || (deadline !== undefined && Date.now() + pause > deadline)) throw error;
      log(`${(error as Error).message}; retrying in ${Math.ceil(pause / 1000)} s`);
    }
    await sleep(pause);
  }
}

/** "cannot reach http://host/v1/requests: connection refused": the URL (without credentials or query) and why. */
export function unreachable(url: string, error: unknown, timeoutMs: number): Unreachable {
  let shown = url;
  try {
    const parsed = new URL(url);
    shown = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    // not a URL: show it as given
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const why =
    (error as Error).name === 'TimeoutError'
      ? `no answer within ${Math.round(timeoutMs / 1000)} s`
      : code === 'ECONNREFUSED'
        ? 'connection refused'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'host not found (DNS)'
          : code
            ? `${typeof cause?.message === 'string' ? cause.message : 'network error'} (${code})`
            : (error as Error).message;
  return new Unreachable(`cannot reach ${shown}: ${why}`);
}

export function apiError(what: string, response: { status: number; body: ApiBody }): CliError {
  return new CliError(`${what} (HTTP ${response.status}${response.body.error ? ` ${response.body.error}` : ''}): ${response.body.message ?? ''}`.trim());
}


export function log(message: string): void {
  process.stderr.write(`jitbot: ${message}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
