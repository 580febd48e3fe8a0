import type { IssueReceipt } from '../../src/core/domain/access-request.js';
import { IssuerError, type GrantContext, type IssueResult, type Issuer } from '../../src/core/ports/issuer.js';

export interface CredentialRecord {
  grantId: string;
  person: string;
  issuedAt: number;
  windowEnd: number;
  revokedAt?: number;
  issueCalls: number;
  revokeCalls: number;
}

/**
 * An in-process issuer that records every credential's life (the oracle of reliability tests) and
 * can be told to fail or be slow. Issue and revoke are idempotent on the grant id, like a real one.
 */
export class FakeIssuer implements Issuer {
  readonly type = 'fake';
  readonly credentials = new Map<string, CredentialRecord>();
  readonly revokeEffects: { grantId: string; at: number }[] = [];
  failIssues = 0;
  failRevokes = 0;
  fatalIssue = false;
  latencyMs = 0;
  issueCalls = 0;
  revokeCalls = 0;

  async issue(grant: GrantContext): Promise<IssueResult> {
    this.issueCalls++;
    await this.delay();
    if (this.fatalIssue) throw new IssuerError('target refused the grant (test)', false);
    if (this.failIssues > 0) {
      this.failIssues--;
      throw new IssuerError('target unavailable (test)', true);
    }
    const existing = this.credentials.get(grant.grantId);
    if (existing && existing.revokedAt === undefined) existing.issueCalls++;
    else this.credentials.set(grant.grantId, { grantId: grant.grantId, person: grant.person.name, issuedAt: Date.now(), windowEnd: grant.window.end, issueCalls: 1, revokeCalls: 0 });
    return {
      receipt: { summary: `fake credential for ${grant.person.name}`, details: { account: grant.person.name }, revokeState: { ref: grant.grantId } },
      secret: { label: 'password', value: `secret-${grant.grantId}-value` },
    };
  }

  async revoke(grant: GrantContext, _receipt: IssueReceipt | undefined): Promise<void> {
    this.revokeCalls++;
    await this.delay();
    if (this.failRevokes > 0) {
      this.failRevokes--;
      throw new IssuerError('target unavailable (test)', true);
    }
    const record = this.credentials.get(grant.grantId);
    if (record) {
      record.revokeCalls++;
      if (record.revokedAt === undefined) {
        record.revokedAt = Date.now();
        this.revokeEffects.push({ grantId: grant.grantId, at: record.revokedAt });
      }
    }
  }

  async verify(grant: GrantContext): Promise<boolean> {
    const record = this.credentials.get(grant.grantId);
    return record !== undefined && record.revokedAt === undefined;
  }

  private async delay(): Promise<void> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }
}
