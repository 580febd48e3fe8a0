import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { buildApp, type JitbotApp } from '../../../../src/app/build-app.js';
import { runConsole } from '../../../../src/chat/console/console-adapter.js';
import type { Notifier } from '../../../../src/core/ports/notifier.js';
import { silentLogger } from '../../../../src/core/ports/logger.js';
import { builtinIssuerFactories } from '../../../../src/issuers/registry.js';
import { testPolicy, waitFor } from '../../../support/engine.js';
import { deleteByPrefix, uniquePrefix } from '../../../support/redis.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;?]*[A-Za-z]/g;

/** A terminal-like output: records everything, has a width. */
class FakeTerminal extends Writable {
  text = '';
  columns = 80;
  isTTY = true;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  plain(): string {
    return this.text.replace(ANSI, '').replace(/\r/g, '');
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function app(): Promise<JitbotApp> {
  const prefix = uniquePrefix('uc');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jitbot-console-unit-'));
  const built = await buildApp({
    policy: testPolicy(),
    issuerFactories: builtinIssuerFactories(),
    log: silentLogger,
    redisUrl: inject('redisUrl'),
    dataDir,
    prefix,
    worker: true,
    engine: { earlyToleranceMs: 50 },
    retry: { baseMs: 20, capMs: 200 },
    workerTimings: { lockDurationMs: 2000, stalledIntervalMs: 500, reconcileEveryMs: 1000 },
  });
  cleanups.push(async () => {
    await built.stop();
    const redis = new Redis(inject('redisUrl'));
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return built;
}

describe('runConsole in-process', () => {
  it('registers its notifier synchronously, and returns only after the last piped command has completed', async () => {
    const jit = await app();
    const input = new PassThrough();
    const output = new FakeTerminal();
    const registered: Notifier[] = [];
    const running = runConsole({ core: jit.core, input, output, interactive: false, banner: ['hello'], register: (n) => void registered.push(n) });
    expect(registered.map((n) => n.platform)).toEqual(['console']);
    registered.forEach((n) => jit.addNotifier(n));
    await jit.start();

    const started = Date.now();
    input.end('request deploy 1m\n/sleep 400ms\nlist\n');
    await running;
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    const out = output.text;
    expect(out).not.toMatch(ANSI);
    expect(out.startsWith('hello\n')).toBe(true);
    expect(out).toContain('alice> list');
    expect(out).toContain('• JIT-1 deploy for 1m: waiting for approval (0 of 1)');
  });

  it('on a terminal: shows who is typing, completes with Tab, asks the request form step by step, prints messages above the prompt', async () => {
    const jit = await app();
    const input = new PassThrough();
    const output = new FakeTerminal();
    const running = runConsole({ core: jit.core, input, output, interactive: true, banner: ['jitbot console'], startAs: 'bob', register: (n) => jit.addNotifier(n) });
    await jit.start();
    const type = async (text: string, expected?: RegExp) => {
      input.write(text);
      if (expected) await waitFor(`output matching ${expected}`, () => expected.test(output.plain()), 5000).catch((error: Error) => {
        throw new Error(`${error.message}; the output ends with ${JSON.stringify(output.plain().slice(-600))}`);
      });
    };

    await type('', /bob> $/);
    await type('/as al');
    await type('\t', /\/as alice $/);
    await type('\r', /Now typing as alice\.[\s\S]*alice> $/);
    await type('/jit\r', /2\) deploy: Deploy to prod \(1s to 1h, default 2s; reason optional\)\n[\s\S]*resource \[auto\]: $/);
    await type('nope\r', /"nope" is not one of the choices[\s\S]*resource \[auto\]: $/);
    await type('2\r', /duration, 1s to 1h \[2s\]: $/);
    await type('0m\r', /"0m" is zero[\s\S]*duration, 1s to 1h \[2s\]: $/);
    await type('10m\r', /reason \(optional\): $/);
    await type('testing the form\r', /→ \/jit request deploy 10m testing the form/);
    await waitFor('the card', () => output.plain().includes('── #approvals ──'), 5000);
    // A card printed while the prompt shows is printed above it, and the prompt comes back.
    await waitFor('the prompt after the card', () => /╰─+╯\n+alice> $/.test(output.plain()), 5000);
    expect(output.text).toMatch(ANSI);
    expect(output.plain()).toMatch(/│ \[Approve\] {2}\/jit approve JIT-1 +│/);

    await type('/as carol\r', /carol> $/);
    await type('approve JI');
    await type('\t', /approve JIT-1 $/);
    await type('\r', /You approved JIT-1/);
    await type('\u0003', /Press Ctrl-C again/);
    await type('\u0003');
    await running;
  });

  it('on a terminal: Tab offers only ids that exist and that the verb applies to', async () => {
    const jit = await app();
    const input = new PassThrough();
    const output = new FakeTerminal();
    const running = runConsole({ core: jit.core, input, output, interactive: true, banner: ['jitbot console'], startAs: 'alice', register: (n) => jit.addNotifier(n) });
    await jit.start();
    const type = async (text: string, expected?: RegExp) => {
      input.write(text);
      if (expected) await waitFor(`output matching ${expected}`, () => expected.test(output.plain()), 5000).catch((error: Error) => {
        throw new Error(`${error.message}; the output ends with ${JSON.stringify(output.plain().slice(-600))}`);
      });
    };
    // JIT-1 pending, JIT-2 active: both alice's.
    await type('', /alice> $/);
    await type('request deploy 10m one\r', /JIT-1: requested deploy/);
    await type('request deploy 10m two\r', /JIT-2: requested deploy/);
    await type('/as bob\r', /bob> $/);
    await type('approve JIT-2\r', /You approved JIT-2/);
    await waitFor('JIT-2 active', async () => (await jit.store.get('JIT-2'))?.status === 'active', 5000);
    // A reply that names an id that does not exist must not make it a candidate.
    await type('audit JIT-99\r', /There is no request JIT-99\./);

    // bob may approve JIT-1 only (JIT-2 is decided); he has nothing to cancel or release.
    await type('approve JIT-');
    await type('\t', /bob> approve JIT-1 $/);
    await type('\u0015'); // Ctrl-U: clear the line
    await type('cancel JIT-');
    await type('\t');
    await type('\u0015audit JIT-9');
    await type('\t');
    await type('\r', /bob> audit JIT-9\n[\s\S]*There is no request JIT-9\./);
    await type('/as alice\r', /Now typing as alice\.[\s\S]*alice> $/);
    await type('release JIT-');
    await type('\t', /alice> release JIT-2 $/);
    await type('\u0015cancel JIT-');
    await type('\t', /alice> cancel JIT-1 $/);
    await type('\u0015approve JIT-');
    await type('\t');
    await type('\r', /alice> approve JIT-\n[\s\S]*not a request id/);
    // Nothing wrong was ever completed (the prompt lines; cards and DMs show commands of their own).
    expect(output.plain()).not.toMatch(/> cancel JIT-2|> release JIT-1|> audit JIT-99 |bob> cancel JIT-\d/);
    await type('\u0003');
    await type('\u0003');
    await running;
  });
});
