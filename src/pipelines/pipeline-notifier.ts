import { isPipelineRequester } from '../core/domain/access-request.js';
import type { CardView, ChannelNotice, DirectMessage } from '../core/messages/views.js';
import type { Notifier, PersonIdentity } from '../core/ports/notifier.js';
import type { MessageRef } from '../core/ports/adapter-state.js';
import type { JitCore } from '../core/services/create-core.js';
import type { DeploymentGates } from './deployment-gates.js';

/**
 * The "chat platform" of pipelines: direct messages to a pipeline requester land here. A pipeline
 * that asked through the API reads its request itself, so its messages are dropped; a gated GitHub
 * deployment hears the decision through its deployment protection rule callback. It posts no cards
 * (it has no channels).
 */
export class PipelineNotifier implements Notifier {
  readonly platform = 'pipeline';

  constructor(
    private readonly core: Pick<JitCore, 'findRequest'>,
    private readonly gates: DeploymentGates | undefined,
  ) {}

  knows(person: PersonIdentity): boolean {
    return isPipelineRequester(person.name);
  }

  async sendDirect(_person: PersonIdentity, message: DirectMessage): Promise<void> {
    if (!this.gates) return;
    const request = await this.core.findRequest(message.requestId);
    if (request?.pipeline?.gate) await this.gates.report(request);
  }

  async postCard(channel: string, card: CardView): Promise<MessageRef> {
    return { platform: this.platform, channel, messageId: card.requestId };
  }

  async updateCard(): Promise<void> {}

  async postNotice(_channel: string, _notice: ChannelNotice): Promise<void> {}
}
