import type { IssueReceipt } from '../../core/domain/access-request.js';
import { IssuerError, type GrantContext, type IssueResult } from '../../core/ports/issuer.js';
import { readEntry, RoleOrder, targetRole, type LedgerEntry } from './access-ledger.js';
import type { GitHubApi } from './github-api.js';
import { statusOf } from './github-errors.js';
import type { TeamParams } from './github-schemas.js';
import type { IssuerState } from '../../core/ports/issuer.js';

const ROLES = new RoleOrder(['member', 'maintainer']);

interface Membership {
  role: string;
  state: 'active' | 'pending' | string;
}

/** Temporary membership of one team, shared safely between overlapping grants. */
export class TeamAccess {
  readonly #api: GitHubApi;
  readonly #state: IssuerState;
  readonly #issuerName: string;
  readonly #webUrl: string;

  constructor(api: GitHubApi, state: IssuerState, issuerName: string, webUrl: string) {
    this.#api = api;
    this.#state = state;
    this.#issuerName = issuerName;
    this.#webUrl = webUrl;
  }

  async issue(grant: GrantContext, params: TeamParams, login: string): Promise<IssueResult> {
    const team = `${params.org}/${params.team}`;
    const what = `${login} in team ${team}`;
    return this.#state.withLock(this.#key(params, login), async (slot) => {
      let entry = await readEntry(slot, what);
      if (!entry) entry = { priorRole: (await this.#membership(params, login))?.role ?? null, holders: {} };
      if (entry.priorRole !== null && !(grant.grantId in entry.holders) && ROLES.compare(entry.priorRole, params.role)! > 0) {
        throw new IssuerError(`${login} is already a ${entry.priorRole} of ${team}, more than the requested ${params.role}; jitbot does not lower access, and there is nothing to grant`, false);
      }
      const next: LedgerEntry = {
        ...entry,
        holders: { ...entry.holders, [grant.grantId]: { role: params.role, until: grant.window.end, since: entry.holders[grant.grantId]?.since ?? Date.now() } },
      };
      const target = targetRole(ROLES, next) ?? params.role;
      await slot.write(next);

      if (!(target === entry.priorRole && next.applied === undefined)) {
        const current = next.applied === target ? await this.#membership(params, login) : undefined;
        if (current?.role === target) {
          next.pending = current.state === 'pending';
        } else {
          const put = await this.#api.request<Membership>(
            'PUT /orgs/{org}/teams/{team_slug}/memberships/{username}',
            { org: params.org, team_slug: params.team, username: login, role: target },
            params.org,
            `adding ${what} as ${target}`,
          );
          next.pending = put.data?.state === 'pending';
        }
        next.applied = target;
        await slot.write(next);
      }

      const details: Record<string, string> = { team, login, role: params.role };
      if (entry.priorRole !== null) details['had before'] = `${entry.priorRole} (kept after this grant)`;
      const others = Object.keys(entry.holders).filter((id) => id !== grant.grantId);
      if (others.length > 0) details['shared with'] = others.join(', ');
      const invitation = `${this.#webUrl}/orgs/${params.org}/invitation`;
      if (next.pending) details.invitation = `${invitation} (GitHub emailed an invitation to join ${params.org}; the membership starts when it is accepted)`;
      const receipt: IssueReceipt = {
        summary: next.pending ? `${login} is invited to ${team} as ${params.role}: accept at ${invitation}` : `${login} is a ${params.role} of ${team}`,
        details,
        revokeState: { kind: 'team', org: params.org, team: params.team, login, role: params.role, priorRole: entry.priorRole },
      };
      return { receipt };
    });
  }

  async revoke(grant: GrantContext, params: TeamParams, login: string, receipt: IssueReceipt | undefined): Promise<void> {
    const what = `${login} in team ${params.org}/${params.team}`;
    await this.#state.withLock(this.#key(params, login), async (slot) => {
      const entry = (await readEntry(slot, what)) ?? entryFromReceipt(grant, receipt);
      if (!entry || !(grant.grantId in entry.holders)) return;
      const holders = { ...entry.holders };
      delete holders[grant.grantId];
      const next: LedgerEntry = { ...entry, holders };
      const target = targetRole(ROLES, next) ?? null;
      if (entry.applied !== undefined && target !== entry.applied) {
        if (target === null) {
          try {
            await this.#api.request(
              'DELETE /orgs/{org}/teams/{team_slug}/memberships/{username}',
              { org: params.org, team_slug: params.team, username: login },
              params.org,
              `removing ${what}`,
            );
          } catch (error) {
            if (statusOf(error instanceof IssuerError ? error.cause : error) !== 404) throw error;
          }
        } else {
          await this.#api.request(
            'PUT /orgs/{org}/teams/{team_slug}/memberships/{username}',
            { org: params.org, team_slug: params.team, username: login, role: target },
            params.org,
            `restoring ${what} to ${target}`,
          );
        }
      }
      if (Object.keys(holders).length === 0) {
        await slot.write(undefined);
        return;
      }
      if (entry.applied !== undefined && target !== null) next.applied = target;
      await slot.write(next);
    });
  }

  async verify(grant: GrantContext, params: TeamParams, login: string): Promise<boolean> {
    const held = await this.#state.withLock(this.#key(params, login), async (slot) => {
      const entry = await readEntry(slot, `${login} in team ${params.org}/${params.team}`);
      return entry !== undefined && grant.grantId in entry.holders;
    });
    if (held !== true) return false;
    const membership = await this.#membership(params, login);
    return membership !== undefined && ROLES.covers(membership.role, params.role);
  }

  async #membership(params: TeamParams, login: string): Promise<Membership | undefined> {
    try {
      const answer = await this.#api.request<Membership>(
        'GET /orgs/{org}/teams/{team_slug}/memberships/{username}',
        { org: params.org, team_slug: params.team, username: login },
        params.org,
        `reading ${login}'s membership of ${params.org}/${params.team}`,
      );
      return answer.data;
    } catch (error) {
      if (statusOf(error instanceof IssuerError ? error.cause : error) === 404) return undefined;
      throw error;
    }
  }

  #key(params: TeamParams, login: string): string {
    return `github:${this.#issuerName}:${this.#webUrl}:team:${params.org.toLowerCase()}/${params.team.toLowerCase()}:${login.toLowerCase()}`;
  }
}

function entryFromReceipt(grant: GrantContext, receipt: IssueReceipt | undefined): LedgerEntry | undefined {
  const state = receipt?.revokeState;
  if (!state || state.kind !== 'team' || typeof state.role !== 'string') return undefined;
  const prior = typeof state.priorRole === 'string' ? state.priorRole : null;
  return {
    priorRole: prior,
    holders: { [grant.grantId]: { role: state.role, until: grant.window.end, since: grant.window.start } },
    applied: ROLES.highest([prior, state.role]) ?? state.role,
  };
}
