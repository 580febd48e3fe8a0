import { z } from 'zod';
import type { IssuerFactory } from '../../core/ports/issuer.js';

/** `none`: an approval-only gate. Nothing is created, so there is nothing to revoke. */
export const noneIssuerFactory: IssuerFactory<Record<string, never>, Record<string, never>> = {
  type: 'none',
  settingsSchema: z.object({}).strict(),
  paramsSchema: z.object({}).strict(),
  async create() {
    return {
      type: 'none',
      async issue() {
        return { receipt: { summary: 'approved (no credential is issued for this resource)', details: {}, revokeState: {} } };
      },
      async revoke() {},
      async verify() {
        return true;
      },
    };
  },
};
