import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { IssueReceipt } from '../../../src/core/domain/access-request.js';
import { IssuerError } from '../../../src/core/domain/errors.js';
import type { GrantContext, Issuer, IssuerEnvironment, IssuerFactory } from '../../../src/core/ports/issuer.js';
import { bindIssuer, buildIssuer, builtinIssuerFactories } from '../../../src/issuers/registry.js';
import { contractGrant } from '../../contract/issuer-contract.js';

const env: IssuerEnvironment = { dataDir: '/nonexistent', grantIsLive: async () => true };
const receipt: IssueReceipt = { summary: 'x', details: {}, revokeState: {} };

const SettingsSchema = z.object({ region: z.string().default('eu'), retries: z.number().int().min(0) }).strict();
type Settings = z.infer<typeof SettingsSchema>;

/** A factory that records what it was handed and counts how often its params schema runs. */
function recordingFactory() {
  const seen = { settings: [] as Settings[], grants: [] as GrantContext<{ role: string }>[], revoked: [] as string[], paramParses: 0 };
  const ParamsSchema = z
    .object({ role: z.enum(['reader', 'writer']).default('reader') })
    .strict()
    .transform((params) => {
      seen.paramParses += 1;
      return params;
    });
  const factory: IssuerFactory<Settings, { role: string }> = {
    type: 'recording',
    settingsSchema: SettingsSchema,
    paramsSchema: ParamsSchema,
    async create(_name, settings) {
      seen.settings.push(settings);
      const issuer: Issuer<{ role: string }> = {
        type: 'recording',
        async issue(grant) {
          seen.grants.push(grant);
          return { receipt: { ...receipt, summary: `role ${grant.params.role}` } };
        },
        async revoke(grant) {
          seen.revoked.push(grant.params.role);
        },
        async verify(grant) {
          return grant.params.role === 'writer';
        },
      };
      return issuer;
    },
    requestProblem: (params, person) => (params.role === 'writer' && person.name === 'mallory' ? 'mallory may not write' : undefined),
  };
  return { factory, seen };
}

describe('issuer registry: settings and params are parsed once, here', () => {
  it('parses settings before create: the issuer gets typed values with defaults', async () => {
    const { factory, seen } = recordingFactory();
    await buildIssuer(factory, 'rec', { retries: 2 }, env);
    expect(seen.settings).toEqual([{ region: 'eu', retries: 2 }]);
  });

  it('refuses settings the schema refuses with a non-retryable IssuerError naming each problem, before create', async () => {
    const { factory, seen } = recordingFactory();
    const error = await buildIssuer(factory, 'rec', { retries: -1, colour: 'red' }, env).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IssuerError);
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toMatch(/^invalid settings for recording issuer rec: /);
    expect((error as Error).message).toContain('retries: ');
    expect(seen.settings).toEqual([]);
  });

  it('hands each call parsed params, parsing one params object once however many calls use it', async () => {
    const { factory, seen } = recordingFactory();
    const issuer = await buildIssuer(factory, 'rec', { retries: 0 }, env);
    const params = {}; // as a resource's params: one object for the life of the policy
    const first = contractGrant({ params });
    expect((await issuer.issue(first)).receipt.summary).toBe('role reader');
    await issuer.issue(contractGrant({ params }));
    expect(await issuer.verify?.(first, receipt)).toBe(false);
    await issuer.revoke(first, receipt);
    expect(seen.grants.map((g) => g.params)).toEqual([{ role: 'reader' }, { role: 'reader' }]);
    expect(seen.revoked).toEqual(['reader']);
    expect(seen.paramParses).toBe(1);
  });

  it('refuses params the schema refuses, without calling the issuer; a revoke with them does nothing', async () => {
    const { factory, seen } = recordingFactory();
    const issuer = await buildIssuer(factory, 'rec', { retries: 0 }, env);
    const bad = contractGrant({ params: { role: 'owner' } });
    const error = await issuer.issue(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IssuerError);
    expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(/^invalid params for recording issuer rec: role: /) });
    await expect(issuer.verify?.(bad, receipt)).rejects.toMatchObject({ retryable: false });
    await expect(issuer.revoke(bad, undefined)).resolves.toBeUndefined();
    expect(seen.grants).toEqual([]);
    expect(seen.revoked).toEqual([]);
  });

  it("answers checkRequest with the factory's requestProblem on parsed params (and nothing for params that do not parse)", async () => {
    const { factory } = recordingFactory();
    const issuer = await buildIssuer(factory, 'rec', { retries: 0 }, env);
    expect(issuer.checkRequest?.({ role: 'writer' }, { name: 'mallory' }, 60_000)).toBe('mallory may not write');
    expect(issuer.checkRequest?.({}, { name: 'mallory' }, 60_000)).toBeUndefined();
    expect(issuer.checkRequest?.({ role: 'owner' }, { name: 'mallory' }, 60_000)).toBeUndefined();
  });

  it('keeps what the typed issuer has and has not: no extend where it has none, its endpoints where it has them', async () => {
    const { factory } = recordingFactory();
    const typed = await factory.create('rec', { region: 'eu', retries: 0 }, env);
    const bound = bindIssuer(factory, 'rec', typed);
    expect(bound.extend).toBeUndefined();
    expect(bound.endpoints).toBeUndefined();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'jitbot-registry-'));
    try {
      const jwt = await buildIssuer(builtinIssuerFactories().get('jwt')!, 'tokens', { introspectionToken: 'introspection-secret-0123456789' }, { ...env, dataDir });
      expect(typeof jwt.endpoints?.jwksDocument).toBe('function');
      expect(typeof jwt.extend).toBe('function');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('knows the five built-in types, each with its schemas', () => {
    const factories = builtinIssuerFactories();
    expect([...factories.keys()].sort()).toEqual(['github', 'jwt', 'none', 'vault', 'webhook']);
    for (const factory of factories.values()) {
      expect(factory.settingsSchema.safeParse).toBeTypeOf('function');
      expect(factory.paramsSchema.safeParse).toBeTypeOf('function');
    }
  });

  it('no issuer parses its own settings or params: that is the registry\'s one copy', () => {
    const root = path.resolve('src/issuers');
    const offenders: string[] = [];
    for (const type of readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory())) {
      for (const file of readdirSync(path.join(root, type.name)).filter((f) => f.endsWith('.ts'))) {
        const text = readFileSync(path.join(root, type.name, file), 'utf8');
        if (/(Params|Settings)Schema\.(safe)?[pP]arse\(|invalid (params|settings) for/.test(text)) offenders.push(`${type.name}/${file}`);
      }
    }
    expect(offenders).toEqual([]);
  });

});

