import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Keeps the test suite in its tiers: `npm test` asserts behaviour, never wall-clock speed (figures go
// through test/support/timing.ts to `npm run test:timing`); one polling loop; contract cases that
// assert something for every implementation, and skips that say why.
const ROOT = path.join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(dir, file).split(path.sep).join('/'));
}

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const tests = sources('test').filter((file) => file !== 'test/suite-tiers.test.ts');

/** An upper bound on something measured with a clock: an elapsed time, a latency, a lateness. */
const SPEED_LIMIT = /(Date\.now\(\)|performance\.now\(\))\s*-[^)]*\)\.toBeLessThan|\b(ms|overrun|lateMs|seconds|elapsed|latency|p50|p90|p99)\)\.toBeLessThan|summary\.max\)\.toBeLessThan/;

describe('test suite tiers', () => {
  it('finds the tests', () => expect(tests.length).toBeGreaterThan(50));

  it('no test holds a wall-clock figure to a limit outside timing() (a bound on a wait says why on its line)', () => {
    const offending = tests.flatMap((file) =>
      read(file)
        .split('\n')
        .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
        .filter(({ line }) => SPEED_LIMIT.test(line) && !line.includes('// not a speed:'))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
    expect(offending).toEqual([]);
  });

  it('polls with the one waitFor: no other deadline loop in test/ or bench/support/', () => {
    const loops = [...tests, ...sources('bench/support'), 'bench/run.ts']
      .filter((file) => file !== 'test/support/wait-for.ts')
      .filter((file) => /deadline = Date\.now\(\) \+/.test(read(file)));
    expect(loops).toEqual([]);
  });

  it('test:timing runs every file that has a timing figure, and only those', async () => {
    const { default: config } = await import('../vitest.timing.config.js');
    const timed = tests.filter((file) => file.endsWith('.test.ts') && /from '(?:\.\.?\/)+support\/timing\.js'/.test(read(file)));
    expect(timed.length).toBeGreaterThan(5);
    expect([...(config.test?.include ?? [])].sort()).toEqual(timed.sort());
    expect(config.test?.env).toMatchObject({ JITBOT_TIMING: '1' });
  });

  it('every case of a contract suite expects assertions, and every skip gives its reason', () => {
    for (const file of sources('test/contract').filter((f) => f.endsWith('-contract.ts'))) {
      const cases = read(file).split(/\n\s*it\(/).slice(1);
      expect(cases.length, file).toBeGreaterThan(0);
      for (const body of cases) expect(body.split('\n').slice(0, 2).join('\n'), `${file}: ${body.slice(0, 80)}`).toContain('expect.hasAssertions()');
    }
    const bareSkips = tests.filter((file) => /\.skip\(\)/.test(read(file)));
    expect(bareSkips).toEqual([]);
  });
});
