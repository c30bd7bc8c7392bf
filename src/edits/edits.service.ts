import { Injectable } from '@nestjs/common';
import { DeliveryService } from '../cluster/delivery.service';
import { OfflineReplay, OfflineSource, PendingMessage, PendingSummary } from '../common/offline-source';
import { Result, refused } from '../common/refusal';
import { AppConfig } from '../config/app-config';
import { GroupsService } from '../groups/groups.service';
import { MessageChange, MessageRecord, MessageStore } from '../messages/message.store';
import { RefusalCode, messageChangedFrame } from '../protocol';
import { PushService } from '../push/push.service';
import { contentProblem, parseMessageId } from '../sending/message-rules';

export const EditReasons = {
  messageId: 'messageId must be a message id',
  notFound: 'Message does not exist',
  notSender: 'Only the sender may change a message',
  recalled: 'The message was recalled',
  changedMeanwhile: 'The message changed meanwhile, please try again',
} as const;

export function windowPassed(seconds: number): string {
  return `The edit window (${seconds} s after sending) has passed`;
}

/** The answer to an edit or a recall: the message and when it changed. */
export interface Changed {
  messageId: string;
  editedAt: string;
}

/** Who sees a message: the two parties of a 1:1 message, the members of a group (with its name). */
interface Conversation {
  members: string[];
  groupName: string | null;
}

/**
 * Edit and recall by the sender, within EDIT_WINDOW_SECONDS: stored, then pushed as
 * MessageChanged to every live session of the conversation anywhere. Users without one get the
 * change recorded and pushed at their next login (the offline source below). Offline pushes still
 * queued for the message are given the new preview, or dropped for a recall (PushService).
 */
@Injectable()
export class EditsService extends OfflineSource {
  constructor(
    private readonly config: AppConfig,
    private readonly store: MessageStore,
    private readonly groups: GroupsService,
    private readonly delivery: DeliveryService,
    private readonly offlinePush: PushService,
  ) {
    super();
  }

  edit(username: string, messageId: unknown, content: unknown): Promise<Result<Changed>> {
    const problem = contentProblem(content, this.config.limits.maxContentBytes);
    if (problem) return Promise.resolve(refused(RefusalCode.InvalidArgument, problem, 'invalid'));
    return this.change(username, messageId, { kind: 'edit', content: content as string });
  }

  recall(username: string, messageId: unknown): Promise<Result<Changed>> {
    return this.change(username, messageId, { kind: 'recall' });
  }

  private async change(username: string, rawId: unknown, change: MessageChange): Promise<Result<Changed>> {
    const id = parseMessageId(rawId);
    if (id === null) return refused(RefusalCode.InvalidArgument, EditReasons.messageId, 'invalid');
    const window = this.config.messages.editWindowSeconds;
    const message = await this.store.findMessage(id, window);
    // A message of a conversation the user is not part of is not revealed: it does not exist for them.
    const conversation = message && (await this.conversationOf(message, username));
    if (!message || !conversation) return refused(RefusalCode.NotFound, EditReasons.notFound);
    if (message.sender !== username) return refused(RefusalCode.Forbidden, EditReasons.notSender);
    if (message.recalled) {
      // A recall repeated (a retry) is answered as the first one was; an edit comes too late.
      if (change.kind === 'recall') return { ok: true, messageId: id, editedAt: message.editedAt!.toISOString() };
      return refused(RefusalCode.Conflict, EditReasons.recalled);
    }
    if (!message.inWindow) return refused(RefusalCode.LimitExceeded, windowPassed(window));
    const changed = await this.store.change(id, username, change, window, conversation.members);
    if (!changed) return refused(RefusalCode.Conflict, EditReasons.changedMeanwhile);
    await this.offlinePush.messageChanged(id, change.kind === 'edit' ? change.content : null);
    const editedAt = changed.editedAt!;
    const frame = { ...this.frameOf(changed, conversation.groupName), time: new Date().toISOString() };
    // A push, not a copy of the message: no messageId, so no connection drops it as a repeat.
    const reached = await this.delivery.deliver(conversation.members, { frame: JSON.stringify(frame) });
    await this.store.changeDelivered([...reached], id, editedAt);
    return { ok: true, messageId: id, editedAt: editedAt.toISOString() };
  }

  private async conversationOf(message: MessageRecord, username: string): Promise<Conversation | null> {
    if (message.groupId === null) {
      if (message.sender !== username && message.recipient !== username) return null;
      return { members: [message.sender, message.recipient!], groupName: null };
    }
    const group = await this.groups.membersById(username, message.groupId);
    return group && { members: group.members, groupName: group.groupName };
  }

  private frameOf(message: MessageRecord, groupName: string | null) {
    return messageChangedFrame({
      messageId: message.id,
      from: message.sender,
      to: message.recipient,
      groupName,
      content: message.content,
      recalled: message.recalled === true,
      editedAt: message.editedAt!.toISOString(),
    });
  }

  /** The changes recorded while the user had no live session, each taken (deleted) as its page is read. */
  open(username: string, summary: PendingSummary): Promise<OfflineReplay> {
    return Promise.resolve({
      nextSeqs: new Map(),
      page: async (_after, limit) => {
        if (!summary.changes) return [];
        const messages = await this.store.takeChanges(username, limit);
        const pending: PendingMessage[] = [];
        for (const message of messages) {
          const groupName = message.groupId === null ? null : await this.groups.nameOf(message.groupId);
          if (message.groupId !== null && groupName === null) continue;
          const frame = { ...this.frameOf(message, groupName), time: new Date().toISOString() };
          pending.push({ messageId: message.id, frame: JSON.stringify(frame), push: true });
        }
        return pending;
      },
    });
  }
}
