import { Injectable } from '@nestjs/common';
import { DeliveryService } from '../cluster/delivery.service';
import { OfflineReplay, OfflineSource, PendingMessage, PendingSummary } from '../common/offline-source';
import { MessageType, RefusalCode, changedFields } from '../protocol';
import { Refused, Result, refused } from '../common/refusal';
import { AppConfig } from '../config/app-config';
import { GroupGoneError, GroupLog, MessageRecord, MessageStore, StoredMessage, advanceCursors } from '../messages/message.store';
import { Audience, CheckedSend, SendPipeline, SendRequest } from '../sending/send-pipeline';
import { MetricsService } from '../metrics/metrics.service';
import { PushService } from '../push/push.service';
import { normalizeUsername } from '../users/user-rules';
import { UsersService } from '../users/users.service';
import { RateLimitsService } from '../limits/rate-limits.service';
import { GROUP_MEMBERS_MAX, GroupReasons, addedNotice, groupNameKey, groupNameProblem, normalizeGroupName } from './group-rules';
import { GroupConversation, GroupWithMembers, GroupsRepository } from './groups.repository';

/** Where a connection's ordering of a group's messages starts. */
export interface OrderStart {
  stream: string;
  nextSeq: number;
}

/** The ordered stream of a group's messages, as connections know it. */
export function streamOf(groupId: number): string {
  return `g:${groupId}`;
}

