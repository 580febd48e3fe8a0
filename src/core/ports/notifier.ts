import type { Person } from '../policy/policy-schema.js';
import type { CardView, DirectMessage, ChannelNotice } from '../messages/views.js';
import type { IssuedSecret } from './issuer.js';
import type { MessageRef } from './request-store.js';

/** A person as a notifier sees them: the policy name and every identity the policy knows. */
export type PersonIdentity = { name: string } & Person;

/**
 * The outbound chat port: one implementation per platform (Slack, Teams, console). Designed for Teams,
 * the harder platform: cards are posted once and updated by reference; a DM may fail because the bot
 * cannot reach the person yet, which must be reported, not swallowed.
 */
export interface Notifier {
  readonly platform: string;
  /** Whether this platform has an identity for the person (a DM can be attempted). */
  knows(person: PersonIdentity): boolean;
  /** Sends a direct message. Throws `NotifyError` (retryable or not) when it cannot be delivered. */
  sendDirect(person: PersonIdentity, message: DirectMessage): Promise<void>;
  /** Posts an approval card in a channel and returns its handle for later updates. */
  postCard(channel: string, card: CardView): Promise<MessageRef>;
  /** Re-renders a card in place. Idempotent. */
  updateCard(ref: MessageRef, card: CardView): Promise<void>;
  /** Posts a one-off notice (e.g. a revocation failing) into a channel. */
  postNotice(channel: string, notice: ChannelNotice): Promise<void>;
  /**
   * How many bytes of one DM an issued secret takes here (as this platform encodes it, with the rest
   * of the DM), and the most one message carries. Absent when there is no limit (the console). A
   * secret over the limit is never cut: the grant fails instead and what was issued is revoked.
   */
  measureSecret?(secret: IssuedSecret): SecretMeasure;
}

/** An issued secret against one platform's message size limit. */
export interface SecretMeasure {
  bytes: number;
  maxBytes: number;
  /** The platform as people name it ("Slack", "Microsoft Teams"). */
  platform: string;
}

/** Kept here for the port's users; the class lives with the other typed errors. */
export { NotifyError } from '../domain/errors.js';
