import type { Command } from 'commander';
import { describeActor } from '../../core/domain/access-request.js';
import type { AuditEvent } from '../../core/domain/audit-event.js';
import { parseDuration } from '../../core/domain/duration.js';
import { runOperator, type ExitCode, type OperatorContext } from './run-operator.js';
import { oneLine } from './text-table.js';

/** `jitbot audit export [--since …] [--format jsonl|csv]`: the audit trail on stdout. */
export function registerAuditExportCommand(audit: Command, env: NodeJS.ProcessEnv): void {
  audit
    .command('export')
    .description('print the audit trail, one event per line (JSON Lines) or as CSV')
    .option('--since <time>', 'only events at or after this time: an ISO date (2026-01-31, 2026-01-31T12:00:00Z) or a duration ago (24h, 7d)')
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .action((options: { since?: string; format: string }) => runOperator(env, (ctx) => exportAudit(ctx, options), { validate: () => exportProblem(options) }));
}

function exportProblem(options: { since?: string; format: string }): string | undefined {
  if (options.format !== 'jsonl' && options.format !== 'csv') return `--format is jsonl or csv (got "${oneLine(options.format, 20)}")`;
  if (options.since !== undefined && parseSince(options.since, Date.now()) === undefined) {
    return `--since takes an ISO date or time (2026-01-31, 2026-01-31T12:00:00Z) or a duration meaning that long ago (24h, 7d, 1h30m); got "${oneLine(options.since, 40)}"`;
  }
  return undefined;
}

/** `--since`: an ISO date/time, or a duration meaning "that long before now". Undefined when neither. */
export function parseSince(text: string, now: number): number | undefined {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/i.test(trimmed)) {
    const ms = Date.parse(trimmed);
    return Number.isNaN(ms) ? undefined : ms;
  }
  try {
    return now - parseDuration(trimmed);
  } catch {
    return undefined;
  }
}

export const CSV_COLUMNS = ['seq', 'at', 'type', 'requestId', 'actor', 'data', 'prev', 'hash'] as const;

/** One audit event as a CSV line (RFC 4180 quoting); `actor` as jitbot names it, `data` as JSON. */
export function csvLine(event: AuditEvent): string {
  const cells = [String(event.seq), event.at, event.type, event.requestId ?? '', describeActor(event.actor), JSON.stringify(event.data), event.prev, event.hash];
  return `${cells.map(csvCell).join(',')}\n`;
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

async function exportAudit(ctx: OperatorContext, options: { since?: string; format: string }): Promise<ExitCode> {
  const since = options.since === undefined ? undefined : parseSince(options.since, ctx.io.now());
  const csv = options.format === 'csv';
  if (csv) await ctx.io.out(`${CSV_COLUMNS.join(',')}\n`);
  let batch = '';
  for await (const event of ctx.app.core.operator.exportAudit(since)) {
    batch += csv ? csvLine(event) : `${JSON.stringify(event)}\n`;
    if (batch.length > 64_000) {
      await ctx.io.out(batch);
      batch = '';
    }
  }
  if (batch) await ctx.io.out(batch);
  return 0;
}
