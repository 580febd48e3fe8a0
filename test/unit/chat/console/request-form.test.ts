import { describe, expect, it } from 'vitest';
import { pipedFormText, runRequestForm } from '../../../../src/chat/console/request-form.js';
import type { ResourceChoice } from '../../../../src/core/services/handle-command.js';

const choices: ResourceChoice[] = [
  { name: 'deploy', description: 'Deploy token', minMs: 10_000, defaultMs: 45_000, maxMs: 600_000, reason: 'optional' },
  { name: 'prod-gate', description: 'Production gate', minMs: 10_000, defaultMs: 60_000, maxMs: 3_600_000, reason: 'required', ticket: '^[A-Z]+-[0-9]+$' },
];

function scripted(answers: Array<string | undefined>) {
  const said: string[] = [];
  const asked: string[] = [];
  return {
    said,
    asked,
    io: {
      say: (text: string) => void said.push(text),
      ask: async (question: string) => {
        asked.push(question);
        return answers.shift();
      },
    },
  };
}

describe('console request form', () => {
  it('takes the defaults on Enter', async () => {
    const s = scripted(['', '', '']);
    expect(await runRequestForm(choices, s.io)).toBe('/jit request deploy 45s');
    expect(s.asked).toEqual(['resource [deploy]: ', 'duration, 10s to 10m [45s]: ', 'reason (optional): ']);
  });

  it('asks again after a wrong resource, duration or reason, saying what would be right', async () => {
    const s = scripted(['nope', '2', '0m', '-5m', '2h', '30m', '', 'just because', 'fixing INC-7']);
    expect(await runRequestForm(choices, s.io)).toBe('/jit request prod-gate 30m fixing INC-7');
    expect(s.said.slice(1)).toEqual([
      '"nope" is not one of the choices: type a number from 1 to 2 or one of deploy, prod-gate.',
      '"0m" is zero; a duration must be longer than that. prod-gate may be requested for 10s to 1h.',
      '"-5m" is not a duration. Use a number with a unit: 45s, 30m, 2h, 1d or 1h30m. prod-gate may be requested for 10s to 1h.',
      '2h is out of range: prod-gate may be requested for 10s to 1h.',
      'prod-gate needs a reason.',
      'prod-gate needs a ticket in the reason matching ^[A-Z]+-[0-9]+$, e.g. "fixing INC-7".',
    ]);
  });

  it('stops on /cancel, Ctrl-C or the end of input', async () => {
    expect(await runRequestForm(choices, scripted(['/cancel']).io)).toBeUndefined();
    expect(await runRequestForm(choices, scripted(['deploy', undefined]).io)).toBeUndefined();
  });

  it('without a terminal, lists the choices and the whole command to type', () => {
    const text = pipedFormText('Choose a resource, a duration and a reason.', choices);
    expect(text).toContain('• prod-gate: Production gate (10s to 1h, default 1m; reason required, with a ticket matching ^[A-Z]+-[0-9]+$)');
    expect(text.split('\n').at(-1)).toBe('/jit request deploy 45s [reason]');
  });
});
