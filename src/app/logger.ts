import pino from 'pino';
import type { Logger } from '../core/ports/logger.js';

// Token shapes that must never reach a log line even when nobody listed them: Slack tokens, JWTs,
// GitHub tokens, Vault tokens, bearer headers.
const SECRET_PATTERNS = [
  /xox[abposr]-[A-Za-z0-9-]+/g,
  /xapp-[A-Za-z0-9-]+/g,
  /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g,
  /gh[pousr]_[A-Za-z0-9]{20,}/g,
  /hv[sbr]\.[A-Za-z0-9_-]{20,}/g,
  /Bearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
];

/** Replaces every known secret value and token-shaped string in a value, deeply. */
export function scrub(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const secret of secrets) if (secret.length >= 6) out = out.split(secret).join('[redacted]');
    for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, '[redacted]');
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, scrub(v, secrets)]));
  }
  return value;
}

/**
 * pino JSON logs on stderr (stdout stays for command output), or appended to `file` (the console, whose
 * terminal belongs to the people typing), with known secrets and token-shaped strings redacted from
 * every field and message.
 */
export function createLogger(
  level: string,
  secrets: () => readonly string[],
  options: { file?: string } = {},
): Logger & { child(bindings: Record<string, unknown>): Logger } {
  const logger = pino(
    {
      level,
      base: { pid: process.pid },
      formatters: { log: (fields) => scrub(fields, secrets()) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? (scrub(a, secrets()) as string) : a));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      redact: { paths: ['*.token', '*.password', '*.secret', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
    },
    // Synchronous writes: a line logged just before process.exit() (the shutdown) is not lost.
    options.file ? pino.destination({ dest: options.file, mkdir: true, append: true, sync: true, mode: 0o600 }) : pino.destination(2),
  );
  const wrap = (l: pino.Logger): Logger & { child(bindings: Record<string, unknown>): Logger } => ({
    debug: (f, m) => l.debug(f, m),
    info: (f, m) => l.info(f, m),
    warn: (f, m) => l.warn(f, m),
    error: (f, m) => l.error(f, m),
    child: (bindings) => wrap(l.child(bindings)),
  });
  return wrap(logger);
}
