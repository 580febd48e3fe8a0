import { z } from 'zod';

/**
 * The one Slack installation jitbot serves. A distributed app shares its signing secret across every
 * workspace it is installed in, so a correctly signed payload may still come from another workspace:
 * each payload's workspace, organization and app are compared with these before anything acts on it.
 */
export interface SlackInstallation {
  /** The workspace (`T…`) of the bot token; unused for an org-wide install. */
  teamId?: string;
  /** The Enterprise Grid organization (`E…`), when the workspace belongs to one. */
  enterpriseId?: string;
  /** The app (`A…`); unknown when neither Slack nor the environment says (the check is then skipped). */
  appId?: string;
  /** An org-wide (Enterprise Grid) install serves every workspace of `enterpriseId`. */
  orgWide: boolean;
}

/** What a payload says about where it comes from (every place Slack puts it, all of them checked). */
export interface PayloadOrigin {
  teamIds: string[];
  enterpriseIds: string[];
  appIds: string[];
}

export type OriginVerdict = { ok: true } | { ok: false; reason: 'unknown installation' | 'other app' | 'other workspace' | 'other organization' };

const Id = z.string().min(1).max(64);
const Named = z.object({ id: Id.optional(), enterprise_id: Id.optional() }).loose();

// The fields of slash commands, interactivity (block_actions, view_submission, block_suggestion,
// shortcuts) and Events API envelopes that name a workspace, an organization or an app.
const OriginFields = z
  .object({
    team_id: Id.nullish().catch(undefined),
    enterprise_id: Id.nullish().catch(undefined),
    api_app_id: Id.nullish().catch(undefined),
    team: Named.nullish().catch(undefined),
    enterprise: Named.nullish().catch(undefined),
    view: z.object({ team_id: Id.nullish().catch(undefined), app_id: Id.nullish().catch(undefined) }).loose().nullish().catch(undefined),
  })
  .loose();

/** Reads a payload's origin; malformed fields count as absent (and an absent workspace is refused). */
export function payloadOrigin(body: unknown): PayloadOrigin {
  const parsed = OriginFields.safeParse(body);
  const f = parsed.success ? parsed.data : {};
  const present = (...values: (string | null | undefined)[]): string[] => [...new Set(values.filter((v): v is string => typeof v === 'string'))];
  return {
    teamIds: present(f.team_id, f.team?.id, f.view?.team_id),
    enterpriseIds: present(f.enterprise_id, f.enterprise?.id, f.team?.enterprise_id),
    appIds: present(f.api_app_id, f.view?.app_id),
  };
}

/**
 * Whether a payload comes from the installation: the app (when known) and the workspace must be
 * named and match; an organization a payload names must be the installation's own. An org-wide install
 * accepts any workspace of its organization.
 */
export function checkOrigin(origin: PayloadOrigin, installation: SlackInstallation | undefined): OriginVerdict {
  if (!installation || (!installation.teamId && !(installation.orgWide && installation.enterpriseId))) return { ok: false, reason: 'unknown installation' };
  const all = (values: string[], expected: string | undefined): boolean => values.length > 0 && values.every((v) => v === expected);
  if (installation.appId && !all(origin.appIds, installation.appId)) return { ok: false, reason: 'other app' };
  if (installation.orgWide) {
    return all(origin.enterpriseIds, installation.enterpriseId) ? { ok: true } : { ok: false, reason: 'other organization' };
  }
  if (!all(origin.teamIds, installation.teamId)) return { ok: false, reason: 'other workspace' };
  if (!origin.enterpriseIds.every((v) => v === installation.enterpriseId)) return { ok: false, reason: 'other organization' };
  return { ok: true };
}

/** The app id an app-level token carries (`xapp-1-A0123ABC-…`), used in Socket Mode. */
export function appIdOfAppToken(appToken: string | undefined): string | undefined {
  return /^xapp-\d+-(A[A-Z0-9]+)-/.exec(appToken ?? '')?.[1];
}

/** What the environment pins (SLACK_TEAM_ID, SLACK_ENTERPRISE_ID, SLACK_APP_ID); each wins over what Slack says. */
export interface PinnedBySettings {
  teamId?: string;
  enterpriseId?: string;
  appId?: string;
}

/** What `auth.test` (and, for the app, `bots.info` or the app token) said about the bot token. */
export interface LearntIdentity {
  teamId?: string;
  enterpriseId?: string;
  appId?: string;
  orgWide?: boolean;
}

/**
 * Combines settings and what Slack said. A setting that contradicts the bot token is an error: the
 * token belongs to another workspace (or app) than the one jitbot was told to serve.
 */
export function combineInstallation(settings: PinnedBySettings, learnt: LearntIdentity | undefined): SlackInstallation {
  const conflict = (variable: string, set: string | undefined, seen: string | undefined, what: string): void => {
    if (set && seen && set !== seen) throw new Error(`${variable} is ${set}, but SLACK_BOT_TOKEN belongs to ${what} ${seen}`);
  };
  const orgWide = learnt?.orgWide === true;
  // An org-wide install's auth.test names the organization where a workspace would be.
  if (!orgWide) conflict('SLACK_TEAM_ID', settings.teamId, learnt?.teamId, 'workspace');
  conflict('SLACK_ENTERPRISE_ID', settings.enterpriseId, learnt?.enterpriseId, 'organization');
  conflict('SLACK_APP_ID', settings.appId, learnt?.appId, 'app');
  const teamId = settings.teamId ?? (orgWide ? undefined : learnt?.teamId);
  const enterpriseId = settings.enterpriseId ?? learnt?.enterpriseId;
  const appId = settings.appId ?? learnt?.appId;
  return { ...(teamId ? { teamId } : {}), ...(enterpriseId ? { enterpriseId } : {}), ...(appId ? { appId } : {}), orgWide };
}
