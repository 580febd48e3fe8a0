import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { IssuerError } from '../../core/ports/issuer.js';

/** An answer from Vault's HTTP API. */
export interface VaultAnswer {
  status: number;
  body: { errors?: string[]; warnings?: string[] | null; data?: Record<string, unknown> | null; auth?: Record<string, unknown> | null } | undefined;
  headers: Record<string, string | string[] | undefined>;
}

export interface VaultHttpOptions {
  address: string;
  namespace?: string | undefined;
  /** PEM of the CA(s) to trust for the server's certificate (instead of the system's). */
  ca?: string | undefined;
  serverName?: string | undefined;
  timeoutMs: number;
}

/**
 * Vault's HTTP API over node:http(s), so that the TLS settings (a CA file, the expected server name)
 * apply. Failures to get an answer (refused, reset, timeout) are retryable `IssuerError`s; answers,
 * whatever their status, are returned for the caller to judge.
 */
export class VaultHttp {
  constructor(private readonly options: VaultHttpOptions) {}

  async call(method: string, path: string, token: string, body?: unknown, doing = path): Promise<VaultAnswer> {
    const url = new URL(`${this.options.address}/v1/${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { 'X-Vault-Token': token, 'X-Vault-Request': 'true', Accept: 'application/json' };
    if (this.options.namespace) headers['X-Vault-Namespace'] = this.options.namespace;
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise<VaultAnswer>((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          headers,
          timeout: this.options.timeoutMs,
          ...(secure ? { ...(this.options.ca ? { ca: this.options.ca } : {}), ...(this.options.serverName ? { servername: this.options.serverName } : {}) } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (error) => reject(new IssuerError(`Vault's answer broke off while ${doing}: ${error.message}`, true, { cause: error })));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: VaultAnswer['body'];
            try {
              parsed = text ? (JSON.parse(text) as VaultAnswer['body']) : undefined;
            } catch {
              parsed = { errors: [text.slice(0, 200)] };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        const tls = error.code !== undefined && /CERT|SELF_SIGNED|ALTNAME|TLS|SSL|UNABLE_TO_VERIFY|LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER/.test(error.code);
        // A certificate that does not match what the settings trust needs a person, not a retry.
        reject(new IssuerError(`cannot reach Vault at ${this.options.address} while ${doing}: ${error.message}`, !tls, { cause: error }));
      });
      req.end(payload);
    });
  }
}

/** Vault's error text from an answer. */
export function vaultErrors(answer: VaultAnswer): string {
  const errors = answer.body?.errors;
  return errors && errors.length > 0 ? errors.join('; ') : `HTTP ${answer.status}`;
}

/**
 * An `IssuerError` for an answer that is not a success: sealed/standby/rate-limited (503, 429, 5xx)
 * are retryable, honouring Retry-After; bad requests, permission denied and unknown paths are not.
 */
export function vaultFailure(answer: VaultAnswer, doing: string): IssuerError {
  const text = vaultErrors(answer);
  const status = answer.status;
  const retryAfter = answer.headers['retry-after'];
  const seconds = typeof retryAfter === 'string' && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  if (status === 429 || status >= 500) {
    return new IssuerError(`Vault is unavailable (${status}) while ${doing}: ${text}`, true, seconds !== undefined ? { retryAfterMs: seconds * 1000 } : undefined);
  }
  if (status === 403) return new IssuerError(`Vault denied jitbot's token (403) while ${doing}: ${text} — check its policy`, false);
  if (status === 404) return new IssuerError(`Vault has no such path (404) while ${doing}: check the address, namespace and mount`, false);
  return new IssuerError(`Vault refused (${status}) while ${doing}: ${text}`, false);
}
