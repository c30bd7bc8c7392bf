import { Injectable } from '@nestjs/common';
import { parseMessageId } from '../sending/message-rules';
import { MessageType, RefusalCode } from '../protocol';
import { ClientFrame, FrameRefusal, ResponseFields } from '../handlers/frame';
import { FrameContext, FrameRoute, FrameRoutes } from '../handlers/frame-route';
import { ReadTarget, ReadsService, decodeCursor } from './reads.service';

export const CONVERSATIONS_LIMIT_DEFAULT = 20;
export const CONVERSATIONS_LIMIT_MAX = 100;

export const ReadReasons = {
  messageId: 'messageId must be a message id',
  target: 'with (a username) or groupName is required',
  limit: `limit must be an integer from 1 to ${CONVERSATIONS_LIMIT_MAX}`,
  before: 'before must be the next cursor of a previous page',
} as const;

/** ReadRequest (33/34) and ConversationsRequest (36/37). */
@Injectable()
export class ReadFrames implements FrameRoutes {
  constructor(private readonly reads: ReadsService) {}

  routes(): FrameRoute[] {
    return [
      { requestType: MessageType.ReadRequest, handle: (c, f) => this.read(c, f) },
      { requestType: MessageType.ConversationsRequest, handle: (c, f) => this.conversations(c, f) },
    ];
  }

  private async read(connection: FrameContext, frame: ClientFrame): Promise<ResponseFields> {
    const fields = {
      with: typeof frame.with === 'string' ? frame.with : null,
      groupName: typeof frame.groupName === 'string' ? frame.groupName : null,
      messageId: null,
    };
    const messageId = parseMessageId(frame.messageId);
    if (messageId === null) throw new FrameRefusal(RefusalCode.InvalidArgument, ReadReasons.messageId, fields);
    let target: ReadTarget;
    if (frame.groupName !== undefined && frame.groupName !== null) target = { groupName: frame.groupName };
    else if (typeof frame.with === 'string' && frame.with !== '') target = { with: frame.with };
    else throw new FrameRefusal(RefusalCode.InvalidArgument, ReadReasons.target, fields);
    const result = await this.reads.read(connection.username!, target, messageId);
    if (!result.ok) throw FrameRefusal.of(result, fields);
    return { success: true, reason: null, with: result.with, groupName: result.groupName, messageId: result.messageId };
  }

  private async conversations(connection: FrameContext, frame: ClientFrame): Promise<ResponseFields> {
    const empty = { conversations: [], next: null };
    let limit = CONVERSATIONS_LIMIT_DEFAULT;
    if (frame.limit !== undefined && frame.limit !== null) {
      if (!Number.isInteger(frame.limit) || (frame.limit as number) < 1 || (frame.limit as number) > CONVERSATIONS_LIMIT_MAX) {
        throw new FrameRefusal(RefusalCode.InvalidArgument, ReadReasons.limit, empty);
      }
      limit = frame.limit as number;
    }
    let beforeId: string | null = null;
    if (frame.before !== undefined && frame.before !== null) {
      beforeId = typeof frame.before === 'string' ? decodeCursor(frame.before) : null;
      if (beforeId === null) throw new FrameRefusal(RefusalCode.InvalidArgument, ReadReasons.before, empty);
    }
    const page = await this.reads.conversations(connection.username!, beforeId, limit);
    return { success: true, reason: null, ...page };
  }
}
