import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jitbotEnv, REPO_ROOT } from '../support/jitbot-process.js';
import { deleteByPrefix, uniquePrefix } from '../support/redis.js';

// `npm run build` and the choice bin/jitbot.js makes between dist/ and src/, in a copy of the package
// (so the suite's own bin/jitbot.js, which other tests spawn, never sees a half-built dist/).
const run = promisify(execFile);
const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
let copy: string;

async function jitbot(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  const child = run(process.execPath, [path.join(copy, 'bin', 'jitbot.js'), ...args], {
    cwd: copy,
    env: jitbotEnv({ JITBOT_DEBUG_ENTRY: '1', ...options.env }),
    timeout: 60_000,
  });
  if (options.input !== undefined) child.child.stdin!.end(options.input);
  else child.child.stdin!.end();
  return child;
}

const entry = (stderr: string) => /jitbot entry: (.*)/.exec(stderr)?.[1];

beforeAll(async () => {
  copy = mkdtempSync(path.join(tmpdir(), 'jitbot-build-'));
  for (const item of ['src', 'bin', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(path.join(REPO_ROOT, item), path.join(copy, item), { recursive: true, preserveTimestamps: true });
  }
  symlinkSync(realpathSync(path.join(REPO_ROOT, 'node_modules')), path.join(copy, 'node_modules'));
  await run(process.execPath, [path.join(copy, 'scripts', 'build.js')], { cwd: copy, timeout: 180_000 });
}, 200_000);

afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('npm run build', () => {
  it('writes ESM JavaScript, the Lua scripts and a stamp of the sources to dist/', () => {
    expect(existsSync(path.join(copy, 'dist', 'main.js'))).toBe(true);
    expect(readFileSync(path.join(copy, 'dist', 'store', 'redis', 'lua', 'commit.lua'), 'utf8')).toBe(
      readFileSync(path.join(copy, 'src', 'store', 'redis', 'lua', 'commit.lua'), 'utf8'),
    );
    expect(readFileSync(path.join(copy, 'dist', 'main.js'), 'utf8')).toMatch(/^import .* from '\.\/.*\.js';$/m);
    expect(readFileSync(path.join(copy, 'dist', '.build-stamp'), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('bin/jitbot.js runs dist/ while it matches src/, and the TypeScript once a source changes', async () => {
    const built = await jitbot(['--version']);
    expect(built.stdout.trim()).toBe(version);
    expect(entry(built.stderr)).toBe('dist');

    // An edited source (here: a newer mtime) must never be shadowed by the older build.
    const file = path.join(copy, 'src', 'main.ts');
    const before = statSync(file);
    utimesSync(file, before.atime, new Date(before.mtimeMs + 5_000));
    const edited = await jitbot(['--version']);
    expect(edited.stdout.trim()).toBe(version);
    expect(entry(edited.stderr)).toBe('src (build older than src)');

    utimesSync(file, before.atime, before.mtime);
    expect(entry((await jitbot(['--version'])).stderr)).toBe('dist');

    // A new source file counts too, even with an old mtime.
    const added = path.join(copy, 'src', 'added.ts');
    writeFileSync(added, 'export {};\n');
    utimesSync(added, before.atime, before.mtime);
    expect(entry((await jitbot(['--version'])).stderr)).toBe('src (build older than src)');
    rmSync(added);
    expect(entry((await jitbot(['--version'])).stderr)).toBe('dist');
  }, 120_000);

  it('the compiled build runs the console against Redis (store, Lua commit, jobs), as the TypeScript does', async () => {
    const prefix = uniquePrefix('build');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'jitbot-build-data-'));
    try {
      const env = { REDIS_URL: inject('redisUrl'), JITBOT_KEY_PREFIX: prefix, JITBOT_DATA_DIR: dataDir };
      const input = ['request staging-deploy 30s compiled', '/as bob', 'approve JIT-1', '/wait JIT-1 active'].join('\n');
      const result = await jitbot(['console'], { env, input });
      expect(entry(result.stderr)).toBe('dist');
      expect(result.stdout).toContain('JIT-1 approved and active');
    } finally {
      const redis = new Redis(inject('redisUrl'));
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('a package without src/ (shipped with dist/ only) runs dist/', async () => {
    rmSync(path.join(copy, 'src'), { recursive: true, force: true });
    const result = await jitbot(['--help']);
    expect(entry(result.stderr)).toBe('dist');
    expect(result.stdout).toMatch(/Usage: jitbot/);
  });
});
