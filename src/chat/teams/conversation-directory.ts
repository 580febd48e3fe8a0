import { z } from 'zod';
import type { Logger } from '../../core/ports/logger.js';
import type { AdapterState } from '../../core/ports/adapter-state.js';

/** How to reach a person: their Bot Framework id and, once known, the bot's personal chat with them. */
export const UserAddressSchema = z.object({
  aadObjectId: z.string(),
  /** The person's Bot Framework user id (`29:…`), specific to this bot. */
  userId: z.string(),
  serviceUrl: z.string(),
  tenantId: z.string().optional(),
  botId: z.string().optional(),
  /** The personal conversation (`a:…`), known from installation or any personal message. */
  conversationId: z.string().optional(),
});
export type UserAddress = z.infer<typeof UserAddressSchema>;

/** Where a Teams channel lives: the service that hosts its team. */
export const ChannelAddressSchema = z.object({
  channelId: z.string(),
  serviceUrl: z.string(),
  tenantId: z.string().optional(),
  botId: z.string().optional(),
});
export type ChannelAddress = z.infer<typeof ChannelAddressSchema>;

/** The service a tenant was last seen on: a fallback for channels jitbot has not seen yet. */
export const ServiceAddressSchema = z.object({ serviceUrl: z.string(), tenantId: z.string().optional(), botId: z.string().optional() });
export type ServiceAddress = z.infer<typeof ServiceAddressSchema>;

type KeyValueStore = Pick<AdapterState, 'putValue' | 'getValue'>;

const NAMESPACE = 'teams';

/**
 * The conversation references jitbot learns from installations, conversation updates and every
 * message, kept in Redis as plain JSON (never SDK types) so proactive messages work after a restart and
 * from any process. A small in-memory copy answers "can this person be reached?" synchronously.
 */
export class ConversationDirectory {
  private readonly users = new Map<string, UserAddress>();
  private readonly unreachable = new Set<string>();
  private readonly written = new Map<string, string>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly log: Logger,
  ) {}

  /** Stores what an activity taught about a person; keeps a known personal chat when the activity came from elsewhere. */
  async rememberUser(address: UserAddress): Promise<void> {
    const key = address.aadObjectId.toLowerCase();
    const known = this.users.get(key) ?? (await this.user(key));
    const merged: UserAddress = { ...known, ...address, aadObjectId: key };
    if (!address.conversationId && known?.conversationId && known.serviceUrl === address.serviceUrl) merged.conversationId = known.conversationId;
    if (!merged.conversationId) delete merged.conversationId;
    this.users.set(key, merged);
    this.unreachable.delete(key);
    await this.write(`user:${key}`, merged);
  }

  async rememberChannel(address: ChannelAddress): Promise<void> {
    await this.write(`channel:${address.channelId}`, address);
  }

  async rememberService(address: ServiceAddress): Promise<void> {
    await this.write(`service:${(address.tenantId ?? '-').toLowerCase()}`, address);
    await this.write('service:*', address);
  }

  /** The stored address of a person by Entra object id (read from Redis: another process may have learnt it). */
  async user(aadObjectId: string): Promise<UserAddress | undefined> {
    const key = aadObjectId.toLowerCase();
    const value = await this.read(`user:${key}`, UserAddressSchema);
    if (value) {
      this.users.set(key, value);
      this.unreachable.delete(key);
    } else {
      this.users.delete(key);
      this.unreachable.add(key);
    }
    return value;
  }

  async channel(channelId: string): Promise<ChannelAddress | undefined> {
    return this.read(`channel:${channelId}`, ChannelAddressSchema);
  }

  /** The service of this tenant (or of any tenant when none is given). */
  async service(tenantId: string | undefined): Promise<ServiceAddress | undefined> {
    return (tenantId ? await this.read(`service:${tenantId.toLowerCase()}`, ServiceAddressSchema) : undefined) ?? this.read('service:*', ServiceAddressSchema);
  }

  /** true: an address is known; false: looked up and missing; undefined: not looked up in this process. */
  reachable(aadObjectId: string): boolean | undefined {
    const key = aadObjectId.toLowerCase();
    if (this.users.has(key)) return true;
    return this.unreachable.has(key) ? false : undefined;
  }

  /** The known Bot Framework id (`29:…`) of a person, from memory. */
  knownUserId(aadObjectId: string): string | undefined {
    return this.users.get(aadObjectId.toLowerCase())?.userId;
  }

  /** Loads the addresses of these people into memory (at start, and now and then for the missing ones). */
  async preload(aadObjectIds: Iterable<string>): Promise<void> {
    for (const id of aadObjectIds) await this.user(id).catch(() => undefined);
  }

  private async write(key: string, value: unknown): Promise<void> {
    const json = JSON.stringify(value);
    if (this.written.get(key) === json) return;
    await this.store.putValue(NAMESPACE, key, json);
    this.written.set(key, json);
  }

  private async read<T>(key: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const raw = await this.store.getValue(NAMESPACE, key);
    if (raw === undefined) return undefined;
    try {
      const parsed = schema.safeParse(JSON.parse(raw));
      if (parsed.success) {
        this.written.set(key, raw);
        return parsed.data;
      }
    } catch {
      // fall through: a corrupt entry is as good as none, and the next activity rewrites it
    }
    this.log.warn({ key }, 'ignoring an unreadable Teams conversation reference');
    return undefined;
  }
}
