import type { IssueReceipt } from '../../src/core/domain/access-request.js';
import { IssuerError, type GrantContext, type IssueResult, type Issuer } from '../../src/core/ports/issuer.js';

/** Where a worker process kills itself with SIGKILL, to test crash recovery at that point. */
export type FaultPoint = 'after_issuer_call' | 'mid_revoke' | undefined;

/** An Issuer that calls the IssuerOracle over HTTP; `fault` makes the process die at a chosen point. */
export class HttpOracleIssuer implements Issuer {
  readonly type = 'oracle';
  constructor(
    private readonly url: string,
    private readonly fault: FaultPoint,
  ) {}

  async issue(grant: GrantContext): Promise<IssueResult> {
    await this.post('/issue', { grantId: grant.grantId, windowEnd: grant.window.end });
    if (this.fault === 'after_issuer_call') process.kill(process.pid, 'SIGKILL');
    return { receipt: { summary: 'oracle credential', details: {}, revokeState: {} } };
  }

  async revoke(grant: GrantContext, _receipt: IssueReceipt | undefined): Promise<void> {
    if (this.fault === 'mid_revoke') process.kill(process.pid, 'SIGKILL');
    await this.post('/revoke', { grantId: grant.grantId });
  }

  private async post(path: string, body: object): Promise<void> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
    } catch (error) {
      throw new IssuerError(`oracle unreachable: ${(error as Error).message}`, true);
    }
    if (!response.ok) throw new IssuerError(`oracle answered ${response.status}`, response.status >= 500);
  }
}
