import { Injectable } from '@nestjs/common';
import { Result } from '../common/refusal';
import { MessageType, RefusalCode } from '../protocol';
import { ClientFrame, FrameRefusal, ResponseFields } from '../handlers/frame';
import { FrameContext, FrameRoute, FrameRoutes } from '../handlers/frame-route';
import { FROM_MISMATCH, isSelf } from '../handlers/sender';
import { normalizeUsername } from '../users/user-rules';
import { GroupReasons } from './group-rules';
import { GroupsService } from './groups.service';

/** Group requests 7, 9, 11, 13 and 15. */
@Injectable()
export class GroupFrames implements FrameRoutes {
  constructor(private readonly groups: GroupsService) {}

  routes(): FrameRoute[] {
    return [
      { requestType: MessageType.GroupChatRequest, handle: (c, f) => this.chat(c, f) },
      { requestType: MessageType.GroupCreateRequest, handle: (c, f) => this.create(c, f) },
      { requestType: MessageType.GroupJoinRequest, handle: (c, f) => this.join(c, f) },
      {
        requestType: MessageType.GroupMembersRequest,
        handle: (c, f) => this.members(c, f),
      },
      { requestType: MessageType.GroupQuitRequest, handle: (c, f) => this.quit(c, f) },
    ];
  }

  /** The sender's copy, delivered to every connection of every member, is the acknowledgement. */
  private async chat(connection: FrameContext, frame: ClientFrame): Promise<ResponseFields | void> {
    const username = connection.username!;
    const refusal = { from: username, groupName: typeof frame.groupName === 'string' ? frame.groupName : null };
    if (!isSelf(frame.from, username)) throw new FrameRefusal(RefusalCode.Forbidden, FROM_MISMATCH, refusal);
    const result = await this.groups.send({
      from: username,
      groupName: frame.groupName,
      content: frame.content,
      clientMessageId: frame.clientMessageId,
      sequenceId: frame.sequenceId,
    });
    if (!result.ok) throw FrameRefusal.of(result, refusal);
    // A resend's acknowledgement is the original copy, echoing this request's sequenceId.
    if (result.duplicate) {
      const { messageType: _type, sequenceId: _sequence, ...original } = result.frame;
      return original;
    }
  }

  private async create(connection: FrameContext, frame: ClientFrame): Promise<ResponseFields> {
    const result = await this.groups.create(connection.username!, frame.groupName, frame.members);
    if (result.ok) connection.expectSeq(result.stream, result.nextSeq);
    return this.answer(result, frame, (r) => ({ groupName: r.groupName, members: r.members }));
  }

  private async join(connection: FrameContext, frame: ClientFrame): Promise<ResponseFields> {
    this.checkSelf(connection, frame);
    const result = await this.groups.join(connection.username!, frame.groupName);
    if (result.ok) connection.expectSeq(result.stream, result.nextSeq);
    return this.answer(result, frame, (r) => ({ groupName: r.groupName }));
  }

  private async quit(connection: FrameContext, frame: ClientFrame): Promise<ResponseFields> {
    this.checkSelf(connection, frame);
    return this.answer(await this.groups.quit(connection.username!, frame.groupName), frame, (r) => ({ groupName: r.groupName }));
  }

  private async members(connection: FrameContext, frame: ClientFrame): Promise<ResponseFields> {
    const result = await this.groups.members(connection.username!, frame.groupName);
    return this.answer(result, frame, (r) => ({ groupName: r.groupName, members: r.members }));
  }

  /** `username`, when present, must be the logged-in user: nobody joins or quits for someone else. */
  private checkSelf(connection: FrameContext, frame: ClientFrame): void {
    if (frame.username === undefined || frame.username === null) return;
    if (typeof frame.username !== 'string' || normalizeUsername(frame.username) !== connection.username) {
      const groupName = typeof frame.groupName === 'string' ? frame.groupName : null;
      throw new FrameRefusal(RefusalCode.Forbidden, GroupReasons.usernameMismatch, { groupName });
    }
  }

  private answer<T extends object>(result: Result<T>, frame: ClientFrame, fields: (ok: T) => ResponseFields): ResponseFields {
    if (!result.ok) throw FrameRefusal.of(result, { groupName: typeof frame.groupName === 'string' ? frame.groupName : null });
    return { success: true, reason: null, ...fields(result) };
  }
}
