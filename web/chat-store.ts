/** What the chat page keeps in localStorage so a reload finds the session and the conversations. */

export type ConversationKind = 'user' | 'group';

export interface Conversation {
  key: string;
  kind: ConversationKind;
  /** The other user, or the group. */
  name: string;
  unread: number;
  /** Epoch ms of the last message or action, to sort the list. */
  lastActivity: number;
}

export interface StoredMessage {
  /** The server's messageId, or `local:…` while a send is not acknowledged yet. */
  id: string;
  from: string;
  content: string;
  time: string;
  state?: 'sending' | 'failed';
  reason?: string;
}

export interface SavedSession {
  username: string;
  token: string;
}

const SESSION_KEY = 'chat.session';
/** Newest messages kept per conversation; older ones come back from the server's history. */
export const STORED_MESSAGES_PER_CONVERSATION = 200;

export function conversationKey(kind: ConversationKind, name: string): string {
  return `${kind}:${name}`;
}

export function isServerId(id: string): boolean {
  return /^\d+$/.test(id);
}

/** Server ids in numeric order (64-bit: compared as BigInt); unacknowledged sends last. */
export function compareMessages(a: StoredMessage, b: StoredMessage): number {
  const aServer = isServerId(a.id);
  const bServer = isServerId(b.id);
  if (aServer && bServer) {
    const x = BigInt(a.id);
    const y = BigInt(b.id);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (aServer !== bServer) return aServer ? -1 : 1;
  return a.time.localeCompare(b.time);
}

function read<T>(key: string, valid: (value: unknown) => value is T): T | undefined {
  try {
    const raw = localStorage.getItem(key);
    if (raw === null) return undefined;
    const value: unknown = JSON.parse(raw);
    return valid(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function write(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // A full or blocked storage costs only what a reload would have shown from cache.
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function isSession(value: unknown): value is SavedSession {
  return isObject(value) && typeof value.username === 'string' && typeof value.token === 'string';
}

function isConversationList(value: unknown): value is Conversation[] {
  return (
    Array.isArray(value) &&
    value.every((c) => isObject(c) && typeof c.key === 'string' && (c.kind === 'user' || c.kind === 'group') && typeof c.name === 'string')
  );
}

function isMessageList(value: unknown): value is StoredMessage[] {
  return (
    Array.isArray(value) &&
    value.every((m) => isObject(m) && typeof m.id === 'string' && typeof m.from === 'string' && typeof m.content === 'string')
  );
}

export function loadSession(): SavedSession | undefined {
  return read(SESSION_KEY, isSession);
}

export function saveSession(session: SavedSession): void {
  write(SESSION_KEY, session);
}

export function clearSession(): void {
  try {
    localStorage.removeItem(SESSION_KEY);
  } catch {
    // Nothing to clear.
  }
}

/** One user's conversations and recent messages. */
export class ChatStore {
  constructor(readonly username: string) {}

  private key(suffix: string): string {
    return `chat.${encodeURIComponent(this.username)}.${suffix}`;
  }

  conversations(): Conversation[] {
    const list = read(this.key('conversations'), isConversationList) ?? [];
    return list.map((c) => ({ ...c, unread: Number(c.unread) || 0, lastActivity: Number(c.lastActivity) || 0 }));
  }

  saveConversations(list: Iterable<Conversation>): void {
    write(this.key('conversations'), [...list]);
  }

  activeConversation(): string | undefined {
    return read(this.key('active'), (value): value is string => typeof value === 'string');
  }

  saveActiveConversation(key: string | undefined): void {
    write(this.key('active'), key ?? null);
  }

  messages(conversation: string): StoredMessage[] {
    return (read(this.key(`messages.${conversation}`), isMessageList) ?? []).filter((m) => isServerId(m.id)).sort(compareMessages);
  }

  /** Keeps the newest acknowledged messages; sends still in flight are not worth a reload. */
  saveMessages(conversation: string, messages: StoredMessage[]): void {
    const settled = messages.filter((m) => isServerId(m.id)).slice(-STORED_MESSAGES_PER_CONVERSATION);
    write(
      this.key(`messages.${conversation}`),
      settled.map(({ id, from, content, time }) => ({ id, from, content, time })),
    );
  }

  forget(conversation: string): void {
    try {
      localStorage.removeItem(this.key(`messages.${conversation}`));
    } catch {
      // Nothing to forget.
    }
  }
}
