import { z } from 'zod';
import { IssuerError } from '../../core/ports/issuer.js';
import type { StateSlot } from '../../core/ports/issuer.js';

/**
 * What jitbot knows about one shared piece of access (one person's role on one repository or team):
 * what the person had before jitbot first touched it, which grants hold it now and at which level,
 * and what jitbot last set upstream. Overlapping grants of the same access share one entry, so the
 * first to end does not take away what the other still needs; the last to end restores `prior`.
 */
export const LedgerEntrySchema = z.object({
  /** The role the person had on their own before jitbot's first grant (null: none). Never removed. */
  priorRole: z.string().nullable(),
  /** Live grants holding this access, by grant id. */
  holders: z.record(z.string(), z.object({ role: z.string(), until: z.number(), since: z.number() })),
  /** The role jitbot last put in place upstream (undefined: jitbot has changed nothing yet). */
  applied: z.string().optional(),
  /** A repository invitation jitbot created (an outside collaborator's), until accepted or cancelled. */
  invitationId: z.number().optional(),
  /** Team membership only: the membership was pending (an org invitation) when jitbot last set it. */
  pending: z.boolean().optional(),
});
export type LedgerEntry = z.infer<typeof LedgerEntrySchema>;

/** Reads an entry; a corrupt one is a failure a person must look at. */
export async function readEntry(slot: StateSlot, what: string): Promise<LedgerEntry | undefined> {
  const raw = await slot.read();
  if (raw === undefined) return undefined;
  const parsed = LedgerEntrySchema.safeParse(raw);
  if (!parsed.success) throw new IssuerError(`jitbot's record of ${what} is unreadable; fix or delete it in the issuer's state directory`, false);
  return parsed.data;
}

/**
 * Ranks built-in roles (lowest first). A role outside `order` (a custom repository role) can only be
 * compared with itself.
 */
export class RoleOrder {
  constructor(readonly order: readonly string[]) {}

  /** <0, 0, >0 like a comparator; undefined when the two cannot be compared. */
  compare(a: string, b: string): number | undefined {
    if (a === b) return 0;
    const ia = this.order.indexOf(a);
    const ib = this.order.indexOf(b);
    return ia < 0 || ib < 0 ? undefined : ia - ib;
  }

  /** Whether `have` gives at least what `want` asks for. */
  covers(have: string | null | undefined, want: string): boolean {
    if (have === null || have === undefined) return false;
    const c = this.compare(have, want);
    return c !== undefined && c >= 0;
  }

  /** The highest of the roles (null for none), or undefined when two of them cannot be compared. */
  highest(roles: Array<string | null>): string | null | undefined {
    let best: string | null = null;
    for (const role of roles) {
      if (role === null) continue;
      if (best === null) {
        best = role;
        continue;
      }
      const c = this.compare(role, best);
      if (c === undefined) return undefined;
      if (c > 0) best = role;
    }
    return best;
  }
}

/** The level the access must have: the highest of the prior role and every holder's role. */
export function targetRole(order: RoleOrder, entry: LedgerEntry): string | null | undefined {
  return order.highest([entry.priorRole, ...Object.values(entry.holders).map((h) => h.role)]);
}
