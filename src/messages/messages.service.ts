import { Injectable } from '@nestjs/common';
import { DeliveryService } from '../cluster/delivery.service';
import { AppConfig } from '../config/app-config';
import { MessageType } from '../common/protocol';
import { OfflineSource, PendingMessage } from '../common/offline-source';
import { MetricsService } from '../metrics/metrics.service';
import { UsersService } from '../users/users.service';
import { MessageRecord, MessageStore } from './message.store';
import { clientMessageIdProblem, contentProblem } from './message-rules';

export interface DirectSend {
  from: string;
  to: unknown;
  content: unknown;
  clientMessageId?: unknown;
  sequenceId: number;
}

export type SendResult = { ok: true; messageId: string; delivered: boolean; to: string } | { ok: false; reason: string };

export const MessageReasons = {
  unknownRecipient: 'User does not exist',
  toYourself: 'Cannot send a message to yourself',
  toRequired: 'to is required',
} as const;

/** A 1:1 message as type 6, the shape of deliveries, offline replay and history. */
export function directFrame(message: MessageRecord, sequenceId: number, offline: boolean): Record<string, unknown> {
  return {
    messageType: MessageType.ChatResponse,
    sequenceId,
    success: true,
    reason: null,
    from: message.sender,
    to: message.recipient,
    content: message.content,
    messageId: message.id,
    delivered: true,
    offline,
    time: message.createdAt.toISOString(),
  };
}

/** 1:1 messages: stored first, then handed to the recipient's live connections anywhere. */
@Injectable()
export class MessagesService extends OfflineSource {
  constructor(
    private readonly config: AppConfig,
    private readonly store: MessageStore,
    private readonly users: UsersService,
    private readonly delivery: DeliveryService,
    private readonly metrics: MetricsService,
  ) {
    super();
  }

  async send(request: DirectSend): Promise<SendResult> {
    const { from, to } = request;
    if (to === undefined || to === null || to === '') return { ok: false, reason: MessageReasons.toRequired };
    if (typeof to !== 'string') return { ok: false, reason: 'to must be a string' };
    const problem = contentProblem(request.content, this.config.maxContentBytes) ?? clientMessageIdProblem(request.clientMessageId);
    if (problem) return { ok: false, reason: problem };
    if (to === from) return { ok: false, reason: MessageReasons.toYourself };
    if (!(await this.users.exists(to))) return { ok: false, reason: MessageReasons.unknownRecipient };

    const content = request.content as string;
    const stored = await this.store.appendDirect({
      sender: from,
      recipient: to,
      content,
      clientMessageId: request.clientMessageId as string | undefined,
    });
    if (stored.duplicate) return { ok: true, messageId: stored.id, delivered: stored.acked, to };
    this.metrics.messagesStored.labels('direct').inc();
    const frame = JSON.stringify(
      directFrame({ id: stored.id, sender: from, recipient: to, groupId: null, seq: null, content, createdAt: stored.createdAt }, request.sequenceId, false),
    );
    const reached = await this.delivery.deliver([to], frame, stored.id);
    return { ok: true, messageId: stored.id, delivered: reached.has(to), to };
  }

  async pending(username: string, afterMessageId: string | null, limit: number): Promise<PendingMessage[]> {
    const messages = await this.store.unackedDirect(username, afterMessageId, limit);
    return messages.map((m) => ({ messageId: m.id, frame: JSON.stringify(directFrame(m, 0, true)) }));
  }

  ack(username: string, messageIds: string[]): Promise<number> {
    return this.store.ackDirect(username, messageIds);
  }

  async history(username: string, other: string, beforeId: string | null, limit: number): Promise<Record<string, unknown>[] | string> {
    if (other !== username && !(await this.users.exists(other))) return MessageReasons.unknownRecipient;
    const messages = await this.store.directHistory(username, other, beforeId, limit);
    return messages.map((m) => directFrame(m, 0, false));
  }
}
