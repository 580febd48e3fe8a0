import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { person, startEngine, waitFor, type Engine } from '../../support/engine.js';
import { uniquePrefix } from '../../support/redis.js';

// /metrics of a running app, read the way Prometheus and its linter read it.

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
if (!promtool) console.warn('metrics-naming: promtool not found, so the `promtool check metrics` test is skipped (install it with: apt-get install prometheus)');

/** prom-client's default gauges that promtool lints for their `_total`; kept, since dashboards use these names. */
const PROM_CLIENT_TOTAL_GAUGES = new Set(['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']);

let engine: Engine;
let exposition: string;

beforeAll(async () => {
  engine = await startEngine({ prefix: uniquePrefix('metrics'), web: { host: '127.0.0.1', port: 0 } });
  const { app } = engine;
  // One whole lifecycle, so the labelled counters and the histograms have samples to lint.
  const { request: r } = await app.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'metrics' });
  await app.core.approve(person('bob'), r.id);
  await waitFor('active', async () => (await app.store.get(r.id))?.status === 'active');
  await app.core.release(person('alice'), r.id);
  await waitFor('released', async () => (await app.store.get(r.id))?.status === 'released');
  const response = await fetch(`http://127.0.0.1:${app.port}/metrics`);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  exposition = await response.text();
}, 30_000);

afterAll(async () => engine?.stop());

function families(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(match[1]!, match[2]!);
  return types;
}

describe('GET /metrics', () => {
  it("names jitbot's metrics the Prometheus way and keeps the standard process_* and nodejs_* names", () => {
    const types = families(exposition);
    const jitbot = [...types].filter(([name]) => name.startsWith('jitbot_'));
    expect(jitbot.length).toBeGreaterThan(5);
    for (const [name, type] of jitbot) expect({ name, type, total: name.endsWith('_total') }).toEqual({ name, type, total: type === 'counter' });
    expect([...types.keys()].filter((name) => name.startsWith('jitbot_process_'))).toEqual([]);
    for (const standard of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_version_info']) {
      expect(types.has(standard), standard).toBe(true);
    }
    expect(exposition).toMatch(/^jitbot_approvals_total 1$/m);
    expect(exposition).toMatch(/^jitbot_active_grants 0$/m);
  });

  it.skipIf(!promtool)("passes `promtool check metrics` with no warning about any of jitbot's metrics", () => {
    const whole = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
    // 0: clean; 3: lint warnings only (1 would be an exposition promtool cannot parse).
    expect([0, 3], whole.stderr + whole.stdout).toContain(whole.status);
    const warnings = `${whole.stdout}\n${whole.stderr}`.split('\n').filter((line) => line.trim() !== '');
    const named = warnings.map((line) => line.split(' ')[0]!);
    expect(named.filter((name) => name.startsWith('jitbot_'))).toEqual([]);
    expect(named.filter((name) => !PROM_CLIENT_TOTAL_GAUGES.has(name)), warnings.join('\n')).toEqual([]);

    // jitbot's own families alone: promtool exits 0 and says nothing.
    const own = exposition.split('\n').filter((line) => /^(# (HELP|TYPE) )?jitbot_/.test(line)).join('\n');
    const ownCheck = spawnSync('promtool', ['check', 'metrics'], { input: `${own}\n`, encoding: 'utf8' });
    expect({ status: ownCheck.status, output: (ownCheck.stdout + ownCheck.stderr).trim() }).toEqual({ status: 0, output: '' });
  });
});
