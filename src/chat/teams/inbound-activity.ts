import { z } from 'zod';

/** A Bot Framework channel account: a user (`29:…`, with their Entra object id) or the bot (`28:…`). */
export const ChannelAccountSchema = z
  .object({
    id: z.string().min(1).max(512),
    name: z.string().max(512).optional(),
    aadObjectId: z.string().max(128).optional(),
  })
  .loose();

/**
 * The parts of an inbound Teams activity jitbot reads, parsed at the boundary. Everything else the
 * Bot Connector sends is kept but ignored. Card data (`value`) stays `unknown` here and is parsed by
 * the handler that knows its shape.
 */
export const InboundActivitySchema = z
  .object({
    type: z.string().min(1).max(64),
    id: z.string().max(512).optional(),
    name: z.string().max(128).optional(),
    action: z.string().max(64).optional(),
    text: z.string().max(20_000).optional(),
    value: z.unknown().optional(),
    serviceUrl: z.url().max(2048),
    channelId: z.string().max(64),
    from: ChannelAccountSchema,
    recipient: ChannelAccountSchema,
    conversation: z
      .object({
        id: z.string().min(1).max(1024),
        conversationType: z.string().max(64).optional(),
        tenantId: z.string().max(128).optional(),
        isGroup: z.boolean().optional(),
      })
      .loose(),
    channelData: z
      .object({
        tenant: z.object({ id: z.string().max(128) }).loose().optional(),
        team: z.object({ id: z.string().max(1024), name: z.string().max(512).optional() }).loose().optional(),
        channel: z.object({ id: z.string().max(1024), name: z.string().max(512).optional() }).loose().optional(),
        eventType: z.string().max(64).optional(),
      })
      .loose()
      .optional(),
    entities: z.array(z.record(z.string(), z.unknown())).max(100).optional(),
    membersAdded: z.array(ChannelAccountSchema).max(1000).optional(),
    replyToId: z.string().max(512).optional(),
  })
  .loose();
export type InboundActivity = z.infer<typeof InboundActivitySchema>;

/** The tenant an activity comes from: `channelData.tenant.id`, else `conversation.tenantId`. */
export function tenantOf(activity: InboundActivity): string | undefined {
  return activity.channelData?.tenant?.id ?? activity.conversation.tenantId;
}

/** personal | channel | groupChat (the Teams conversation types), defaulting to personal. */
export function scopeOf(activity: InboundActivity): 'personal' | 'channel' | 'groupChat' {
  const type = activity.conversation.conversationType;
  if (type === 'channel' || type === 'groupChat') return type;
  if (activity.channelData?.channel?.id) return 'channel';
  return activity.conversation.isGroup ? 'groupChat' : 'personal';
}

const MentionEntitySchema = z.object({
  type: z.literal('mention'),
  text: z.string().max(1024).optional(),
  mentioned: z.object({ id: z.string() }).loose().optional(),
});

/**
 * The command a person typed: the bot's @mention removed (by the mention entities Teams sends, and
 * any leftover `<at>…</at>`), HTML tags dropped, the common entities decoded, whitespace trimmed.
 */
export function commandText(activity: InboundActivity): string {
  let text = activity.text ?? '';
  for (const entity of activity.entities ?? []) {
    const mention = MentionEntitySchema.safeParse(entity);
    if (mention.success && mention.data.text && (!mention.data.mentioned || mention.data.mentioned.id === activity.recipient.id)) {
      text = text.split(mention.data.text).join(' ');
    }
  }
  text = text.replace(/<at>[^<]*<\/at>/gi, ' ');
  text = text.replace(/<br\s*\/?>|<\/p>|<\/div>/gi, '\n').replace(/<[^>]{0,200}>/g, '');
  text = text
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;|&apos;/gi, "'")
    .replace(/&amp;/gi, '&');
  return text.replace(/\s+/g, ' ').trim();
}
