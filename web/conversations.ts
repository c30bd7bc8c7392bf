import { ChatStore, Conversation, ConversationKind, StoredMessage, compareMessages, conversationKey } from './chat-store';

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

  /** The open conversation's key. */
  get active(): string | undefined {
    return this.activeKey;
  }

  /** Loads what the store kept for `username`, and the conversation that was open. */
  load(username: string): void {
    this.store = new ChatStore(username);
    this.conversations.clear();
    for (const conversation of this.store.conversations()) this.conversations.set(conversation.key, conversation);
    this.messages.clear();
    this.complete.clear();
    const active = this.store.activeConversation();
    this.activeKey = active && this.conversations.has(active) ? active : undefined;
  }

  /** Forgets everything, after signing out (what is stored stays for the next sign-in). */
  clear(): void {
    this.store = undefined;
    this.activeKey = undefined;
    this.conversations.clear();
    this.messages.clear();
    this.complete.clear();
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

  /** Adds the messages not known yet (by messageId); true when any was new. */
  merge(key: string, incoming: StoredMessage[]): boolean {
    const list = this.messagesOf(key);
    const known = new Set(list.map((message) => message.id));
    let added = false;
    for (const message of incoming) {
      if (known.has(message.id)) continue;
      list.push(message);
      known.add(message.id);
      added = true;
    }
    if (added) {
      list.sort(compareMessages);
      this.store?.saveMessages(key, list);
    }
    return added;
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
