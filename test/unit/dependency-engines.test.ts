import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/jitbot-process.js';

// semver ships no types of its own; these two functions are all this test needs.
const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(path.join(REPO_ROOT, file), 'utf8')) as T;

describe('the Node version jitbot declares', () => {
  const declared = readJson<{ engines: { node: string } }>('package.json').engines.node;
  const oldest = semver.minVersion(declared)!.version;

  it('is supported by every package in the lockfile, so npm ci on it prints no EBADENGINE warning', () => {
    const lock = readJson<{ packages: Record<string, LockedPackage> }>('package-lock.json');
    const refusing = Object.entries(lock.packages)
      .filter(([where, pkg]) => where !== '' && !Array.isArray(pkg.engines) && pkg.engines?.node !== undefined)
      .filter(([, pkg]) => !semver.satisfies(oldest, (pkg.engines as { node: string }).node))
      .map(([where, pkg]) => `${where.replace(/^.*node_modules\//, '')}@${pkg.version} wants node ${(pkg.engines as { node: string }).node}`);
    expect(refusing, `node ${oldest} (package.json engines: ${declared})`).toEqual([]);
  });

  it('is the one the README states', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const [major, minor] = oldest.split('.');
    expect(readme).toContain(`**Node.js ${major}.${minor}+**`);
  });
});
