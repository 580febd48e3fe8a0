import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IssueReceiptSchema, type IssueReceipt } from '../../src/core/domain/access-request.js';
import { IssuerError, type GrantContext, type IssueResult, type Issuer } from '../../src/core/ports/issuer.js';

/** Puts a failure in place (the far side answers 503, storage breaks, …); returns what undoes it. */
export type FailureInjector = () => Promise<() => Promise<void>>;

/** What an issuer's setup gives the contract suite. */
export interface IssuerContractSubject {
  issuer: Issuer;
  /**
   * A grant this issuer can serve (person identities and params it needs). Every call without a
   * `grantId` override must return a new grant id; `contractGrant` is a ready base.
   */
  grant(overrides?: Partial<GrantContext>): GrantContext;
  /**
   * Whether the access is in place, as the far side sees it (the fake server's state, the
   * introspection endpoint, …). Without it, only `verify` (if any) and the absence of errors are checked.
   */
  isLive?(grant: GrantContext, result: IssueResult): Promise<boolean>;
  /**
   * Failures to inject. Under each, `issue` must reject with an `IssuerError` whose `retryable` matches,
   * `revoke` must succeed or reject the same way, and after undoing it `issue` must work again.
   */
  failures?: { retryable?: FailureInjector; permanent?: FailureInjector };
  /** Params this issuer must refuse at issue time (a non-retryable `IssuerError`). */
  invalidParams?: Record<string, unknown>;
  /**
   * Set false for an issuer whose `verify` cannot tell revoked access from live access (it then only
   * has to answer). Default true: after `revoke`, `verify` is false.
   */
  verifyTellsRevocation?: boolean;
  /** Whether `revoke(grant, undefined)` removes issued access (the core does that after a failed issue). Default true. */
  revokesWithoutReceipt?: boolean;
  teardown(): Promise<void>;
}

let sequence = Math.floor(Math.random() * 1_000_000);

/** A plausible grant with a fresh id, an hour-long window from now, and no params. */
export function contractGrant(overrides: Partial<GrantContext> = {}): GrantContext {
  sequence += 1;
  const start = Date.now();
  return {
    grantId: `JIT-${sequence}`,
    person: { name: 'alice', email: 'alice@example.com', github: 'alice-gh', slack: 'U0ALICE' },
    resource: 'prod-deploy',
    params: {},
    window: { start, end: start + 60 * 60_000 },
    reason: 'contract test',
    approvers: ['bob'],
    ...overrides,
  };
}

/** The receipt as the core keeps it: validated, stored as JSON, read back. */
function stored(receipt: IssueReceipt): IssueReceipt {
  return IssueReceiptSchema.parse(JSON.parse(JSON.stringify(receipt)));
}

