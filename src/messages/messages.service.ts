import { Injectable } from '@nestjs/common';
import { DeliveryService } from '../cluster/delivery.service';
import { OfflineReplay, OfflineSource, PendingMessage } from '../common/offline-source';
import { ChatResponseFrame, RefusalCode, chatMessageFrame } from '../protocol';
import { Refused, refused } from '../common/refusal';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { normalizeUsername } from '../users/user-rules';
import { UsersService } from '../users/users.service';
import { MessageRecord, MessageStore } from './message.store';
import { clientMessageIdProblem, contentProblem } from './message-rules';
import { SendOrder } from './send-order';

export interface DirectSend {
  from: string;
  to: unknown;
  content: unknown;
  clientMessageId?: unknown;
  sequenceId: number;
}

export type SendResult = { ok: true; messageId: string; delivered: boolean; to: string } | Refused;

/** A clientMessageId names one message: a resend to another audience is a client bug, not a resend. */
export const CLIENT_MESSAGE_ID_REUSED = 'clientMessageId was already used for another message';

export const MessageReasons = {
  unknownRecipient: 'User does not exist',
  toYourself: 'Cannot send a message to yourself',
  toRequired: 'to is required',
  toType: 'to must be a string',
} as const;

/** A stored 1:1 message as its type 6 frame (deliveries, offline replay and history). */
export function directFrame(message: MessageRecord, offline: boolean): ChatResponseFrame {
  const { sequenceId, sender: from, recipient: to, content, id: messageId } = message;
  return chatMessageFrame({ sequenceId, from, to, content, messageId, time: message.createdAt.toISOString() }, offline);
}

/** 1:1 messages: stored first, then handed to the recipient's live connections anywhere. */
@Injectable()
export class MessagesService extends OfflineSource {
  private readonly order = new SendOrder();

  constructor(
    private readonly config: AppConfig,
    private readonly store: MessageStore,
    private readonly users: UsersService,
    private readonly delivery: DeliveryService,
    private readonly metrics: MetricsService,
  ) {
    super();
  }

  /** Checks, stores, delivers. Sends of one sender are stored in the order they arrived. */
  async send(request: DirectSend): Promise<SendResult> {
    const slot = this.order.enter(request.from);
    try {
      const checked = await this.check(request);
      if (!checked.ok) return checked;
      await slot.turn;
      const storing = this.store.appendDirect({
        sender: request.from,
        recipient: checked.to,
        content: request.content as string,
        clientMessageId: request.clientMessageId as string | undefined,
        sequenceId: request.sequenceId,
      });
      slot.release();
      const stored = await storing;
      if (stored.duplicate) {
        if (stored.original && stored.original.recipient !== checked.to) {
          return refused(RefusalCode.Conflict, CLIENT_MESSAGE_ID_REUSED, true);
        }
        // The first try may have been stored but never delivered (its instance died): hand it over again.
        const delivered = stored.acked || (stored.original ? (await this.delivery.deliver([checked.to], { frame: JSON.stringify(directFrame(stored.original, false)), messageId: stored.id })).has(checked.to) : false);
        return { ok: true, messageId: stored.id, delivered, to: checked.to };
      }
      this.metrics.directStored.inc();
      const frame = JSON.stringify(
        directFrame(
          { id: stored.id, sender: request.from, recipient: checked.to, groupId: null, seq: null, content: request.content as string, createdAt: stored.createdAt, sequenceId: request.sequenceId },
          false,
        ),
      );
      const reached = await this.delivery.deliver([checked.to], { frame, messageId: stored.id });
      return { ok: true, messageId: stored.id, delivered: reached.has(checked.to), to: checked.to };
    } finally {
      slot.release();
    }
  }

  private async check(request: DirectSend): Promise<{ ok: true; to: string } | Refused> {
    if (request.to === undefined || request.to === null || request.to === '') {
      return refused(RefusalCode.InvalidArgument, MessageReasons.toRequired, true);
    }
    if (typeof request.to !== 'string') return refused(RefusalCode.InvalidArgument, MessageReasons.toType, true);
    const problem = contentProblem(request.content, this.config.limits.maxContentBytes) ?? clientMessageIdProblem(request.clientMessageId);
    if (problem) return refused(RefusalCode.InvalidArgument, problem, true);
    const to = normalizeUsername(request.to);
    if (to === request.from) return refused(RefusalCode.InvalidArgument, MessageReasons.toYourself);
    if (!(await this.users.exists(to))) return refused(RefusalCode.NotFound, MessageReasons.unknownRecipient);
    return { ok: true, to };
  }

  async open(username: string): Promise<OfflineReplay> {
    return {
      nextSeqs: new Map(),
      page: async (afterMessageId, limit) => {
        const messages = await this.store.unackedDirect(username, afterMessageId, limit);
        return messages.map((m): PendingMessage => ({ messageId: m.id, frame: JSON.stringify(directFrame(m, true)) }));
      },
    };
  }

  ack(username: string, messageIds: string[]): Promise<number> {
    return this.store.ackDirect(username, messageIds);
  }

  /** The conversation with `other`, or why it cannot be read. */
  async history(username: string, other: string, beforeId: string | null, limit: number): Promise<ChatResponseFrame[] | Refused> {
    const peer = normalizeUsername(other);
    if (peer !== username && !(await this.users.exists(peer))) return refused(RefusalCode.NotFound, MessageReasons.unknownRecipient);
    const messages = await this.store.directHistory(username, peer, beforeId, limit);
    return messages.map((m) => directFrame(m, false));
  }
}
