import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRedis } from '../../../src/app/redis-connection.js';
import { silentLogger } from '../../../src/core/ports/logger.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('the embedded redis-server', () => {
  it('runs with hz 100, so delayed revoke jobs are promoted within 10 ms rather than 100 ms', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'jitbot-embedded-hz-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    // No url: openRedis starts the redis-server jitbot runs when REDIS_URL is unset.
    const redis = await openRedis({ dataDir, log: silentLogger });
    cleanups.push(() => redis.close());
    expect(redis.embedded).toBeDefined();
    expect(await redis.commands.config('GET', 'hz')).toEqual(['hz', '100']);
    expect(await redis.commands.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
  });
});
