/**
 * Text for a terminal: strips what could move the cursor, recolour or reorder the screen (escape
 * sequences, control and bidi characters), measures display width (wide CJK and emoji count 2,
 * combining marks 0) and wraps to a width. Everything the console prints from data passes through here.
 */

// CSI (ESC [ … final), OSC (ESC ] … BEL or ST), and two-character ESC sequences.
// eslint-disable-next-line no-control-regex
const ESCAPE_SEQUENCE = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|\u001B[@-Z\\-_]|\u009B[0-?]*[ -/]*[@-~]/g;
// C0 and C1 controls (newline is handled by the caller), bidi overrides and isolates, the BOM.
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g;

/** One line of printable text: escape sequences and control characters removed, tabs and newlines as spaces. */
export function printable(text: string): string {
  return cleanLines(text).join(' ');
}

/** Printable text split at its line breaks (CR, LF, CRLF and the Unicode separators). */
export function cleanLines(text: string): string[] {
  return text
    .replace(ESCAPE_SEQUENCE, '')
    .replace(/\t/g, ' ')
    .split(/\r\n|[\r\n\u2028\u2029\u0085]/)
    .map((line) => line.replace(HIDDEN, ''));
}

const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x2753, 0x2755],
  [0x2795, 0x2797],
  [0x2b1b, 0x2b1c],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f900, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd],
];
const COMBINING = /^[\p{Mn}\p{Me}]$/u;
const isZeroWidth = (code: number): boolean => (code >= 0x200b && code <= 0x200d) || code === 0x2060 || (code >= 0xfe00 && code <= 0xfe0f);

/** Columns one code point takes in a terminal (an approximation of wcwidth). */
export function charWidth(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (isZeroWidth(code) || COMBINING.test(char)) return 0;
  for (const [from, to] of WIDE_RANGES) {
    if (code < from) break;
    if (code <= to) return 2;
  }
  return 1;
}

/** Columns a (printable) string takes. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += charWidth(char);
  return width;
}

/** Pads a (printable) string with spaces to `width` columns. */
export function padEnd(text: string, width: number): string {
  const missing = width - displayWidth(text);
  return missing > 0 ? text + ' '.repeat(missing) : text;
}

/**
 * Wraps printable text (no line breaks) into lines of at most `width` columns, at spaces where it can
 * and inside words that are longer than a line.
 */
export function wrap(text: string, width: number): string[] {
  const limit = Math.max(1, width);
  const lines: string[] = [];
  let line = '';
  let lineWidth = 0;
  const flush = (): void => {
    lines.push(line.replace(/ +$/, ''));
    line = '';
    lineWidth = 0;
  };
  for (const word of text.split(/( +)/)) {
    if (word === '') continue;
    const wordWidth = displayWidth(word);
    if (/^ +$/.test(word)) {
      if (lineWidth === 0) continue; // no leading spaces on a wrapped line
      if (lineWidth + wordWidth >= limit) flush();
      else {
        line += word;
        lineWidth += wordWidth;
      }
      continue;
    }
    if (lineWidth + wordWidth <= limit) {
      line += word;
      lineWidth += wordWidth;
      continue;
    }
    if (lineWidth > 0 && wordWidth <= limit) {
      flush();
      line = word;
      lineWidth = wordWidth;
      continue;
    }
    // A word longer than the rest of the line: break it by columns.
    for (const char of word) {
      const w = charWidth(char);
      if (lineWidth + w > limit && lineWidth > 0) flush();
      line += char;
      lineWidth += w;
    }
  }
  if (lineWidth > 0 || lines.length === 0) flush();
  return lines;
}

/** Shortens printable text to at most `width` columns, ending with "…" when it was cut. */
export function clip(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const char of text) {
    const w = charWidth(char);
    if (used + w > width - 1) break;
    out += char;
    used += w;
  }
  return `${out}…`;
}

/** ANSI styles, or nothing when colour is off. */
export interface Paint {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => (text === '' ? text : `\u001B[${open}m${text}\u001B[${close}m`);
const same = (text: string): string => text;

export function paint(color: boolean): Paint {
  if (!color) return { bold: same, dim: same, red: same, green: same, yellow: same, cyan: same, magenta: same };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39), magenta: sgr(35, 39) };
}
