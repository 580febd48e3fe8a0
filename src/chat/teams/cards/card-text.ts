/** Longest user text (a reason) shown on a card; the full text stays in the audit trail. */
export const MAX_USER_TEXT = 500;
/** Longest jitbot sentence (it may quote user text, e.g. a deny reason). */
export const MAX_LINE = 1200;

/** Cuts text to `max` characters (by code point), ending with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * Makes text safe for an Adaptive Card TextBlock or FactSet, which Teams renders as (a subset of)
 * Markdown: emphasis, links, lists and headings are backslash-escaped so user text shows as typed and
 * cannot forge a link or a heading; `{{DATE(…)}}` / `{{TIME(…)}}` functions are broken with a
 * zero-width space; line breaks become paragraph breaks (a single \n is not a break in Markdown).
 */
export function escapeCardText(text: string, max = MAX_LINE): string {
  return clip(text, max)
    .split(/\r?\n/)
    .map(escapeLine)
    .filter((line, index, lines) => line !== '' || (index > 0 && lines[index - 1] !== ''))
    .join('\n\n');
}

function escapeLine(line: string): string {
  return line
    .replace(/[\\`*_~[\]<>#|]/g, '\\$&')
    .replace(/\{\{/g, '{\u200B{')
    .replace(/^(\s*)([-+])(?=\s)/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])(?=\s)/, '$1\\$2');
}
