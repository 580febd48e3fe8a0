import { z } from 'zod';

const SINK_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * `settings.audit.sinks`: where sealed audit events and signed checkpoints are streamed so the
 * trail also lives outside Redis. Each sink has a name (default: its type), unique in the list;
 * its delivered position is recorded under that name. Left out, one `file` sink under the data
 * directory is used; `[]` turns sinks off (and with them any trimming of the audit stream).
 */
const SinkBase = { name: z.string().regex(SINK_NAME).optional() };

export const FileSinkSchema = z
  .object({
    ...SinkBase,
    type: z.literal('file'),
    /** Directory of the daily JSONL files; relative to the data directory; default `audit`. */
    directory: z.string().min(1).optional(),
  })
  .strict();

export const PostgresSinkSchema = z
  .object({
    ...SinkBase,
    type: z.literal('postgres'),
    /** A connection URL (`postgresql://…`); use `${VAR}` to keep the password out of the file. */
    url: z.string().min(1),
    table: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('jitbot_audit'),
  })
  .strict();

export const HttpSinkSchema = z
  .object({
    ...SinkBase,
    type: z.literal('http'),
    url: z.string().url(),
    /** `splunk-hec`: Splunk's HTTP Event Collector envelope; `jsonl`: one event per line (Vector, Fluent Bit, Datadog). */
    format: z.enum(['splunk-hec', 'jsonl']),
    token: z.string().min(1).optional(),
  })
  .strict();

export const AuditSinkSchema = z.discriminatedUnion('type', [FileSinkSchema, PostgresSinkSchema, HttpSinkSchema]);
export type AuditSinkConfig = z.infer<typeof AuditSinkSchema>;

/** The sinks in effect: the configured ones, or the default file sink when none are configured. */
export function effectiveSinks(configured: readonly AuditSinkConfig[] | undefined): AuditSinkConfig[] {
  return configured === undefined ? [{ type: 'file' }] : [...configured];
}

/** A sink's name: its own, or its type. */
export function sinkName(sink: AuditSinkConfig): string {
  return sink.name ?? sink.type;
}
