import type { ConversationSummary } from '@chat-server/client';
import {
  ChatStore,
  Conversation,
  ConversationKind,
  StoredMessage,
  compareIds,
  compareMessages,
  conversationKey,
  isServerId,
  laterId,
} from './chat-store';

/** An edit (`content`) or a recall of a message, as a MessageChanged push or an edit's answer tells it. */
export interface MessageChange {
  messageId: string;
  content?: string;
  recalled: boolean;
  editedAt: string;
}

/** Whether `change` is newer than what `message` shows: a recall is final, and an older edit never replaces a newer one. */
function supersedes(change: { editedAt?: string; recalled?: boolean }, message: StoredMessage): boolean {
  if (message.recalled || change.editedAt === undefined) return false;
  if (change.recalled) return true;
  return message.editedAt === undefined || Date.parse(change.editedAt) > Date.parse(message.editedAt);
}

function applyTo(message: StoredMessage, change: { content?: string; recalled?: boolean; editedAt?: string }): void {
  message.editedAt = change.editedAt;
  if (change.recalled) {
    message.recalled = true;
    message.content = '';
  } else if (change.content !== undefined) {
    message.content = change.content;
  }
}

/**
 * The signed-in user's conversations and their messages as the page holds them, kept in step
 * with the ChatStore that saves them for a reload.
 */
export class Conversations {
  private store: ChatStore | undefined;
  private readonly conversations = new Map<string, Conversation>();
  /** Messages per conversation, oldest first: the stored ones, then what history and deliveries add. */
  private readonly messages = new Map<string, StoredMessage[]>();
  /** Conversations whose history is loaded back to the first message. */
  private readonly complete = new Set<string>();
  private activeKey: string | undefined;
  private me: string | undefined;
  /** Per conversation, the newest message the server's unread count (its last summary) covers. */
  private readonly counted = new Map<string, string>();

  /** The open conversation's key. */
  get active(): string | undefined {
    return this.activeKey;
  }

  /** Loads what the store kept for `username`, and the conversation that was open. */
  load(username: string): void {
    this.store = new ChatStore(username);
    this.me = username;
    this.conversations.clear();
    for (const conversation of this.store.conversations()) this.conversations.set(conversation.key, conversation);
    this.messages.clear();
    this.complete.clear();
    this.counted.clear();
    const active = this.store.activeConversation();
    this.activeKey = active && this.conversations.has(active) ? active : undefined;
  }

  /** Forgets everything, after signing out (what is stored stays for the next sign-in). */
  clear(): void {
    this.store = undefined;
    this.me = undefined;
    this.activeKey = undefined;
    this.conversations.clear();
    this.messages.clear();
    this.complete.clear();
    this.counted.clear();
  }

  get(key: string): Conversation | undefined {
    return this.conversations.get(key);
  }

  get activeConversation(): Conversation | undefined {
    return this.activeKey ? this.conversations.get(this.activeKey) : undefined;
  }

  all(): Iterable<Conversation> {
    return this.conversations.values();
  }

  ensure(kind: ConversationKind, name: string): Conversation {
    const key = conversationKey(kind, name);
    let conversation = this.conversations.get(key);
    if (!conversation) {
      conversation = { key, kind, name, unread: 0, lastActivity: Date.now() };
      this.conversations.set(key, conversation);
    }
    return conversation;
  }

  save(): void {
    this.store?.saveConversations(this.conversations.values());
  }

  /** Makes `key` the open conversation, read; false when there is no such conversation. */
  open(key: string): boolean {
    const conversation = this.conversations.get(key);
    if (!conversation) return false;
    this.activeKey = key;
    conversation.unread = 0;
    this.store?.saveActiveConversation(key);
    this.save();
    return true;
  }

  /** Forgets a conversation and its messages, here and in the store. */
  remove(key: string): void {
    this.conversations.delete(key);
    this.messages.delete(key);
    this.store?.forget(key);
    if (this.activeKey === key) {
      this.activeKey = undefined;
      this.store?.saveActiveConversation(undefined);
    }
    this.save();
  }

  messagesOf(key: string): StoredMessage[] {
    let list = this.messages.get(key);
    if (!list) {
      list = this.store?.messages(key) ?? [];
      this.messages.set(key, list);
    }
    return list;
  }

  /** The message list of `key` if it is loaded, without loading it. */
  loadedMessages(key: string): StoredMessage[] | undefined {
    return this.messages.get(key);
  }

  /**
   * Adds the messages not known yet (by messageId), and takes the newer edits and recalls that
   * history or a replay shows of known ones; true when any was new.
   */
  merge(key: string, incoming: StoredMessage[]): boolean {
    const list = this.messagesOf(key);
    const known = new Map(list.map((message) => [message.id, message]));
    let added = false;
    let changed = false;
    for (const message of incoming) {
      const existing = known.get(message.id);
      if (existing) {
        if (supersedes(message, existing)) {
          applyTo(existing, message);
          changed = true;
        }
        continue;
      }
      list.push(message);
      known.set(message.id, message);
      added = true;
    }
    if (added) list.sort(compareMessages);
    if (added || changed) this.store?.saveMessages(key, list);
    return added;
  }

