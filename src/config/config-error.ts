/** One bad environment variable and what is wrong with it (never its value, when it is a secret). */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/** The environment jitbot was started with cannot work; `problems` lists every bad variable at once. */
export class ConfigError extends Error {
  readonly code = 'CONFIG.INVALID';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'} in the environment):\n` +
        problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}
