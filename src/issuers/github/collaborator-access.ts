import type { IssueReceipt } from '../../core/domain/access-request.js';
import { IssuerError, type GrantContext, type IssueResult, type StateSlot } from '../../core/ports/issuer.js';
import { readEntry, targetRole, type LedgerEntry } from './access-ledger.js';
import { collaboratorReceipt, entryFromReceipt, ROLES } from './collaborator-receipt.js';
import type { GitHubApi } from './github-api.js';
import { statusOf } from './github-errors.js';
import type { CollaboratorParams } from './github-schemas.js';
import type { IssuerState } from '../../core/ports/issuer.js';

const PAGE = 100;
/** Enough pages for any real repository; a runaway pagination is a bug, not a reason to loop. */
const MAX_PAGES = 50;

/** GitHub names roles `read`/`write` in answers and `pull`/`push` in requests. */
export function normaliseRole(role: string): string {
  const lower = role.toLowerCase();
  return lower === 'read' ? 'pull' : lower === 'write' ? 'push' : role;
}

/** The invitation API names roles `read`/`write` (and rejects custom roles). */
function invitationPermission(role: string): string {
  return role === 'pull' ? 'read' : role === 'push' ? 'write' : role;
}

interface Invitation {
  id: number;
  invitee: { login: string } | null;
  permissions: string;
  html_url: string;
}

interface Collaborator {
  login: string;
  role_name?: string;
}

const sameLogin = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** One person on one repository, and how messages name it. */
interface Where {
  owner: string;
  repo: string;
  /** `owner/repo`, as the params name it. */
  full: string;
  login: string;
  what: string;
}

/** A grant may raise a role the person had before, never lower or replace it (nor rank a custom role). */
function refuseToLower(entry: LedgerEntry, grant: GrantContext, want: string, { full, login }: Where): void {
  if (entry.priorRole === null || grant.grantId in entry.holders) return;
  const c = ROLES.compare(entry.priorRole, want);
  if (c === undefined) {
    throw new IssuerError(`${login} already has the role ${entry.priorRole} on ${full}; jitbot will not replace it with ${want}`, false);
  }
  if (c > 0) {
    throw new IssuerError(`${login} already has ${entry.priorRole} on ${full}, higher than the requested ${want}; jitbot does not lower access, and there is nothing to grant`, false);
  }
}

/** Temporary collaborator access to one repository, shared safely between overlapping grants. */
export class CollaboratorAccess {
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

  async issue(grant: GrantContext, params: CollaboratorParams, login: string): Promise<IssueResult> {
    const [owner, repo] = params.repo.split('/') as [string, string];
    const want = params.permission;
    const where: Where = { owner, repo, full: params.repo, login, what: `${login} on ${params.repo}` };
    return this.#state.withLock(this.#key(params.repo, login), async (slot) => {
      const entry = (await readEntry(slot, where.what)) ?? (await this.#firstEntry(where));
      refuseToLower(entry, grant, want, where);
      const holders = { ...entry.holders, [grant.grantId]: { role: want, until: grant.window.end, since: entry.holders[grant.grantId]?.since ?? Date.now() } };
      const next: LedgerEntry = { ...entry, holders };
      const target = targetRole(ROLES, next);
      if (target === undefined || target === null) {
        const others = Object.values(entry.holders).map((h) => h.role);
        throw new IssuerError(`another grant holds ${others.join(', ')} on ${params.repo} for ${login}; jitbot cannot combine it with ${want}`, false);
      }
      // Persist the intent before touching GitHub: if the answer is lost, the retry must not take the
      // access jitbot just added for access the person had before.
      await slot.write(next);
      let invitationUrl = await this.#apply(slot, entry, next, target, where);
      if (invitationUrl === undefined && next.invitationId !== undefined) {
        invitationUrl = (await this.#pendingInvitation(owner, repo, login))?.html_url;
      }
      return { receipt: collaboratorReceipt(grant, params, login, entry, next, invitationUrl) };
    });
  }

