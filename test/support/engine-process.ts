// A jitbot worker (or web) process for crash tests: the real buildApp and BullMQ workers, with the
// issuer replaced by HttpOracleIssuer so the test can watch the far side and kill -9 this process.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../../src/app/build-app.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { builtinIssuerFactories } from '../../src/issuers/registry.js';
import { HttpOracleIssuer, type FaultPoint } from '../fakes/http-oracle-issuer.js';
import { RecordingNotifier } from '../fakes/recording-notifier.js';
import { testPolicy } from './engine.js';

const config = JSON.parse(process.env.ENGINE_PROCESS_CONFIG ?? '{}') as {
  redisUrl: string;
  prefix: string;
  oracleUrl: string;
  fault?: FaultPoint;
  worker: boolean;
  /** The job lock; 2 s unless told (the kill -9 tests need a short stall window). */
  lockDurationMs?: number;
};

const app = await buildApp({
  policy: testPolicy(),
  issuerFactories: builtinIssuerFactories(),
  log: silentLogger,
  redisUrl: config.redisUrl,
  dataDir: mkdtempSync(path.join(tmpdir(), 'jitbot-proc-')),
  prefix: config.prefix,
  worker: config.worker,
  engine: { revokeFailedAfterAttempts: 3, issueMaxAttempts: 10, earlyToleranceMs: 50 },
  retry: { baseMs: 50, capMs: 500 },
  workerTimings: { lockDurationMs: config.lockDurationMs ?? 2000, stalledIntervalMs: 500, reconcileEveryMs: 1000 },
  issuerOverrides: new Map([['fake', new HttpOracleIssuer(config.oracleUrl, config.fault)]]),
  secretKeyHex: '11'.repeat(32),
});
app.addNotifier(new RecordingNotifier());
await app.start();
process.stdout.write('ready\n');
const stop = async () => {
  await app.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
