import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { summarize, type Summary } from './stats.js';

export interface OpenLoopOptions {
  url: string;
  /** Requests per second, sent on schedule whether or not earlier ones were answered. */
  rate: number;
  durationMs: number;
  /** The i-th request: body and headers (signed at send time). */
  request: (i: number) => { body: string; headers: Record<string, string> };
  timeoutMs?: number;
}

export interface OpenLoopResult {
  sent: number;
  ok: number;
  errors: number;
  /** Error kinds and counts: `status 503`, `timeout`, `ECONNRESET`… */
  errorKinds: Record<string, number>;
  /** Send → full response, for answered requests with status 200 (ms). */
  latency: Summary;
  /** How late the generator sent requests against their schedule (ms): its own health. */
  sendSlip: Summary;
  /** This process's event-loop delay p99 during the run (ms). */
  loopDelayP99: number;
  achievedRate: number;
}

/**
 * An open-loop HTTP load generator: request i is due at start + i / rate and is sent then, no matter
 * how many are still unanswered (a closed loop would slow down with the server and hide its queueing).
 * Latency is measured from the moment the request is handed to the socket to the end of the response,
 * over a keep-alive agent. Schedule slip is reported so a starved generator is visible.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024, keepAliveMsecs: 1000 });
  const total = Math.max(1, Math.round((options.rate * options.durationMs) / 1000));
  const interval = 1000 / options.rate;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const latencies: number[] = [];
  const slips: number[] = [];
  const errorKinds: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  let sent = 0;
  let settled = 0;
  let closed = false;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();

  const fail = (kind: string) => {
    errors++;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };

  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const finishOne = () => {
    settled++;
    if (settled === total) resolveDone();
  };

  const send = (i: number, due: number) => {
    const { body, headers } = options.request(i);
    const started = performance.now();
    slips.push(started - due);
    sent++;
    let finished = false;
    const end = (outcome: () => void) => {
      if (finished || closed) return;
      finished = true;
      outcome();
      finishOne();
    };
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          const ms = performance.now() - started;
          end(() => {
            if (res.statusCode === 200) {
              ok++;
              latencies.push(ms);
            } else fail(`status ${res.statusCode}`);
          });
        });
        res.on('error', (error) => end(() => fail((error as NodeJS.ErrnoException).code ?? 'response error')));
      },
    );
    req.setTimeout(timeoutMs, () => {
      end(() => fail('timeout'));
      req.destroy();
    });
    req.on('error', (error) => end(() => fail((error as NodeJS.ErrnoException).code ?? error.message)));
    req.end(body);
  };

  const start = performance.now() + 20;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        send(next, start + next * interval);
        next++;
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, start + next * interval - performance.now() - 0.5));
    };
    setTimeout(tick, 20);
  });
  const sendingMs = performance.now() - start;
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, timeoutMs + 2000))]);
  closed = true;
  loop.disable();
  agent.destroy();
  for (let i = settled; i < total; i++) fail('no answer');
  return {
    sent,
    ok,
    errors,
    errorKinds,
    latency: summarize(latencies),
    sendSlip: summarize(slips),
    loopDelayP99: loop.percentile(99) / 1e6,
    achievedRate: sent / (sendingMs / 1000),
  };
}
