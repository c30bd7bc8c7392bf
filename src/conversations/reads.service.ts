import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { DeliveryService } from '../cluster/delivery.service';
import { Result } from '../common/refusal';
import { GroupsService, groupFrame } from '../groups/groups.service';
import { MessageStore } from '../messages/message.store';
import { MessagesService, directFrame } from '../messages/messages.service';
import { ConversationEntry, MessageType, ReadReceiptFrame } from '../protocol';
import { GroupReads, ReceiptWindows } from './receipt-windows';

/** A group's read receipts reach each member at most once per this long (docs/protocol.md §3.20). */
export const GROUP_RECEIPT_WINDOW_MS = 1000;

/** What a ReadRequest names: a peer or a group. */
export type ReadTarget = { with: string } | { groupName: unknown };

export interface ReadDone {
  with: string | null;
  groupName: string | null;
  messageId: string;
}

/** An opaque cursor of the conversation list: the last message id of the page's last conversation. */
export function encodeCursor(lastMessageId: string): string {
  return Buffer.from(`c${lastMessageId}`).toString('base64url');
}

/** The last message id a cursor holds, or null when it is not one this server made. */
export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString();
  if (!/^c[1-9]\d{0,18}$/.test(text) || BigInt(text.slice(1)) > 9223372036854775807n) return null;
  const id = text.slice(1);
  return encodeCursor(id) === cursor ? id : null;
}

interface ListEntry {
  lastMessageId: string;
  build: (record: Parameters<typeof directFrame>[0]) => ConversationEntry;
}

/** Read positions (ReadRequest, ReadReceipt pushes) and the list of a user's conversations. */
@Injectable()
export class ReadsService implements OnApplicationShutdown {
  private readonly windows = new ReceiptWindows(GROUP_RECEIPT_WINDOW_MS, (reads) => void this.pushGroup(reads));

  constructor(
    private readonly messages: MessagesService,
    private readonly groups: GroupsService,
    private readonly store: MessageStore,
    private readonly delivery: DeliveryService,
  ) {}

  onApplicationShutdown(): void {
    this.windows.close();
  }

  /**
   * Moves the reader's position forward; when it moved, pushes the receipt (after the response:
   * the requesting connection gets it too, as one of the reader's sessions).
   */
  async read(reader: string, target: ReadTarget, messageId: string): Promise<Result<ReadDone>> {
    if ('groupName' in target) {
      const result = await this.groups.read(reader, target.groupName, messageId);
      if (!result.ok) return result;
      if (result.moved) this.windows.add(result.groupId, result.groupName, result.members, reader, result.read);
      return { ok: true, with: null, groupName: result.groupName, messageId: result.read };
    }
    const result = await this.messages.read(reader, target.with, messageId);
    if (!result.ok) return result;
    if (result.moved) setImmediate(() => void this.pushDirect(reader, result.peer, result.read));
    return { ok: true, with: result.peer, groupName: null, messageId: result.read };
  }

  private async pushDirect(reader: string, peer: string, messageId: string): Promise<void> {
    const time = new Date().toISOString();
    const receipt = (other: string): string =>
      JSON.stringify({ messageType: MessageType.ReadReceipt, sequenceId: 0, from: reader, with: other, messageId, time });
    await Promise.all([
      this.delivery.deliver([peer], { frame: receipt(reader) }),
      this.delivery.deliver([reader], { frame: receipt(peer) }),
    ]);
  }

  /** One push to every member: the latest read in `from`/`messageId`, every read of the window in `reads`. */
  private async pushGroup(reads: GroupReads): Promise<void> {
    const all = [...reads.readers].map(([from, messageId]) => ({ from, messageId }));
    const latest = all[all.length - 1];
    const frame: ReadReceiptFrame = {
      messageType: MessageType.ReadReceipt,
      sequenceId: 0,
      from: latest.from,
      groupName: reads.groupName,
      messageId: latest.messageId,
      reads: all,
      time: new Date().toISOString(),
    };
    await this.delivery.deliver(reads.members, { frame: JSON.stringify(frame) });
  }

  /**
   * A page of the user's conversations, newest last message first: the newest of the 1:1 index and
   * of the user's groups, merged; `next` is the cursor of the page after, null on the last.
   */
  async conversations(
    username: string,
    beforeId: string | null,
    limit: number,
  ): Promise<{ conversations: ConversationEntry[]; next: string | null }> {
    const [direct, groups] = await Promise.all([
      this.messages.conversations(username, beforeId, limit + 1),
      this.groups.conversations(username, beforeId, limit + 1),
    ]);
    const merged: ListEntry[] = [
      ...direct.map((c): ListEntry => ({
        lastMessageId: c.lastMessageId,
        build: (record) => ({
          with: c.peer,
          lastMessage: directFrame(record, false),
          unread: c.unread,
          readUpTo: c.read === '0' ? null : c.read,
          peerReadUpTo: c.peerRead === '0' ? null : c.peerRead,
        }),
      })),
      ...groups.map((g): ListEntry => ({
        lastMessageId: g.lastMessageId,
        build: (record) => ({
          groupName: g.name,
          lastMessage: groupFrame(record, g.name, false) as unknown as ConversationEntry['lastMessage'],
          unread: g.unread,
          readUpTo: g.readId,
        }),
      })),
    ].sort((a, b) => (BigInt(b.lastMessageId) > BigInt(a.lastMessageId) ? 1 : -1));
    const page = merged.slice(0, limit);
    const records = new Map((await this.store.byIds(page.map((e) => e.lastMessageId))).map((r) => [r.id, r]));
    const conversations = page.flatMap((entry) => {
      const record = records.get(entry.lastMessageId);
      return record ? [entry.build(record)] : [];
    });
    const next = merged.length > limit ? encodeCursor(page[page.length - 1].lastMessageId) : null;
    return { conversations, next };
  }
}
