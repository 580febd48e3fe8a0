import { open, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Raised when another holder keeps the lock longer than the caller is willing to wait. */
export class LockTimeoutError extends Error {
  constructor(readonly lockPath: string) {
    super(`timed out waiting for the lock ${lockPath}`);
    this.name = 'LockTimeoutError';
  }
}

export interface FileLockOptions {
  /** How long to wait for the lock before giving up. */
  timeoutMs: number;
  /** A lock file older than this is taken to be left behind by a crashed holder and removed. */
  staleMs: number;
}

/**
 * Runs `fn` while holding an exclusive lock file (created with O_EXCL), so that processes sharing a
 * directory (web and worker, several workers) do not interleave read-modify-write cycles on one file.
 */
export async function withFileLock<T>(lockPath: string, options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const since = await stat(lockPath).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (since > options.staleMs) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() >= deadline) throw new LockTimeoutError(lockPath);
      await sleep(10 + Math.floor(Math.random() * 20));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
