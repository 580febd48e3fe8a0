// The one polling helper of the tests, the fakes and the benchmark (no vitest import, so bench/ can
// use it outside a test run). A deadline here only bounds a wait; no test asserts how long it took.

/** A check polled until it gives a value: undefined, null or false mean "not yet". */
export type Check<T> = () => Promise<T | undefined | null | false> | T | undefined | null | false;

/** Polls `check` every `everyMs` until it gives a value; undefined once `timeoutMs` has passed. */
export async function poll<T>(check: Check<T>, timeoutMs: number, everyMs = 20): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Polls until `check` gives a value, or throws naming `what` when the time runs out; `detail` adds
 * what helps to see why (the tail of a process's log, say).
 */
export async function waitFor<T>(what: string, check: Check<T>, timeoutMs = 10_000, everyMs = 20, detail?: () => string): Promise<T> {
  const value = await poll(check, timeoutMs, everyMs);
  if (value) return value;
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${detail ? `\n${detail()}` : ''}`);
}