  /** Applies an edit or a recall to a message of `key`; true when it changed what is shown. */
  applyChange(key: string, change: MessageChange): boolean {
    if (!this.conversations.has(key)) return false;
    const list = this.messagesOf(key);
    const message = list.find((candidate) => candidate.id === change.messageId);
    if (!message || !supersedes(change, message)) return false;
    applyTo(message, change);
    this.store?.saveMessages(key, list);
    return true;
  }

  /** What the server's conversation list says of one: the unread count, the read positions, the last activity. */
  applySummary(summary: ConversationSummary): Conversation {
    const kind: ConversationKind = summary.kind === 'group' ? 'group' : 'user';
    const name = summary.kind === 'group' ? summary.groupName : summary.with;
    const isNew = !this.conversations.has(conversationKey(kind, name));
    const conversation = this.ensure(kind, name);
    const at = Date.parse(summary.lastMessage.time);
    if (!Number.isNaN(at)) conversation.lastActivity = isNew ? at : Math.max(conversation.lastActivity, at);
    conversation.readUpTo = laterId(conversation.readUpTo, summary.readUpTo);
    if (summary.kind === 'chat') conversation.peerReadUpTo = laterId(conversation.peerReadUpTo, summary.peerReadUpTo);
    // The open conversation is marked read as soon as it is seen.
    conversation.unread = conversation.key === this.activeKey ? 0 : summary.unread;
    const counted = laterId(this.counted.get(conversation.key), summary.lastMessage.messageId);
    if (counted !== undefined) this.counted.set(conversation.key, counted);
    return conversation;
  }

  /**
   * A message of someone else arrived in a conversation that is not open: one more unread, unless
   * the server's count already had it (a replay that comes after the conversation list).
   */
  countUnread(key: string, message: StoredMessage): void {
    const conversation = this.conversations.get(key);
    if (!conversation || message.from === this.me || key === this.activeKey) return;
    const counted = this.counted.get(key);
    if (counted !== undefined && isServerId(message.id) && compareIds(message.id, counted) <= 0) return;
    conversation.unread += 1;
  }

  /**
   * A read receipt of `key`: ours (from another device) moves our read position and lowers the
   * unread count; someone else's moves how far the others read. True when anything moved.
   */
  receipt(key: string, from: string, messageId: string): boolean {
    const conversation = this.conversations.get(key);
    if (!conversation) return false;
    if (from === this.me) return this.markedRead(key, messageId);
    const before = conversation.peerReadUpTo;
    conversation.peerReadUpTo = laterId(before, messageId);
    return conversation.peerReadUpTo !== before;
  }

  /** Our read position of `key` moved to `messageId` (or not, if it was further already); the unread count follows. */
  markedRead(key: string, messageId: string): boolean {
    const conversation = this.conversations.get(key);
    if (!conversation) return false;
    const before = { readUpTo: conversation.readUpTo, unread: conversation.unread };
    conversation.readUpTo = laterId(conversation.readUpTo, messageId);
    const readUpTo = conversation.readUpTo;
    if (readUpTo !== undefined) {
      const newer = (this.messages.get(key) ?? []).filter(
        (message) => isServerId(message.id) && message.from !== this.me && compareIds(message.id, readUpTo) > 0,
      );
      conversation.unread = Math.min(conversation.unread, newer.length);
    }
    return conversation.readUpTo !== before.readUpTo || conversation.unread !== before.unread;
  }

  /**
   * The message to mark `key` read up to: its newest stored message, when someone else's message
   * after our read position is loaded (sending moves our own read position: the server counts only
   * others' messages); undefined when there is nothing new to read.
   */
  readTarget(key: string): string | undefined {
    const conversation = this.conversations.get(key);
    const list = this.messages.get(key);
    if (!conversation || !list) return undefined;
    const stored = list.filter((message) => isServerId(message.id));
    const readUpTo = conversation.readUpTo;
    const unread = stored.some((message) => message.from !== this.me && (readUpTo === undefined || compareIds(message.id, readUpTo) > 0));
    return unread ? stored.at(-1)?.id : undefined;
  }

  /** Starts the messages of `key` again from `page`, keeping the sends not acknowledged yet. */
  restart(key: string, page: StoredMessage[], unsent: StoredMessage[]): void {
    this.messages.set(key, [...page, ...unsent]);
    this.store?.saveMessages(key, page);
  }

  saveMessages(key: string, list: StoredMessage[]): void {
    this.store?.saveMessages(key, list);
  }

  isComplete(key: string): boolean {
    return this.complete.has(key);
  }

  markComplete(key: string): void {
    this.complete.add(key);
  }
}
