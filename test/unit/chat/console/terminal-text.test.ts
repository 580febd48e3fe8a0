import { describe, expect, it } from 'vitest';
import { cleanLines, clip, displayWidth, printable, wrap } from '../../../../src/chat/console/terminal-text.js';

describe('terminal text', () => {
  it('removes escape sequences, controls and bidi overrides; splits at every kind of line break', () => {
    expect(printable('a\u001B[31mred\u001B[0m\u001B]0;title\u0007b\u0000c\u202Ed\u2066e\uFEFF\tf')).toBe('aredbcde f');
    expect(cleanLines('one\r\ntwo\rthree\nfour\u2028five')).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(printable('one\ntwo')).toBe('one two');
  });

  it('measures wide characters as two columns and combining marks as none', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('漢字')).toBe(4);
    expect(displayWidth('🚀')).toBe(2);
    expect(displayWidth('e\u0301')).toBe(1);
  });

  it('wraps at spaces, breaks words longer than a line, and never exceeds the width', () => {
    expect(wrap('the quick brown fox jumps', 10)).toEqual(['the quick', 'brown fox', 'jumps']);
    expect(wrap('abcdefghijklmnop', 5)).toEqual(['abcde', 'fghij', 'klmno', 'p']);
    expect(wrap('', 5)).toEqual(['']);
    for (const line of wrap('漢字かな漢字かな 🚀🚀🚀 text', 5)) expect(displayWidth(line)).toBeLessThanOrEqual(5);
  });

  it('clips with an ellipsis', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('abc', 4)).toBe('abc');
  });
});
