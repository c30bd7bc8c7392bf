import { Injectable } from '@nestjs/common';
import { LocalSessions } from '../cluster/local-sessions';
import { ClientFrame, FrameRefusal, ResponseFields } from '../handlers/frame';
import { FrameContext, FrameRoute, FrameRoutes } from '../handlers/frame-route';
import { MessageType, RefusalCode } from '../protocol';
import { normalizeUsername } from '../users/user-rules';
import { PRESENCE_USERNAMES_MAX, PresenceReasons } from './presence-rules';
import { PresenceService } from './presence.service';
import { TypingService, typingTarget } from './typing.service';

/** PresenceRequest (38/39, with its Presence pushes, 40) and TypingRequest (31, pushed as Typing, 32). */
@Injectable()
export class PresenceFrames implements FrameRoutes {
  constructor(
    private readonly presence: PresenceService,
    private readonly typing: TypingService,
    private readonly local: LocalSessions,
  ) {}

  routes(): FrameRoute[] {
    return [
      { requestType: MessageType.PresenceRequest, handle: (c, f) => this.presenceRequest(c, f) },
      { requestType: MessageType.TypingRequest, handle: (c, f) => this.typingRequest(c, f) },
    ];
  }

  private async presenceRequest(context: FrameContext, frame: ClientFrame): Promise<ResponseFields> {
    const raw = frame.usernames;
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > PRESENCE_USERNAMES_MAX || !raw.every((u) => typeof u === 'string')) {
      throw new FrameRefusal(RefusalCode.InvalidArgument, PresenceReasons.usernames);
    }
    const subscribe = frame.subscribe;
    if (subscribe !== undefined && subscribe !== null && typeof subscribe !== 'boolean') {
      throw new FrameRefusal(RefusalCode.InvalidArgument, PresenceReasons.subscribe);
    }
    const usernames = [...new Set((raw as string[]).map(normalizeUsername))];
    const username = context.username!;
    // A connection is a session while logged in: the subscription ends with it.
    const session = subscribe === true ? (this.local.sessionOf(username, context) ?? null) : null;
    const result = await this.presence.presence(usernames, session);
    if (!result.ok) throw FrameRefusal.of(result);
    return { success: true, reason: null, presence: result.presence };
  }

  private async typingRequest(context: FrameContext, frame: ClientFrame): Promise<void> {
    const from = context.username!;
    const target = typingTarget(from, frame.to, frame.groupName);
    if (!target.ok) throw FrameRefusal.of(target);
    const result = await this.typing.typing(from, target.target);
    if (!result.ok) throw FrameRefusal.of(result);
  }
}