  /** The ledger entry of a first grant: what the person has on their own, unless an invitation jitbot did not send is pending. */
  async #firstEntry({ owner, repo, full, login }: Where): Promise<LedgerEntry> {
    const [direct, invitation] = await Promise.all([this.#directRole(owner, repo, login), this.#pendingInvitation(owner, repo, login)]);
    if (invitation) {
      throw new IssuerError(
        `${login} already has a pending invitation to ${full} (${invitation.permissions}) that jitbot did not send; they should accept or decline it first`,
        false,
      );
    }
    return { priorRole: direct, holders: {} };
  }

  /** Puts `target` in place on GitHub unless it already is: changes a pending invitation, or adds the collaborator. Returns the invitation's address, if one was made. */
  async #apply(slot: StateSlot, entry: LedgerEntry, next: LedgerEntry, target: string, { owner, repo, login, what }: Where): Promise<string | undefined> {
    // The person already has exactly this (nothing to change, nothing to remove later), or another grant put it in place.
    if (target === entry.priorRole && next.applied === undefined) return undefined;
    if (next.applied === target && next.invitationId === undefined) return undefined;
    let invitationUrl: string | undefined;
    const pending = next.invitationId !== undefined || entry.priorRole === null ? await this.#pendingInvitation(owner, repo, login) : undefined;
    if (pending) {
      next.invitationId = pending.id;
      invitationUrl = pending.html_url;
      if (normaliseRole(pending.permissions) !== target) {
        await this.#api.request(
          'PATCH /repos/{owner}/{repo}/invitations/{invitation_id}',
          { owner, repo, invitation_id: pending.id, permissions: invitationPermission(target) },
          owner,
          `changing the invitation of ${what} to ${target}`,
        );
      }
    } else {
      const put = await this.#api.request<Invitation | undefined>(
        'PUT /repos/{owner}/{repo}/collaborators/{username}',
        { owner, repo, username: login, permission: target },
        owner,
        `adding ${what} with ${target}`,
      );
      if (put.status === 201 && put.data) {
        next.invitationId = put.data.id;
        invitationUrl = put.data.html_url;
      }
    }
    next.applied = target;
    await slot.write(next);
    return invitationUrl;
  }

  async revoke(grant: GrantContext, params: CollaboratorParams, login: string, receipt: IssueReceipt | undefined): Promise<void> {
    const [owner, repo] = params.repo.split('/') as [string, string];
    const what = `${login} on ${params.repo}`;
    await this.#state.withLock(this.#key(params.repo, login), async (slot) => {
      let entry = await readEntry(slot, what);
      if (!entry) entry = entryFromReceipt(grant, receipt);
      if (!entry || !(grant.grantId in entry.holders)) return;
      const holders = { ...entry.holders };
      delete holders[grant.grantId];
      const next: LedgerEntry = { ...entry, holders };
      let target = targetRole(ROLES, next);
      // Remaining roles that cannot be ranked: leave what is in place to the last of them.
      if (target === undefined) target = entry.applied ?? null;
      if (entry.applied !== undefined && target !== entry.applied) await this.#restore(owner, repo, login, next, target);
      // Written only after GitHub agreed: a lost answer means the next attempt does it again.
      if (Object.keys(holders).length === 0) {
        await slot.write(undefined);
        return;
      }
      if (target === null) delete next.applied;
      else if (entry.applied !== undefined) next.applied = target;
      await slot.write(next);
    });
  }

  /** Whether the grant still holds its access: jitbot still counts it, and GitHub shows it (or a pending invitation). */
  async verify(grant: GrantContext, params: CollaboratorParams, login: string): Promise<boolean> {
    const [owner, repo] = params.repo.split('/') as [string, string];
    const held = await this.#state.withLock(this.#key(params.repo, login), async (slot) => {
      const entry = await readEntry(slot, `${login} on ${params.repo}`);
      return entry !== undefined && grant.grantId in entry.holders;
    });
    if (held !== true) return false;
    try {
      const answer = await this.#api.request<{ role_name?: string; permission?: string }>(
        'GET /repos/{owner}/{repo}/collaborators/{username}/permission',
        { owner, repo, username: login },
        owner,
        `checking ${login}'s permission on ${params.repo}`,
      );
      const role = answer.data.role_name ?? answer.data.permission;
      if (role !== undefined && ROLES.covers(normaliseRole(role), params.permission)) return true;
    } catch (error) {
      if (statusOf(error instanceof IssuerError ? error.cause : error) !== 404) throw error;
    }
    const pending = await this.#pendingInvitation(owner, repo, login);
    return pending !== undefined && ROLES.covers(normaliseRole(pending.permissions), params.permission);
  }

  /** Puts the person's direct role back to `target` (null: remove jitbot's access entirely). */
  async #restore(owner: string, repo: string, login: string, entry: LedgerEntry, target: string | null): Promise<void> {
    const what = `${login} on ${owner}/${repo}`;
    const pending = entry.invitationId !== undefined ? await this.#pendingInvitation(owner, repo, login) : undefined;
    if (pending && pending.id === entry.invitationId) {
      if (target === null) {
        await this.#ignoring404(() =>
          this.#api.request('DELETE /repos/{owner}/{repo}/invitations/{invitation_id}', { owner, repo, invitation_id: pending.id }, owner, `cancelling the invitation of ${what}`),
        );
      } else {
        await this.#api.request(
          'PATCH /repos/{owner}/{repo}/invitations/{invitation_id}',
          { owner, repo, invitation_id: pending.id, permissions: invitationPermission(target) },
          owner,
          `changing the invitation of ${what} back to ${target}`,
        );
      }
      return;
    }
    if (target === null) {
      await this.#ignoring404(() =>
        this.#api.request('DELETE /repos/{owner}/{repo}/collaborators/{username}', { owner, repo, username: login }, owner, `removing ${what}`),
      );
    } else {
      await this.#api.request('PUT /repos/{owner}/{repo}/collaborators/{username}', { owner, repo, username: login, permission: target }, owner, `restoring ${what} to ${target}`);
    }
  }

  async #ignoring404(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      const cause = error instanceof IssuerError ? error.cause : error;
      if (statusOf(cause) !== 404) throw error;
    }
  }

  /** The person's role as a direct collaborator (null: not one). */
  async #directRole(owner: string, repo: string, login: string): Promise<string | null> {
    for (let page = 1; page <= MAX_PAGES; page++) {
      const answer = await this.#api.request<Collaborator[]>(
        'GET /repos/{owner}/{repo}/collaborators',
        { owner, repo, affiliation: 'direct', per_page: PAGE, page },
        owner,
        `reading the direct collaborators of ${owner}/${repo}`,
      );
      const found = answer.data.find((c) => sameLogin(c.login, login));
      if (found) return found.role_name ? normaliseRole(found.role_name) : 'push';
      if (answer.data.length < PAGE) return null;
    }
    return null;
  }

  async #pendingInvitation(owner: string, repo: string, login: string): Promise<Invitation | undefined> {
    for (let page = 1; page <= MAX_PAGES; page++) {
      const answer = await this.#api.request<Invitation[]>(
        'GET /repos/{owner}/{repo}/invitations',
        { owner, repo, per_page: PAGE, page },
        owner,
        `reading the pending invitations of ${owner}/${repo}`,
      );
      const found = answer.data.find((i) => sameLogin(i.invitee?.login, login));
      if (found) return found;
      if (answer.data.length < PAGE) return undefined;
    }
    return undefined;
  }

  #key(repo: string, login: string): string {
    return `github:${this.#issuerName}:${this.#webUrl}:repo:${repo.toLowerCase()}:${login.toLowerCase()}`;
  }
}
