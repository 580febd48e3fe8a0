import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Keeps the import rules of docs/architecture.md (Conventions): core imports only zod and itself; SDKs stay in their rooms;
// chat adapters never import each other.
const SRC = path.join(import.meta.dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
}

const rel = (file: string) => path.relative(SRC, file).split(path.sep).join('/');
const resolveTarget = (file: string, spec: string) => (spec.startsWith('.') ? rel(path.resolve(path.dirname(file), spec)) : spec);

const all = files(SRC).map((file) => ({ file: rel(file), targets: imports(file).map((spec) => resolveTarget(file, spec)) }));

const SDK_ROOMS: [RegExp, RegExp][] = [
  [/^@slack\//, /^chat\/slack\//],
  [/^botbuilder|^@microsoft\/agents/, /^chat\/teams\//],
  [/^bullmq$/, /^jobs\//],
  [/^ioredis$/, /^(store\/redis|jobs|app)\//],
  [/^node:readline/, /^chat\/console\//],
  [/^@octokit\//, /^issuers\/github\//],
];

describe('architecture', () => {
  it('finds the sources', () => expect(all.length).toBeGreaterThan(20));

  it('core imports only zod and itself', () => {
    const bad = all
      .filter((f) => f.file.startsWith('core/'))
      .flatMap((f) => f.targets.filter((t) => !(t === 'zod' || t.startsWith('core/'))).map((t) => `${f.file} → ${t}`));
    expect(bad).toEqual([]);
  });

  it('SDKs are imported only in their own folder', () => {
    const bad = all.flatMap((f) =>
      f.targets.filter((t) => SDK_ROOMS.some(([sdk, room]) => sdk.test(t) && !room.test(f.file))).map((t) => `${f.file} → ${t}`),
    );
    expect(bad).toEqual([]);
  });

  it('chat adapters never import each other, and issuers never import other issuers', () => {
    const bad = all.flatMap((f) => {
      const own = /^(chat|issuers)\/([^/]+)\//.exec(f.file);
      if (!own) return [];
      return f.targets
        .filter((t) => {
          const other = /^(chat|issuers)\/([^/]+)\//.exec(t);
          return other && other[1] === own[1] && other[2] !== own[2];
        })
        .map((t) => `${f.file} → ${t}`);
    });
    expect(bad).toEqual([]);
  });

  it('createCore is the only door: nothing outside core/ and app/ reaches for ports through `.deps.`', () => {
    // A property access (`core.deps.store`, `this.deps.x`); a spread (`...deps.issuers`) is not one.
    const bad = files(SRC)
      .filter((file) => !/^(core|app)\//.test(rel(file)))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, i) => (/[\w)\]]\.deps\./.test(line) ? [`${rel(file)}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(bad).toEqual([]);
  });

  it('adapters, issuers, jobs and the store do not reach into config/ or app/', () => {
    const bad = all
      .filter((f) => /^(chat|issuers|jobs|store)\//.test(f.file))
      .flatMap((f) => f.targets.filter((t) => /^(config|app|cli)\//.test(t)).map((t) => `${f.file} → ${t}`));
    expect(bad).toEqual([]);
  });

  it('reads the process environment only in config/; main.ts hands it over once', () => {
    const bad = all
      .filter((f) => !f.file.startsWith('config/') && f.file !== 'main.ts')
      .filter((f) => /\bprocess\s*(\.\s*env\b|\[\s*['"]env['"]\s*\])/.test(readFileSync(path.join(SRC, f.file), 'utf8')))
      .map((f) => f.file);
    expect(bad).toEqual([]);
  });

  it('starts up in one place: only cli/startup.ts reads the environment, creates the logger and builds the app', () => {
    const calls = /\b(loadEnvironment|createLogger|buildApp)\(/g;
    const bad = all
      .filter((f) => f.file.startsWith('cli/') && f.file !== 'cli/startup.ts')
      .flatMap((f) => [...readFileSync(path.join(SRC, f.file), 'utf8').matchAll(calls)].map((m) => `${f.file}: ${m[1]}`));
    expect(bad).toEqual([]);
  });
});
