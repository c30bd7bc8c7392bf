import { Injectable } from '@nestjs/common';
import { ACK_IDS_MAX, parseHistoryLimit, parseMessageId } from '../sending/message-rules';
import { GroupsService } from '../groups/groups.service';
import { MessagesService } from '../messages/messages.service';
import { Result } from '../common/refusal';
import { MessageType, RefusalCode } from '../protocol';
import { ClientFrame, FrameRefusal, ResponseFields } from '../handlers/frame';
import { FrameContext, FrameRoute, FrameRoutes } from '../handlers/frame-route';

/** Ack (22) and History (23/24), which span 1:1 and group conversations. */
@Injectable()
export class ConversationFrames implements FrameRoutes {
  constructor(
    private readonly messages: MessagesService,
    private readonly groups: GroupsService,
  ) {}

  routes(): FrameRoute[] {
    return [
      { requestType: MessageType.Ack, handle: (c, f) => this.ack(c, f) },
      { requestType: MessageType.HistoryRequest, handle: (c, f) => this.history(c, f) },
    ];
  }

  private async ack(connection: FrameContext, frame: ClientFrame): Promise<void> {
    const raw = frame.messageIds;
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > ACK_IDS_MAX) {
      throw new FrameRefusal(RefusalCode.InvalidArgument, `messageIds must be an array of 1 to ${ACK_IDS_MAX} message ids`);
    }
    const ids: string[] = [];
    for (const value of raw) {
      const id = parseMessageId(value);
      if (id === null) throw new FrameRefusal(RefusalCode.InvalidArgument, 'messageIds must hold message ids (decimal strings)');
      ids.push(id);
    }
    // The group messages this connection wrote are placed by it: their cursors move without a lookup of the messages.
    const { seqs, others } = connection.takeDeliveredSeqs(ids);
    await Promise.all([
      others.length > 0 ? this.messages.ack(connection.username!, others) : undefined,
      this.groups.ack(connection.username!, others, seqs),
    ]);
  }

  private async history(connection: FrameContext, frame: ClientFrame): Promise<ResponseFields> {
    const limit = parseHistoryLimit(frame.limit);
    if (limit === null) throw new FrameRefusal(RefusalCode.InvalidArgument, 'limit must be an integer from 1 to 100', { messages: [] });
    let beforeId: string | null = null;
    if (frame.beforeId !== undefined && frame.beforeId !== null) {
      beforeId = parseMessageId(frame.beforeId);
      if (beforeId === null) throw new FrameRefusal(RefusalCode.InvalidArgument, 'beforeId must be a message id', { messages: [] });
    }
    let result: Result<{ messages: object[] }>;
    if (frame.groupName !== undefined && frame.groupName !== null) {
      result = await this.groups.history(connection.username!, frame.groupName, beforeId, limit);
    } else if (typeof frame.with === 'string' && frame.with !== '') {
      result = await this.messages.history(connection.username!, frame.with, beforeId, limit);
    } else {
      throw new FrameRefusal(RefusalCode.InvalidArgument, 'with (a username) or groupName is required', { messages: [] });
    }
    if (!result.ok) throw FrameRefusal.of(result, { messages: [] });
    return { success: true, reason: null, messages: result.messages };
  }
}
