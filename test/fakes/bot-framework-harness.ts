// Runs the real `jitbot start` for Teams tests: a free loopback port, readiness by /readyz, and the
// process's logs for assertions.
import { createServer } from 'node:net';
import { startJitbot, type JitbotProcess } from '../support/jitbot-process.js';
import { waitFor } from '../support/wait-for.js';

export interface RunningJitbot {
  process: JitbotProcess;
  port: number;
  url: string;
  /** stdout + stderr so far (pino logs go to stderr). */
  logs(): string;
  /** kill -9, then wait for the exit. */
  crash(): Promise<void>;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `node bin/jitbot.js start` with these variables and waits until /readyz answers 200. */
export async function startJitbotServer(env: Record<string, string | undefined>, options: { timeoutMs?: number } = {}): Promise<RunningJitbot> {
  const port = await freePort();
  const process = startJitbot(['start'], { env: { LOG_LEVEL: 'info', ...env, PORT: String(port), HOST: '127.0.0.1' }, timeoutMs: options.timeoutMs ?? 170_000 });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  void process.result.then(() => (exited = true));
  await waitFor(
    'jitbot to become ready',
    async () => {
      if (exited) throw new Error(`jitbot exited during start\n--- stderr ---\n${process.stderr()}\n--- stdout ---\n${process.stdout()}`);
      return fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    },
    45_000,
    150,
    () => `--- stderr ---\n${process.stderr()}`,
  );
  return {
    process,
    port,
    url,
    logs: () => `${process.stdout()}\n${process.stderr()}`,
    async crash() {
      process.kill('SIGKILL');
      await process.result;
    },
    async stop() {
      process.kill('SIGTERM');
      await process.result;
    },
  };
}