/** Whether any `window`-long stretch of `secret` appears in `text` (so a token cut in pieces is caught too). */
function leaks(text: string, secret: string, window = 24): boolean {
  if (secret.length <= window) return text.includes(secret);
  for (let i = 0; i + window <= secret.length; i += 1) if (text.includes(secret.slice(i, i + window))) return true;
  return false;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

/**
 * The behaviour every issuer owes the core (see `Issuer` in core/ports/issuer.ts): idempotent issue
 * and revoke on the grant id, revoke of the unknown succeeds, typed errors with an honest `retryable`,
 * and receipts that never carry the secret.
 */
export function describeIssuerContract(name: string, setup: () => Promise<IssuerContractSubject>): void {
  describe(`issuer contract: ${name}`, () => {
    let subject: IssuerContractSubject;
    beforeEach(async () => {
      subject = await setup();
    });
    afterEach(async () => {
      await subject.teardown();
    });

    const live = async (grant: GrantContext, result: IssueResult): Promise<boolean | undefined> => subject.isLive?.(grant, result);
    const verified = async (grant: GrantContext, result: IssueResult): Promise<boolean | undefined> =>
      subject.issuer.verify?.(grant, stored(result.receipt));
    const tellsRevocation = (): boolean => subject.verifyTellsRevocation ?? true;

    it('issues access that is in place', async () => {
      expect.hasAssertions();
      const grant = subject.grant();
      const result = await subject.issuer.issue(grant);
      expect(IssueReceiptSchema.safeParse(result.receipt).success).toBe(true);
      expect(result.receipt.summary.length).toBeGreaterThan(0);
      if (subject.isLive) expect(await live(grant, result)).toBe(true);
      if (subject.issuer.verify) expect(await verified(grant, result)).toBe(true);
    });

    it('issue is idempotent: twice has the effect of once, and one revoke ends both', async () => {
      expect.hasAssertions();
      const grant = subject.grant();
      const first = await subject.issuer.issue(grant);
      const second = await subject.issuer.issue(grant);
      expect(Object.keys(second.receipt.revokeState).sort()).toEqual(Object.keys(first.receipt.revokeState).sort());
      if (subject.isLive) {
        expect(await live(grant, first)).toBe(true);
        expect(await live(grant, second)).toBe(true);
      }
      await subject.issuer.revoke(grant, stored(second.receipt));
      if (subject.isLive) {
        expect(await live(grant, first)).toBe(false);
        expect(await live(grant, second)).toBe(false);
      }
      if (subject.issuer.verify && tellsRevocation()) {
        expect(await verified(grant, first)).toBe(false);
        expect(await verified(grant, second)).toBe(false);
      }
    });

    it('issue is idempotent under concurrency (a retried job racing the first)', async () => {
      expect.hasAssertions();
      const grant = subject.grant();
      const results = await Promise.all([subject.issuer.issue(grant), subject.issuer.issue(grant)]);
      for (const result of results) expect(IssueReceiptSchema.safeParse(result.receipt).success).toBe(true);
      for (const result of results) if (subject.isLive) expect(await live(grant, result)).toBe(true);
      await expect(subject.issuer.revoke(grant, stored(results[0]!.receipt))).resolves.toBeUndefined();
      for (const result of results) if (subject.isLive) expect(await live(grant, result)).toBe(false);
    });

    it('revoke after issue ends the access, and verify says so', async () => {
      expect.hasAssertions();
      const grant = subject.grant();
      const result = await subject.issuer.issue(grant);
      await expect(subject.issuer.revoke(grant, stored(result.receipt))).resolves.toBeUndefined();
      if (subject.isLive) expect(await live(grant, result)).toBe(false);
      if (subject.issuer.verify) {
        const answer = await verified(grant, result);
        expect(typeof answer).toBe('boolean');
        if (tellsRevocation()) expect(answer).toBe(false);
      }
    });

    it('revoke is idempotent: a second revoke succeeds and changes nothing', async () => {
      expect.hasAssertions();
      const grant = subject.grant();
      const result = await subject.issuer.issue(grant);
      await subject.issuer.revoke(grant, stored(result.receipt));
      await expect(subject.issuer.revoke(grant, stored(result.receipt))).resolves.toBeUndefined();
      if (subject.isLive) expect(await live(grant, result)).toBe(false);
      if (subject.issuer.verify && tellsRevocation()) expect(await verified(grant, result)).toBe(false);
    });

    it('revoke of a grant never issued succeeds', async () => {
      expect.hasAssertions();
      await expect(subject.issuer.revoke(subject.grant(), undefined)).resolves.toBeUndefined();
    });

    it('revoke without a receipt removes what issue made (the core does this after a failed issue)', async (context) => {
      expect.hasAssertions();
      if (subject.revokesWithoutReceipt === false) context.skip(`${name} cannot find what it issued without the receipt`);
      const grant = subject.grant();
      const result = await subject.issuer.issue(grant);
      await expect(subject.issuer.revoke(grant, undefined)).resolves.toBeUndefined();
      if (subject.isLive) expect(await live(grant, result)).toBe(false);
      if (subject.issuer.verify && tellsRevocation()) expect(await verified(grant, result)).toBe(false);
    });

    it('the receipt never carries the secret, not even in part', async (context) => {
      expect.hasAssertions();
      const grant = subject.grant();
      const result = await subject.issuer.issue(grant);
      const receipt = JSON.stringify(result.receipt);
      const secret = result.secret?.value;
      if (secret === undefined) return context.skip(`${name} hands out no secret, so there is none to leak`);
      expect(secret.length).toBeGreaterThan(0);
      expect(receipt.includes(secret)).toBe(false);
      expect(leaks(receipt, secret)).toBe(false);
    });

    it('refuses params it cannot use, with a non-retryable IssuerError', async (context) => {
      expect.hasAssertions();
      if (!subject.invalidParams) context.skip(`${name} takes no params, so none can be wrong`);
      const error = await rejection(subject.issuer.issue(subject.grant({ params: subject.invalidParams ?? {} })));
      expect(error).toBeInstanceOf(IssuerError);
      expect((error as IssuerError).retryable).toBe(false);
    });

    for (const kind of ['retryable', 'permanent'] as const) {
      it(`a ${kind} failure is an IssuerError with retryable=${kind === 'retryable'}, and recovery works`, async (context) => {
        expect.hasAssertions();
        const inject = subject.failures?.[kind];
        if (!inject) return context.skip(`no ${kind} failure can be injected into ${name}`);
        const before = subject.grant();
        const issuedBefore = await subject.issuer.issue(before);
        const grant = subject.grant();
        const restore = await inject();
        let restored = false;
        try {
          const issueError = await rejection(subject.issuer.issue(grant));
          expect(issueError).toBeInstanceOf(IssuerError);
          expect((issueError as IssuerError).retryable).toBe(kind === 'retryable');
          const revokeError = await rejection(subject.issuer.revoke(before, stored(issuedBefore.receipt)));
          if (revokeError !== undefined) {
            expect(revokeError).toBeInstanceOf(IssuerError);
            expect((revokeError as IssuerError).retryable).toBe(kind === 'retryable');
          }
          await restore();
          restored = true;
          await subject.issuer.revoke(before, stored(issuedBefore.receipt));
          if (subject.isLive) expect(await live(before, issuedBefore)).toBe(false);
          const result = await subject.issuer.issue(grant);
          if (subject.isLive) expect(await live(grant, result)).toBe(true);
        } finally {
          if (!restored) await restore();
        }
      });
    }
  });
}
