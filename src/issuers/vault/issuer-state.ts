import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Small shared state an issuer keeps between calls (reference counts, journals), with a lock per key
 * so that read-modify-write cycles and the upstream calls between them do not interleave across
 * processes. The value is JSON.
 *
 * (A copy of the github issuer's; issuers may not import each other. Both go once the core offers the port.)
 *
 * This is the port the issuer would like from `IssuerEnvironment` (a Redis-backed store every jitbot
 * process shares). Until the core offers one, the issuer uses {@link FileIssuerState} in its data
 * directory, which is shared by every process that uses that directory (as the jwt issuer's keys are).
 */
export interface IssuerState {
  withLock<T>(key: string, fn: (slot: StateSlot) => Promise<T>): Promise<T>;
}

/** The value under one locked key. `write(undefined)` deletes it. */
export interface StateSlot {
  read(): Promise<unknown>;
  write(value: unknown): Promise<void>;
}

/** Raised when another holder keeps a key's lock longer than we are willing to wait. */
export class StateLockTimeout extends Error {
  constructor(readonly key: string) {
    super(`timed out waiting for the lock on ${key}`);
    this.name = 'StateLockTimeout';
  }
}

export interface FileIssuerStateOptions {
  /** How long to wait for a lock (default 60 s: holders make a few upstream calls while holding it). */
  timeoutMs?: number;
  /** A lock file not refreshed for this long was left by a crashed process (default 30 s). */
  staleMs?: number;
}

/**
 * {@link IssuerState} in a directory: one JSON file per key and an O_EXCL lock file beside it, whose
 * holder refreshes its mtime while it works, so a lock left by a crashed process is recognised as
 * stale and taken over. Within one process, callers of the same key queue in memory first.
 */
export class FileIssuerState implements IssuerState {
  readonly #dir: string;
  readonly #timeoutMs: number;
  readonly #staleMs: number;
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(dir: string, options: FileIssuerStateOptions = {}) {
    this.#dir = dir;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#staleMs = options.staleMs ?? 30_000;
  }

  async withLock<T>(key: string, fn: (slot: StateSlot) => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.#locked(key, fn));
    const tail = run.catch(() => undefined);
    this.#queues.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    }
  }

  async #locked<T>(key: string, fn: (slot: StateSlot) => Promise<T>): Promise<T> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const base = path.join(this.#dir, createHash('sha256').update(key).digest('hex').slice(0, 40));
    const file = `${base}.json`;
    const lock = `${base}.lock`;
    await this.#acquire(key, lock);
    const heartbeat = setInterval(() => {
      const now = new Date();
      utimes(lock, now, now).catch(() => undefined);
    }, Math.max(50, Math.floor(this.#staleMs / 3)));
    heartbeat.unref();
    const slot: StateSlot = {
      read: async () => {
        try {
          const stored = JSON.parse(await readFile(file, 'utf8')) as { key?: string; value?: unknown };
          return stored.key === key ? stored.value : undefined;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw error;
        }
      },
      write: async (value) => {
        if (value === undefined) {
          await rm(file, { force: true });
          return;
        }
        const temp = `${base}.${randomBytes(6).toString('hex')}.tmp`;
        await writeFile(temp, JSON.stringify({ key, value }), { mode: 0o600 });
        await rename(temp, file);
      },
    };
    try {
      return await fn(slot);
    } finally {
      clearInterval(heartbeat);
      await rm(lock, { force: true });
    }
  }

  async #acquire(key: string, lock: string): Promise<void> {
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      try {
        const handle = await open(lock, 'wx', 0o600);
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = await stat(lock).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > this.#staleMs) {
          await rm(lock, { force: true });
          continue;
        }
        if (Date.now() >= deadline) throw new StateLockTimeout(key);
        await sleep(15 + Math.floor(Math.random() * 25));
      }
    }
  }
}