/** The group of a stream `streamOf` made; null for any other. */
export function groupOfStream(stream: string): number | null {
  const id = stream.startsWith('g:') ? Number(stream.slice(2)) : NaN;
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

export interface GroupSend extends SendRequest {
  groupName: unknown;
}

/** The sender's acknowledgement of a group message: its copy, as every member gets it. */
export interface GroupSent {
  messageId: string;
  duplicate: boolean;
  frame: Record<string, unknown>;
}

/** A group a send goes to, with its members. */
interface GroupTarget {
  group: GroupWithMembers;
  members: string[];
}

/** A group message as a GroupChatResponse: deliveries, offline replay, history. */
export function groupFrame(message: MessageRecord, groupName: string, offline: boolean): Record<string, unknown> {
  return {
    messageType: MessageType.GroupChatResponse,
    sequenceId: message.sequenceId,
    success: true,
    reason: null,
    from: message.sender,
    groupName,
    content: message.recalled ? null : message.content,
    messageId: message.id,
    offline,
    time: message.createdAt.toISOString(),
    ...changedFields(message.editedAt?.toISOString(), message.recalled),
  };
}

/** A name no group can have is a missing group, except a missing name, which is bad input. */
function unusableName(problem: string): Refused {
  if (problem === GroupReasons.nameRequired) return refused(RefusalCode.InvalidArgument, problem);
  return refused(RefusalCode.NotFound, GroupReasons.notFound);
}

/** Group names kept for replays, at most; past it the cache starts again (names are looked up once more). */
const KNOWN_NAMES_MAX = 100_000;

/** Groups: membership in the database, and group messages fanned out to every member's connections. */
@Injectable()
export class GroupsService extends OfflineSource {
  private readonly pipeline: SendPipeline<GroupSend, GroupTarget, GroupSent>;
  /** Group messages go to the message log; their seqs are written to this feature's table in the same transaction. */
  private readonly log: GroupLog;
  /** Group names by id, for replaying messages; a name never changes while its group lives. */
  private readonly names = new Map<number, string>();

  constructor(
    private readonly config: AppConfig,
    private readonly groups: GroupsRepository,
    private readonly store: MessageStore,
    private readonly users: UsersService,
    private readonly delivery: DeliveryService,
    private readonly metrics: MetricsService,
    private readonly limits: RateLimitsService,
    private readonly offlinePush: PushService,
  ) {
    super();
    this.log = store.groupLog(groups);
    const audience: Audience<GroupSend, GroupTarget, GroupSent> = {
      address: () => null,
      resolve: async (request) => {
        const found = await this.memberGroup(request.from, request.groupName);
        return found.ok ? { ok: true, target: found } : found;
      },
      append: (request, target) => this.append(request, target.group.id),
      isFor: (original, target) => original.groupId === target.group.id,
      deliver: (request, target, stored) => this.deliver(request, target, stored),
    };
    this.pipeline = new SendPipeline(audience, config.limits.maxContentBytes);
  }

  /** Creates a group with its creator and the requested members who exist; pushes a GroupCreateResponse to those online. */
  async create(
    creator: string,
    groupName: unknown,
    requested: unknown,
  ): Promise<Result<{ groupName: string; members: string[] } & OrderStart>> {
    const problem = groupNameProblem(groupName);
    if (problem) return refused(RefusalCode.InvalidArgument, problem, 'invalid');
    if (
      requested !== undefined &&
      requested !== null &&
      (!Array.isArray(requested) || requested.length > GROUP_MEMBERS_MAX || requested.some((m) => typeof m !== 'string'))
    ) {
      return refused(RefusalCode.InvalidArgument, GroupReasons.membersInvalid, 'invalid');
    }
    const name = normalizeGroupName(groupName as string);
    const limited = await this.limits.consume('groupCreatePerUser', creator);
    if (!limited.ok) return refused(RefusalCode.RateLimited, GroupReasons.tooManyCreated(limited.retryAfterSeconds));
    const wanted = [creator, ...((requested as string[] | undefined) ?? []).map(normalizeUsername)];
    const ids = await this.users.idsOf([...new Set(wanted)]);
    const creatorId = ids.get(creator);
    if (creatorId === undefined) return refused(RefusalCode.NotFound, GroupReasons.unknownUser);
    const max = this.config.limits.maxGroupsPerUser;
    if ((await this.groups.membershipCount(creatorId)) >= max) return refused(RefusalCode.LimitExceeded, GroupReasons.tooManyGroups(max));
    // Requested members already in MAX_GROUPS_PER_USER groups are left out, as names of nobody are.
    const created = await this.groups.create(name, groupNameKey(name), creator, [...ids.values()], max);
    if (created === null) return refused(RefusalCode.Conflict, GroupReasons.nameTaken);
    const groupId = created.groupId;
    const addedIds = new Set(created.memberIds);
    const members = [...ids].filter(([, id]) => addedIds.has(id)).map(([member]) => member);
    this.remember(groupId, name);
    const added = members.filter((m) => m !== creator);
    if (added.length > 0) {
      const push = JSON.stringify({
        messageType: MessageType.GroupCreateResponse,
        sequenceId: 0,
        success: true,
        reason: addedNotice(name),
        groupName: name,
        members,
        time: new Date().toISOString(),
      });
      await this.delivery.deliver(added, { frame: push, opens: { stream: streamOf(groupId), next: 1 } });
    }
    return { ok: true, groupName: name, members, stream: streamOf(groupId), nextSeq: 1 };
  }

  /** Joins a group; true also when already a member. */
  async join(username: string, groupName: unknown): Promise<Result<{ groupName: string } & OrderStart>> {
    const problem = groupNameProblem(groupName);
    if (problem) return unusableName(problem);
    const name = normalizeGroupName(groupName as string);
    const ids = await this.users.idsOf([username]);
    const userId = ids.get(username);
    if (userId === undefined) return refused(RefusalCode.NotFound, GroupReasons.unknownUser);
    const result = await this.groups.addMember(name, userId, this.config.limits.maxGroupsPerUser);
    if (!result) return refused(RefusalCode.NotFound, GroupReasons.notFound);
    if (result.full) return refused(RefusalCode.LimitExceeded, GroupReasons.tooManyGroups(this.config.limits.maxGroupsPerUser));
    return { ok: true, groupName: name, stream: streamOf(result.groupId), nextSeq: Number(result.lastSeq) + 1 };
  }

  /** Leaves a group; the group is deleted when its last member leaves. */
  async quit(username: string, groupName: unknown, selfInitiated = true): Promise<Result<{ groupName: string }>> {
    const problem = groupNameProblem(groupName);
    if (problem) return unusableName(problem);
    const userId = (await this.users.idsOf([username])).get(username);
    if (userId === undefined) return refused(RefusalCode.NotFound, GroupReasons.unknownUser);
    const name = normalizeGroupName(groupName as string);
    const result = await this.groups.removeMember(name, userId);
    if (result.status === 'no-group') return refused(RefusalCode.NotFound, GroupReasons.notFound);
    if (result.status === 'not-member') {
      return refused(RefusalCode.Forbidden, selfInitiated ? GroupReasons.notMember : GroupReasons.userNotMember);
    }
    if (result.deletedGroupId !== undefined) this.names.delete(result.deletedGroupId);
    return { ok: true, groupName: name };
  }

  /** The members of a group, for its members only. */
  async members(username: string, groupName: unknown): Promise<Result<{ groupName: string; members: string[] }>> {
    const found = await this.memberGroup(username, groupName);
    if (!found.ok) return found;
    return { ok: true, groupName: found.group.name, members: found.members };
  }

  /** Checks, stores with the group's next seq, then delivers to every connection of every member (see SendPipeline). */
  send(request: GroupSend): Promise<Result<GroupSent>> {
    return this.pipeline.send(request);
  }

  private async append(request: CheckedSend, groupId: number): Promise<Result<{ stored: StoredMessage }>> {
    const storing = this.log.append({
      sender: request.from,
      groupId,
      content: request.content,
      clientMessageId: request.clientMessageId,
      sequenceId: request.sequenceId,
    });
    try {
      return { ok: true, stored: await storing };
    } catch (error) {
      if (error instanceof GroupGoneError) return refused(RefusalCode.NotFound, GroupReasons.notFound);
      throw error;
    }
  }

  private async deliver(request: CheckedSend, { group, members }: GroupTarget, stored: StoredMessage): Promise<GroupSent> {
    const record: MessageRecord = {
      id: stored.id,
      sender: request.from,
      recipient: null,
      groupId: group.id,
      seq: stored.seq ?? null,
      content: request.content,
      createdAt: stored.createdAt,
      sequenceId: request.sequenceId,
    };
    const frame = groupFrame(stored.original ?? record, group.name, false);
    if (!stored.duplicate) this.metrics.groupStored.inc();
    // A resend delivers the original again: the first try may have died with its instance before delivering.
    // Members drop copies by messageId.
    const reached = await this.delivery.deliver(members, {
      frame: JSON.stringify(frame),
      messageId: stored.id,
      stream: streamOf(group.id),
      seq: Number(stored.seq),
    });
    // Without a webhook no push is queued: the members are not walked on each send for nothing.
    if (this.offlinePush.enabled) {
      const message = stored.original ?? record;
      const offline = members.filter((member) => member !== message.sender && !reached.has(member));
      this.offlinePush.offline({ from: message.sender, groupName: group.name, messageId: stored.id, content: message.content }, offline);
    }
    return { messageId: stored.id, duplicate: stored.duplicate, frame };
  }

  async history(
    username: string,
    groupName: unknown,
    beforeId: string | null,
    limit: number,
  ): Promise<Result<{ messages: Record<string, unknown>[] }>> {
    const found = await this.memberGroup(username, groupName);
    if (!found.ok) return found;
    const messages = await this.store.groupHistory(found.group.id, beforeId, limit);
    return { ok: true, messages: messages.map((m) => groupFrame(m, found.group.name, false)) };
  }

  /**
   * Moves the member's read position in the group forward to `messageId`, a message of the group;
   * returns the group's name, its members and the position after (it never moves back).
   */
  async read(
    username: string,
    groupName: unknown,
    messageId: string,
  ): Promise<Result<{ groupName: string; groupId: number; members: string[]; read: string; moved: boolean }>> {
    const found = await this.memberGroup(username, groupName);
    if (!found.ok) return found;
    const { group, members } = found;
    const seq = await this.store.seqOf(group.id, messageId);
    if (seq === null) return refused(RefusalCode.NotFound, GroupReasons.notInGroup);
    const userId = (await this.users.idsOf([username])).get(username);
    if (userId === undefined) return refused(RefusalCode.NotFound, GroupReasons.unknownUser);
    const moved = await this.groups.readUpTo(group.id, userId, seq);
    const read = moved ? messageId : ((await this.groups.readPosition(group.id, userId))?.readId ?? messageId);
    return { ok: true, groupName: group.name, groupId: group.id, members, read, moved };
  }

  /** A page of the user's groups that have messages, newest last message first, with last message ids below `beforeId`. */
  conversations(username: string, beforeId: string | null, limit: number): Promise<GroupConversation[]> {
    return this.groups.conversationsOf(username, beforeId, limit);
  }

  /** Group messages past the user's cursor in each of their groups, oldest first. */
  async open(_username: string, pending: PendingSummary): Promise<OfflineReplay> {
    const cursors = pending.groups;
    // No group has a seq past the user's cursor: nothing to read (a message past it commits with its group's last_seq).
    const empty = cursors.every((c) => BigInt(c.lastSeq) <= BigInt(c.ackedSeq));
    let reading: { groupId: number; ackedSeq: string }[] = cursors;
    return {
      nextSeqs: new Map(cursors.map((c) => [streamOf(c.groupId), Number(c.lastSeq) + 1])),
      page: async (afterMessageId, limit) => {
        if (empty) return [];
        // Each page reads every group from where the previous page ended in it, by (group_id, seq).
        if (afterMessageId === null) reading = cursors;
        const messages = await this.store.groupMessagesAfter(reading, limit);
        reading = advanceCursors(reading, messages);
        const pending: PendingMessage[] = [];
        for (const message of messages) {
          const name = await this.nameOf(message.groupId!);
          if (name === null) continue;
          pending.push({
            messageId: message.id,
            frame: JSON.stringify(groupFrame(message, name, true)),
            stream: streamOf(message.groupId!),
            seq: Number(message.seq),
          });
        }
        return pending;
      },
    };
  }

  /**
   * Moves the member's cursor in each group to the highest acknowledged seq: `seqs` by stream as
   * the connection wrote them, `messageIds` found in the log.
   */
  async ack(username: string, messageIds: string[], seqs: ReadonlyMap<string, number> = new Map()): Promise<void> {
    const userId = (await this.users.idsOf([username])).get(username);
    if (userId === undefined) return;
    const cursors: { groupId: number; seq: number }[] = [];
    for (const [stream, seq] of seqs) {
      const groupId = groupOfStream(stream);
      if (groupId !== null) cursors.push({ groupId, seq });
    }
    await Promise.all([
      cursors.length > 0 ? this.groups.ackSeqs(userId, cursors) : undefined,
      messageIds.length > 0 ? this.groups.ackCursors(userId, messageIds) : undefined,
    ]);
  }

  /** Pushes each frame to its user's live connections anywhere; true when every user had one. */
  async push(pushes: { username: string; frame: string }[]): Promise<boolean> {
    const reached = await Promise.all(pushes.map(({ username, frame }) => this.delivery.deliver([username], { frame })));
    return reached.every((users, index) => users.has(pushes[index].username));
  }

  /** Adds an existing user to an existing group (the /joinMember route). */
  async addMember(groupName: string, member: string): Promise<Result<object>> {
    const name = normalizeUsername(member);
    if (!(await this.users.exists(name))) return refused(RefusalCode.NotFound, GroupReasons.unknownUser);
    return this.join(name, groupName);
  }

  /** The name and members of the group with this id when `username` is one of them, else null: who sees its messages. */
  async membersById(username: string, groupId: number): Promise<{ groupName: string; members: string[] } | null> {
    const name = await this.nameOf(groupId);
    if (name === null) return null;
    const found = await this.memberGroup(username, name);
    return found.ok ? { groupName: found.group.name, members: found.members } : null;
  }

  private async memberGroup(username: string, groupName: unknown): Promise<Result<{ group: GroupWithMembers; members: string[] }>> {
    const problem = groupNameProblem(groupName);
    if (problem) return unusableName(problem);
    const group = await this.groups.findWithMembers(normalizeGroupName(groupName as string));
    if (!group) return refused(RefusalCode.NotFound, GroupReasons.notFound);
    this.remember(group.id, group.name);
    const names = await this.users.namesOf(group.memberIds);
    const members = group.memberIds.map((id) => names.get(id)).filter((n): n is string => n !== undefined);
    if (!members.includes(username)) return refused(RefusalCode.Forbidden, GroupReasons.notMember);
    return { ok: true, group, members };
  }

  /** A group's name by its id (kept for replays); null when the group is gone. */
  async nameOf(groupId: number): Promise<string | null> {
    const known = this.names.get(groupId);
    if (known !== undefined) return known;
    const name = await this.groups.nameOf(groupId);
    if (name !== null) this.remember(groupId, name);
    return name;
  }

  private remember(groupId: number, name: string): void {
    if (this.names.size >= KNOWN_NAMES_MAX && !this.names.has(groupId)) this.names.clear();
    this.names.set(groupId, name);
  }
}
