import type { ActionView, CardView, ChannelNotice, DirectMessage, Tone } from '../../core/messages/views.js';
import { cleanLines, displayWidth, padEnd, paint, printable, wrap, type Paint } from './terminal-text.js';

/**
 * How the console draws: on a terminal, boxes and colour wrapped to the window; when piped, plain
 * text (no escape sequences), one line per field. In both, column 0 belongs to block headers
 * (`── #approvals ──`), prompts and console notes: everything from data is indented or boxed, so no
 * reason or name can forge a header.
 */
export interface RenderStyle {
  color: boolean;
  boxes: boolean;
  /** Total columns a block may use (boxes and wrapping); ignored when plain. */
  width: number;
}

export const PLAIN_STYLE: RenderStyle = { color: false, boxes: false, width: Number.POSITIVE_INFINITY };

/** The terminal style for a window `columns` wide (boxes stay readable on very wide or narrow windows). */
export function terminalStyle(columns: number | undefined): RenderStyle {
  return { color: true, boxes: true, width: Math.max(40, Math.min(columns ?? 80, 100)) };
}

interface Row {
  text: string;
  /** Applied after padding, so colour never counts towards width. */
  style?: (text: string) => string;
}

/** A card as posted in (or updated in) a channel. */
export function renderCard(channel: string, card: CardView, update: boolean, style: RenderStyle): string {
  const p = paint(style.color);
  const rows: Row[] = titleRows(card.title, style, p);
  const fields: Array<[string, string]> = [
    ['Requester', card.requester],
    ['Resource', card.resourceDescription ? `${card.resource} — ${card.resourceDescription}` : card.resource],
    ['Duration', card.duration],
    ['Reason', card.reason === '' ? '(none given)' : card.reason],
    ['Approvals', card.approvals],
    ['Status', card.status],
  ];
  rows.push(...fieldRows(fields, style));
  rows.push(...actionRows(card.actions, style, p));
  const header = `#${printable(channel)}${update ? ` · ${printable(card.requestId)} updated` : ''}`;
  return block(header, rows, style, toneColor(card.tone, p));
}

/** A direct message; its secret (if any) is printed in full on its own line, never wrapped, so it can be copied. */
export function renderDirect(person: string, message: DirectMessage, style: RenderStyle): string {
  const p = paint(style.color);
  const rows: Row[] = titleRows(message.title, style, p);
  for (const line of message.lines) rows.push(...textRows(line, style));
  rows.push(...actionRows(message.actions, style, p));
  let out = block(`DM to ${printable(person)}`, rows, style, p.cyan);
  if (message.secret) {
    const label = printable(message.secret.label) || 'secret';
    out += `  ${p.bold(`${label} (only you see this):`)}\n  ${p.yellow(printable(message.secret.value))}\n`;
  }
  return out;
}

/** A one-off notice in a channel (a revocation failing, or recovered). */
export function renderNotice(channel: string, notice: ChannelNotice, style: RenderStyle): string {
  const p = paint(style.color);
  const rows: Row[] = titleRows(notice.title, style, p);
  for (const line of notice.lines) rows.push(...textRows(line, style));
  return block(`#${printable(channel)}`, rows, style, toneColor(notice.tone, p));
}

/** The answer to a command, which only the person who typed it sees. */
export function renderReply(person: string, reply: { ok: boolean; text: string }, style: RenderStyle): string {
  const p = paint(style.color);
  const name = printable(person);
  const header = p.dim(`── to ${name} (only ${name} sees this) ──`);
  const lines = reply.text.split('\n').flatMap((line) => textRows(line, { ...style, width: style.width - 2 }));
  const body = lines.map((row) => `  ${reply.ok ? row.text : p.red(row.text)}`.trimEnd() || '  ');
  return `\n${header}\n${body.join('\n')}\n`;
}

/** A line from the console itself (who is typing, waits, mistakes in console commands). */
export function renderNote(text: string, style: RenderStyle): string {
  const p = paint(style.color);
  const [first = '', ...rest] = cleanLines(text);
  return `\n${p.dim('[console]')} ${first}${rest.map((line) => `\n  ${line}`).join('')}\n`;
}

