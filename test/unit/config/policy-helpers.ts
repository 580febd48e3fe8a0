import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import type { IssuerFactory } from '../../../src/core/ports/issuer.js';
import { loadPolicy, type PolicyLoadResult, type PolicyProblem } from '../../../src/config/load-policy.js';
import { noneIssuerFactory } from '../../../src/issuers/none/none-issuer.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const completePolicyPath = path.join(repoRoot, 'test/fixtures/policies/complete.yaml');
export const completePolicyText = readFileSync(completePolicyPath, 'utf8');

/** A policy document as plain data, to break one part of in a test. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PolicyData = Record<string, any>;

/** A fresh copy of test/fixtures/policies/complete.yaml as data. */
export function completePolicy(): PolicyData {
  return parse(completePolicyText) as PolicyData;
}

/**
 * A test issuer type with settings and params worth validating (shaped like a webhook issuer), so
 * these tests do not depend on which real issuers exist yet.
 */
export const hookIssuerFactory: IssuerFactory = {
  type: 'hook',
  settingsSchema: z.object({ url: z.url(), secret: z.string().min(16), timeout: z.number().int().positive().optional() }).strict(),
  paramsSchema: z.object({ path: z.string().min(1), headers: z.record(z.string(), z.string()).optional() }).strict(),
  async create() {
    throw new Error('not used in these tests');
  },
};

/** A fixed registry (`none` and the test `hook`), so the tests do not change as real issuer types arrive. */
export function testIssuerFactories(): Map<string, IssuerFactory> {
  return new Map<string, IssuerFactory>([
    ['none', noneIssuerFactory as IssuerFactory],
    ['hook', hookIssuerFactory],
  ]);
}

export function loadText(text: string, env: NodeJS.ProcessEnv = {}): PolicyLoadResult {
  return loadPolicy({ text, name: 'test.yaml' }, { env, issuerFactories: testIssuerFactories() });
}

export function loadData(data: PolicyData, env: NodeJS.ProcessEnv = {}): PolicyLoadResult {
  return loadText(stringify(data), env);
}

/** The problems of a policy that must fail; a valid one fails the test. */
export function problemsOf(result: PolicyLoadResult): PolicyProblem[] {
  if (result.ok) throw new Error('expected the policy to be rejected, but it was accepted');
  return result.problems;
}
