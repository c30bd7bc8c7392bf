import { Injectable } from '@nestjs/common';
import { DeliveryService } from '../cluster/delivery.service';
import { OfflineReplay, OfflineSource, PendingMessage, PendingProbe, PendingSummary } from '../common/offline-source';
import { ChatResponseFrame, RefusalCode, chatMessageFrame } from '../protocol';
import { Refused, Result, refused } from '../common/refusal';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { PushService } from '../push/push.service';
import { normalizeUsername } from '../users/user-rules';
import { UsersService } from '../users/users.service';
import { Audience, CheckedSend, SendPipeline, SendRequest } from '../sending/send-pipeline';
import { DirectConversation, MessageRecord, MessageStore, StoredMessage } from './message.store';

export interface DirectSend extends SendRequest {
  to: unknown;
}

/** The sender's acknowledgement of a 1:1 message: `delivered` when the recipient had a live connection. */
export interface DirectSent {
  messageId: string;
  delivered: boolean;
  to: string;
}

export type SendResult = Result<DirectSent>;

export const MessageReasons = {
  unknownRecipient: 'User does not exist',
  toYourself: 'Cannot send a message to yourself',
  toRequired: 'to is required',
  toType: 'to must be a string',
  notInConversation: 'Message is not in this conversation',
} as const;

/** A stored 1:1 message as its ChatResponse frame (deliveries, offline replay and history). */
export function directFrame(message: MessageRecord, offline: boolean): ChatResponseFrame {
  const { sequenceId, sender: from, recipient: to, content, id: messageId, recalled } = message;
  const time = message.createdAt.toISOString();
  return chatMessageFrame({ sequenceId, from, to, content, messageId, time, editedAt: message.editedAt?.toISOString(), recalled }, offline);
}

/** 1:1 messages: stored first, then handed to the recipient's live connections anywhere. */
@Injectable()
export class MessagesService extends OfflineSource implements PendingProbe {
  private readonly pipeline: SendPipeline<DirectSend, string, DirectSent>;

  constructor(
    private readonly config: AppConfig,
    private readonly store: MessageStore,
    private readonly users: UsersService,
    private readonly delivery: DeliveryService,
    private readonly metrics: MetricsService,
    private readonly offlinePush: PushService,
  ) {
    super();
    const audience: Audience<DirectSend, string, DirectSent> = {
      address: (request) => this.address(request),
      resolve: (request) => this.resolve(request),
      append: (request, to) => this.append(request, to),
      isFor: (original, to) => original.recipient === to,
      deliver: (request, to, stored) => this.deliver(request, to, stored),
    };
    this.pipeline = new SendPipeline(audience, config.limits.maxContentBytes);
  }

  /** Checks, stores, delivers (see SendPipeline). */
  send(request: DirectSend): Promise<SendResult> {
    return this.pipeline.send(request);
  }

  private address(request: DirectSend): Refused | null {
    if (request.to === undefined || request.to === null || request.to === '') {
      return refused(RefusalCode.InvalidArgument, MessageReasons.toRequired, 'invalid');
    }
    if (typeof request.to !== 'string') return refused(RefusalCode.InvalidArgument, MessageReasons.toType, 'invalid');
    return null;
  }

  private async resolve(request: DirectSend): Promise<Result<{ target: string }>> {
    const to = normalizeUsername(request.to as string);
    if (to === request.from) return refused(RefusalCode.InvalidArgument, MessageReasons.toYourself);
    if (!(await this.users.exists(to))) return refused(RefusalCode.NotFound, MessageReasons.unknownRecipient);
    return { ok: true, target: to };
  }

  private async append(request: CheckedSend, to: string): Promise<Result<{ stored: StoredMessage }>> {
    const stored = await this.store.appendDirect({
      sender: request.from,
      recipient: to,
      content: request.content,
      clientMessageId: request.clientMessageId,
      sequenceId: request.sequenceId,
    });
    return { ok: true, stored };
  }

  private async deliver(request: CheckedSend, to: string, stored: StoredMessage): Promise<DirectSent> {
    if (stored.duplicate) {
      // The first try may have been stored but never delivered (its instance died): hand it over again.
      const original = stored.original;
      const delivered =
        stored.acked ||
        (original
          ? (await this.delivery.deliver([to], { frame: JSON.stringify(directFrame(original, false)), messageId: stored.id })).has(to)
          : false);
      // Its first push may have died with that instance too; receivers drop repeats by messageId.
      if (!delivered && original)
        this.offlinePush.offline({ from: original.sender, messageId: stored.id, content: original.content }, [to]);
      return { messageId: stored.id, delivered, to };
    }
    this.metrics.directStored.inc();
    const frame = JSON.stringify(
      directFrame(
        {
          id: stored.id,
          sender: request.from,
          recipient: to,
          groupId: null,
          seq: null,
          content: request.content,
          createdAt: stored.createdAt,
          sequenceId: request.sequenceId,
        },
        false,
      ),
    );
    const reached = await this.delivery.deliver([to], { frame, messageId: stored.id });
    if (!reached.has(to)) this.offlinePush.offline({ from: request.from, messageId: stored.id, content: request.content }, [to]);
    return { messageId: stored.id, delivered: reached.has(to), to };
  }

  pendingOf(username: string): Promise<PendingSummary> {
    return this.store.pendingOf(username);
  }

  async open(username: string, pending: PendingSummary): Promise<OfflineReplay> {
    return {
      nextSeqs: new Map(),
      page: async (afterMessageId, limit) => {
        if (!pending.direct) return [];
        const messages = await this.store.unackedDirect(username, afterMessageId, limit);
        return messages.map((m): PendingMessage => ({ messageId: m.id, frame: JSON.stringify(directFrame(m, true)) }));
      },
    };
  }

  ack(username: string, messageIds: string[]): Promise<number> {
    return this.store.ackDirect(username, messageIds);
  }

  /**
   * Moves the reader's read position in the conversation with `other` forward to `messageId`, a
   * message of that conversation; returns the peer and the position after (it never moves back).
   */
  async read(reader: string, other: string, messageId: string): Promise<Result<{ peer: string; read: string; moved: boolean }>> {
    const peer = normalizeUsername(other);
    if (peer === reader || !(await this.users.exists(peer))) return refused(RefusalCode.NotFound, MessageReasons.unknownRecipient);
    if (!(await this.store.isDirectBetween(reader, peer, messageId)))
      return refused(RefusalCode.NotFound, MessageReasons.notInConversation);
    const { read, moved } = await this.store.readDirect(reader, peer, messageId);
    return { ok: true, peer, read, moved };
  }

  /** A page of the user's 1:1 conversations, newest last message first, with last message ids below `beforeId`. */
  conversations(username: string, beforeId: string | null, limit: number): Promise<DirectConversation[]> {
    return this.store.directConversations(username, beforeId, limit);
  }

  /** The conversation with `other`, or why it cannot be read. */
  async history(
    username: string,
    other: string,
    beforeId: string | null,
    limit: number,
  ): Promise<Result<{ messages: ChatResponseFrame[] }>> {
    const peer = normalizeUsername(other);
    if (peer !== username && !(await this.users.exists(peer))) return refused(RefusalCode.NotFound, MessageReasons.unknownRecipient);
    const messages = await this.store.directHistory(username, peer, beforeId, limit);
    return { ok: true, messages: messages.map((m) => directFrame(m, false)) };
  }
}
