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
  /** Our read position (the server's, or what we last marked read). */
  readUpTo?: string;
  /** How far the peer read (1:1), or the furthest any other member read (group): our messages up to it are read. */
  peerReadUpTo?: string;
}

export interface StoredMessage {
  /** The server's messageId, or `local:…` while a send is not acknowledged yet. */
  id: string;
  from: string;
  content: string;
  time: string;
  state?: 'sending' | 'failed';
  reason?: string;
  /** 1:1 sends: the server handed it to a live session of the peer when it acknowledged it. */
  delivered?: boolean;
  /** When its sender last edited or recalled it. */
  editedAt?: string;
  /** Its sender recalled it: no content. */
  recalled?: boolean;
}

/** What the ticks of one of our messages say. */
export type TickStatus = 'sending' | 'failed' | 'sent' | 'delivered' | 'read';

/**
 * How long the page offers Edit and Recall on one's own messages: the server's EDIT_WINDOW_SECONDS
 * default (900 s). A server with a shorter window refuses, and the page shows the refusal.
 */
export const EDIT_WINDOW_MS = 15 * 60_000;

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
  if (aServer && bServer) return compareIds(a.id, b.id);
  if (aServer !== bServer) return aServer ? -1 : 1;
  return a.time.localeCompare(b.time);
}

/** Compares two server ids (64-bit: as BigInt). */
export function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The later of two read positions; a position only moves forward. */
export function laterId(a: string | undefined, b: string | undefined | null): string | undefined {
  if (b === undefined || b === null || !isServerId(b)) return a;
  if (a === undefined || !isServerId(a)) return b;
  return compareIds(a, b) >= 0 ? a : b;
}

/**
 * The ticks of a message of ours: sending, failed, sent (✓, acknowledged), delivered (✓✓, the 1:1
 * ack said a live session of the peer got it) or read (✓✓ coloured, a read receipt covers it).
 * Undefined for someone else's message.
 */
export function tickStatus(message: StoredMessage, me: string | undefined, peerReadUpTo: string | undefined): TickStatus | undefined {
  if (message.from !== me) return undefined;
  if (message.state) return message.state;
  if (!isServerId(message.id)) return 'sending';
  if (peerReadUpTo !== undefined && isServerId(peerReadUpTo) && compareIds(message.id, peerReadUpTo) <= 0) return 'read';
  return message.delivered ? 'delivered' : 'sent';
}

/** Until when (epoch ms) the page offers Edit and Recall on a message; undefined when it never does (not ours, not stored, recalled). */
export function changeableUntil(message: StoredMessage, me: string | undefined): number | undefined {
  if (message.from !== me || message.recalled || message.state || !isServerId(message.id)) return undefined;
  const sentAt = Date.parse(message.time);
  return Number.isNaN(sentAt) ? undefined : sentAt + EDIT_WINDOW_MS;
}

export function canChange(message: StoredMessage, me: string | undefined, now: number): boolean {
  const until = changeableUntil(message, me);
  return until !== undefined && now < until;
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
    return list.map((c) => ({
      ...c,
      unread: Number(c.unread) || 0,
      lastActivity: Number(c.lastActivity) || 0,
      readUpTo: typeof c.readUpTo === 'string' && isServerId(c.readUpTo) ? c.readUpTo : undefined,
      peerReadUpTo: typeof c.peerReadUpTo === 'string' && isServerId(c.peerReadUpTo) ? c.peerReadUpTo : undefined,
    }));
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
    return (read(this.key(`messages.${conversation}`), isMessageList) ?? [])
      .filter((m) => isServerId(m.id))
      .map(({ id, from, content, time, delivered, editedAt, recalled }) => ({
        id,
        from,
        content,
        time: String(time),
        ...(delivered === true ? { delivered } : {}),
        ...(typeof editedAt === 'string' ? { editedAt } : {}),
        ...(recalled === true ? { recalled, content: '' } : {}),
      }))
      .sort(compareMessages);
  }

  /** Keeps the newest acknowledged messages; sends still in flight are not worth a reload. */
  saveMessages(conversation: string, messages: StoredMessage[]): void {
    const settled = messages.filter((m) => isServerId(m.id)).slice(-STORED_MESSAGES_PER_CONVERSATION);
    write(
      this.key(`messages.${conversation}`),
      settled.map(({ id, from, content, time, delivered, editedAt, recalled }) => ({
        id,
        from,
        content,
        time,
        delivered,
        editedAt,
        recalled,
      })),
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
