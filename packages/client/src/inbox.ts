import { ChatResponseFrame, GroupChatResponseFrame, MessageType } from '../../../src/protocol';

/** Keeps an Ack frame well below the server's 32 KiB frame limit. */
const ACK_BATCH_LIMIT = 500;

/** What edits and recalls left of a message: set only on a message that was changed. */
export interface MessageChanges {
  /** When the sender last edited or recalled it. */
  editedAt?: string;
  /** The sender recalled it: `content` is empty. */
  recalled?: true;
}

export interface DirectMessage extends MessageChanges {
  kind: 'chat';
  messageId: string;
  from: string;
  to: string;
  content: string;
  offline: boolean;
  time: string;
}

export interface GroupMessage extends MessageChanges {
  kind: 'group';
  messageId: string;
  from: string;
  groupName: string;
  content: string;
  offline: boolean;
  time: string;
}

export type ChatMessage = DirectMessage | GroupMessage;

export function toChatMessage(frame: ChatResponseFrame | GroupChatResponseFrame): ChatMessage {
  const common = {
    messageId: frame.messageId ?? '',
    from: frame.from ?? '',
    content: frame.content ?? '',
    offline: frame.offline === true,
    time: frame.time ?? '',
    ...(frame.editedAt ? { editedAt: frame.editedAt } : {}),
    ...(frame.recalled === true ? { recalled: true as const } : {}),
  };
  return frame.messageType === MessageType.ChatResponse
    ? { kind: 'chat', ...common, to: frame.to ?? '' }
    : { kind: 'group', ...common, groupName: frame.groupName ?? '' };
}

/**
 * Deliveries: acknowledged in batches, and remembered by messageId so that a redelivery is dropped.
 * `sendAck` writes one Ack frame on the active connection, or does nothing without one.
 */
export class Inbox {
  private readonly seen = new Set<string>();
  private acks: string[] = [];
  private ackTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly dedupWindow: number,
    private readonly ackDelayMs: number,
    private readonly sendAck: (messageIds: string[]) => void,
  ) {}

  /** The message a delivery carries, or undefined when there is none or it was delivered before. */
  receive(frame: ChatResponseFrame | GroupChatResponseFrame): ChatMessage | undefined {
    // A 1:1 ack carries no content: one arriving here answers a send given up on, and is no delivery.
    // A recalled message carries none either, and is one.
    if (!frame.messageId || (frame.content === null && frame.recalled !== true)) return undefined;
    // Duplicates are acknowledged too: a redelivery means the server did not get our Ack.
    this.queueAck(frame.messageId);
    if (this.seen.has(frame.messageId)) return undefined;
    this.remember(frame.messageId);
    return toChatMessage(frame);
  }

  /** The group ack is also our copy of the delivery; acknowledging it keeps it from coming back. */
  receiveOwnCopy(messageId: string): void {
    this.remember(messageId);
    this.queueAck(messageId);
  }

  flushAcks(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const ids = this.acks;
    this.acks = [];
    for (let start = 0; start < ids.length; start += ACK_BATCH_LIMIT) this.sendAck(ids.slice(start, start + ACK_BATCH_LIMIT));
  }

  /** Drops the acks not sent yet: the server redelivers those messages, and they are acked then. */
  dropAcks(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.acks = [];
  }

  private remember(messageId: string): void {
    this.seen.add(messageId);
    if (this.seen.size > this.dedupWindow) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  private queueAck(messageId: string): void {
    this.acks.push(messageId);
    this.ackTimer ??= setTimeout(() => this.flushAcks(), this.ackDelayMs);
  }
}
