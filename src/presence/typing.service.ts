import { Injectable } from '@nestjs/common';
import { DeliveryService } from '../cluster/delivery.service';
import { Result, refused } from '../common/refusal';
import { GroupsService } from '../groups/groups.service';
import { GroupReasons, groupNameProblem, normalizeGroupName } from '../groups/group-rules';
import { MetricsService } from '../metrics/metrics.service';
import { MessageType, RefusalCode, TypingFrame } from '../protocol';
import { UsersService } from '../users/users.service';
import { Reasons as UserReasons, normalizeUsername } from '../users/user-rules';
import { PresenceReasons, TYPING_INTERVAL_MS, TYPING_THROTTLE_MAX } from './presence-rules';

/** Where a typing notice goes: a peer or a group, as checked. */
export type TypingTarget = { to: string } | { groupName: string };

/**
 * Typing notices: checked, throttled to one per conversation per sender every TYPING_INTERVAL_MS
 * on this instance (whichever of the sender's sessions here sends them), and handed to the peer's
 * or the other members' live sessions anywhere. Nothing is stored.
 */
@Injectable()
export class TypingService {
  /** `sender NUL conversation` → when a notice of it was last forwarded; oldest first, at most TYPING_THROTTLE_MAX. */
  private readonly forwardedAt = new Map<string, number>();

  constructor(
    private readonly users: UsersService,
    private readonly groups: GroupsService,
    private readonly delivery: DeliveryService,
    private readonly metrics: MetricsService,
  ) {}

  /** Forwards the notice, or drops it quietly when one of this conversation went out less than the interval ago. */
  async typing(from: string, target: TypingTarget, now = Date.now()): Promise<Result> {
    const key = 'to' in target ? `${from}\0u:${target.to}` : `${from}\0g:${target.groupName}`;
    const last = this.forwardedAt.get(key);
    if (last !== undefined && now - last < TYPING_INTERVAL_MS) {
      this.metrics.typing.inc({ outcome: 'throttled' });
      return { ok: true };
    }
    // Taken before the lookup, so that notices arriving meanwhile are throttled too; given back if this one is refused.
    this.remember(key, now);
    const found = await this.recipients(from, target);
    if (!found.ok) {
      if (this.forwardedAt.get(key) === now) this.forwardedAt.delete(key);
      return found;
    }
    const { recipients, frame } = found;
    this.metrics.typing.inc({ outcome: 'forwarded' });
    frame.time = new Date().toISOString();
    if (recipients.length > 0) await this.delivery.deliver(recipients, { frame: JSON.stringify(frame) });
    return { ok: true };
  }

  private async recipients(from: string, target: TypingTarget): Promise<Result<{ recipients: string[]; frame: TypingFrame }>> {
    const frame: TypingFrame = { messageType: MessageType.Typing, sequenceId: 0, from };
    if ('to' in target) {
      if (!(await this.users.exists(target.to))) return refused(RefusalCode.NotFound, UserReasons.userNotFound);
      frame.to = target.to;
      return { ok: true, recipients: [target.to], frame };
    }
    const members = await this.groups.members(from, target.groupName);
    if (!members.ok) return members;
    frame.groupName = members.groupName;
    return { ok: true, recipients: members.members.filter((m) => m !== from), frame };
  }

  private remember(key: string, now: number): void {
    this.forwardedAt.delete(key);
    this.forwardedAt.set(key, now);
    if (this.forwardedAt.size > TYPING_THROTTLE_MAX) this.forwardedAt.delete(this.forwardedAt.keys().next().value as string);
  }
}

/** Reads a TypingRequest's target: exactly one of `to` (not the sender) and `groupName`, both NFC. */
export function typingTarget(from: string, to: unknown, groupName: unknown): Result<{ target: TypingTarget }> {
  const hasTo = to !== undefined && to !== null;
  const hasGroup = groupName !== undefined && groupName !== null;
  if (hasTo === hasGroup) return refused(RefusalCode.InvalidArgument, PresenceReasons.typingTarget, 'invalid');
  if (hasTo) {
    if (typeof to !== 'string' || to === '') return refused(RefusalCode.InvalidArgument, 'to must be a non-empty string', 'invalid');
    const name = normalizeUsername(to);
    if (name === from) return refused(RefusalCode.InvalidArgument, PresenceReasons.typingSelf, 'invalid');
    return { ok: true, target: { to: name } };
  }
  if (typeof groupName !== 'string') return refused(RefusalCode.InvalidArgument, 'groupName must be a string', 'invalid');
  const problem = groupNameProblem(groupName);
  if (problem === GroupReasons.nameRequired) return refused(RefusalCode.InvalidArgument, problem, 'invalid');
  // As in a group send: a name no group can have is a group that does not exist.
  if (problem !== null) return refused(RefusalCode.NotFound, GroupReasons.notFound);
  return { ok: true, target: { groupName: normalizeGroupName(groupName) } };
}
