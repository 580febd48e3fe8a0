import { describe, expect, it } from 'vitest';
import { TRUNCATED, bound, escapeText, fit, mention, plain } from '../../../../src/chat/slack/blocks/block-kit.js';

describe('Block Kit text safety', () => {
  it('escapes &, < and > so mentions and links stay inert', () => {
    expect(escapeText('<!channel> <@U0BOB> <https://evil.example|click> & <!here>')).toBe(
      '&lt;!channel&gt; &lt;@U0BOB&gt; &lt;https://evil.example|click&gt; &amp; &lt;!here&gt;',
    );
    // Escaping twice is visible, not re-interpreted.
    expect(escapeText('&lt;')).toBe('&amp;lt;');
  });

  it('drops control, bidi-override and BOM characters but keeps newlines, tabs and emoji', () => {
    expect(escapeText('a\u0000b\u0007c\u001bd\u202Ee\u2066f\uFEFFg\u0085h\r\ni\tj 👩‍💻')).toBe('abcdefgh\ni\tj 👩‍💻');
  });

  it('bounds escaped text without cutting an entity or a surrogate pair', () => {
    const text = '<'.repeat(1000);
    const out = fit(text, 100);
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out.endsWith(TRUNCATED)).toBe(true);
    expect(out.slice(0, -TRUNCATED.length)).toMatch(/^(&lt;)+$/);

    const emoji = '😀'.repeat(200);
    const cut = fit(emoji, 51);
    expect(cut.length).toBeLessThanOrEqual(51);
    expect(cut.slice(0, -TRUNCATED.length)).toMatch(/^(😀)+$/u);
    expect(fit('short', 100)).toBe('short');
    expect(fit('x'.repeat(100), 100)).toBe('x'.repeat(100));
  });

  it('bounds safe mrkdwn without cutting a mention or an entity', () => {
    const safe = `${'a'.repeat(90)}<@U0ALICE>&amp;`;
    const out = bound(safe, 100);
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out).not.toContain('<@U0A…');
    expect(out.includes('<@U0ALICE>') || !out.includes('<')).toBe(true);
  });

  it('writes a mention only for a well-formed Slack user id', () => {
    expect(mention('U0ALICE', 'alice')).toBe('<@U0ALICE>');
    expect(mention('W012ABC', 'alice')).toBe('<@W012ABC>');
    expect(mention('U0A|<!channel>', '<b>')).toBe('&lt;b&gt;');
    expect(mention(undefined, 'alice')).toBe('alice');
  });

  it('never produces an empty text object', () => {
    expect(plain('').text).toBe(' ');
    expect(plain('\u0000\u0001').text).toBe(' ');
  });
});