/** The line echoed for each command read from a pipe, so a transcript shows who typed what. */
export function renderEcho(person: string, line: string, style: RenderStyle): string {
  const p = paint(style.color);
  return `\n${p.bold(`${printable(person)}>`)} ${printable(line)}\n`;
}

function toneColor(tone: Tone, p: Paint): (text: string) => string {
  switch (tone) {
    case 'waiting':
      return p.yellow;
    case 'good':
      return p.green;
    case 'bad':
      return p.red;
    case 'alarm':
      return (text) => p.bold(p.magenta(text));
    case 'neutral':
      return p.dim;
  }
}

/** Label/value rows with the values aligned; long or multi-line values continue under the value column. */
function fieldRows(fields: Array<[string, string]>, style: RenderStyle): Row[] {
  const labelWidth = Math.max(...fields.map(([label]) => label.length)) + 2;
  const valueWidth = contentWidth(style) - labelWidth;
  const rows: Row[] = [];
  for (const [label, value] of fields) {
    const lines = cleanLines(value).flatMap((line) => (style.boxes ? wrap(line, valueWidth) : [line]));
    lines.forEach((line, index) => rows.push({ text: `${index === 0 ? label.padEnd(labelWidth) : ' '.repeat(labelWidth)}${line}` }));
  }
  return rows;
}

function titleRows(title: string, style: RenderStyle, p: Paint): Row[] {
  return textRows(printable(title), style).map((row) => ({ ...row, style: p.bold }));
}

function textRows(text: string, style: RenderStyle): Row[] {
  return cleanLines(text).flatMap((line) => (style.boxes ? wrap(line, contentWidth(style)) : [line])).map((line) => ({ text: line }));
}

/** Each button as the command that does the same. */
function actionRows(actions: readonly ActionView[], style: RenderStyle, p: Paint): Row[] {
  if (actions.length === 0) return [];
  const labels = actions.map((a) => `[${printable(a.label)}]`);
  const labelWidth = Math.max(...labels.map((l) => displayWidth(l))) + 2;
  // A spacer row on a terminal; when plain, a blank line would end the block for anyone reading the transcript.
  const rows: Row[] = style.boxes ? [{ text: '' }] : [];
  actions.forEach((action, index) => {
    const colour = action.style === 'danger' ? p.red : action.style === 'primary' ? p.green : (text: string) => text;
    const label = padEnd(labels[index]!, labelWidth);
    const command = printable(action.command);
    const lines = style.boxes ? wrap(command, contentWidth(style) - labelWidth) : [command];
    lines.forEach((line, i) => {
      const text = `${i === 0 ? label : ' '.repeat(labelWidth)}${line}`;
      rows.push({ text, style: i === 0 ? (t) => colour(t.slice(0, labels[index]!.length)) + t.slice(labels[index]!.length) : undefined });
    });
  });
  return rows;
}

function contentWidth(style: RenderStyle): number {
  return style.boxes ? style.width - 4 : Number.POSITIVE_INFINITY;
}

/** A header line and its rows: boxed on a terminal, indented by two spaces when plain. */
function block(header: string, rows: Row[], style: RenderStyle, border: (text: string) => string): string {
  const p = paint(style.color);
  const head = p.dim(`── ${header} ──`);
  if (!style.boxes) {
    // Never a blank line inside a block: a blank line (or column 0) is where a block ends.
    const lines = rows.map((row) => `  ${row.style ? row.style(row.text) : row.text}`.trimEnd() || '  ');
    return `\n${head}\n${lines.join('\n')}\n`;
  }
  const inner = style.width - 4;
  const lines = [border(`╭${'─'.repeat(style.width - 2)}╮`)];
  for (const row of rows) {
    const padded = padEnd(row.text, inner);
    lines.push(`${border('│')} ${row.style ? row.style(padded) : padded} ${border('│')}`);
  }
  lines.push(border(`╰${'─'.repeat(style.width - 2)}╯`));
  return `\n${head}\n${lines.join('\n')}\n`;
}
