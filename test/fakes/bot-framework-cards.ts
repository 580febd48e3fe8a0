// Reading the Adaptive Cards a bot sent (or answered an invoke with), the way a test looks at them.

export type Json = Record<string, unknown>;

/** The Adaptive Card of a message activity (its first attachment), or of an invoke response body. */
export function cardOf(value: unknown): Json | undefined {
  const v = value as Json | undefined;
  if (!v) return undefined;
  if (v.type === 'AdaptiveCard') return v;
  if (v.type === 'application/vnd.microsoft.card.adaptive' && v.value) return v.value as Json;
  const attachments = v.attachments as { contentType?: string; content?: Json }[] | undefined;
  return attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
}

/** Every piece of text on a card (TextBlocks, facts, rich text, input labels), one per line. */
export function cardText(value: unknown): string {
  const card = cardOf(value);
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Json;
    if (n.type === 'TextBlock' || n.type === 'TextRun') out.push(String(n.text));
    if (n.type === 'FactSet') for (const f of n.facts as { title: string; value: string }[]) out.push(`${f.title}: ${f.value}`);
    if (typeof n.label === 'string') out.push(n.label);
    for (const key of ['body', 'items', 'inlines', 'columns']) if (key in n) walk(n[key]);
  };
  walk(card?.body);
  return out.join('\n');
}

/** The verbs of a card's buttons. */
export function actionVerbs(value: unknown): string[] {
  const card = cardOf(value);
  return ((card?.actions ?? []) as Json[]).map((a) => String(a.verb ?? (a.data as Json | undefined)?.verb));
}

/** The ids of a card's inputs. */
export function inputIds(value: unknown): string[] {
  const ids: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Json;
    if (typeof n.type === 'string' && n.type.startsWith('Input.')) ids.push(String(n.id));
    for (const key of ['body', 'items']) if (key in n) walk(n[key]);
  };
  walk(cardOf(value)?.body);
  return ids;
}

/** The values offered by a card's Input.ChoiceSet with this id. */
export function choiceValues(value: unknown, id: string): string[] {
  const input = ((cardOf(value)?.body ?? []) as Json[]).find((n) => n.type === 'Input.ChoiceSet' && n.id === id);
  return ((input?.choices ?? []) as { value: string }[]).map((c) => c.value);
}

/** `refresh.userIds` of a card (the users whose clients fetch their own view). */
export function refreshUserIds(value: unknown): string[] {
  return (((cardOf(value)?.refresh as Json | undefined)?.userIds ?? []) as string[]).slice();
}
