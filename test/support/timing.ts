import { expect } from 'vitest';

/**
 * Wall-clock figures of the correctness suite. `npm test` asserts behaviour only, so a busy machine
 * cannot fail it: there a figure is neither asserted nor printed. `npm run test:timing`
 * (vitest.timing.config.ts, which sets JITBOT_TIMING=1 and runs only the files that import this
 * module) prints each figure and holds it to its limit; CI does not gate on it. `npm run bench`
 * measures the same paths at volume.
 */
export const TIMING = process.env.JITBOT_TIMING === '1';

/** Records how long something took; under `npm run test:timing` it must stay below `limitMs`. */
export function timing(figure: string, ms: number, limitMs: number): void {
  if (!TIMING) return;
  console.log(`timing: ${figure}: ${Math.round(ms)} ms (limit ${limitMs} ms)`);
  expect(ms, `${figure}: ${Math.round(ms)} ms, over the limit of ${limitMs} ms`).toBeLessThan(limitMs);
}
