import type {
  ChatMessage,
  ClientState,
  ConversationSummary,
  GaveUpEvent,
  MessageChangedEvent,
  PresenceEntry,
  ReadReceiptEvent,
  ReconnectingEvent,
  TypingEvent,
} from '@chat-server/client';

/** A conversation as a command names it: `#team` is a group, anything else a user. */
export type ConversationName = { groupName: string } | { with: string };

export type Command =
  | { kind: 'register'; username: string; password: string }
  | { kind: 'login'; username: string; password: string }
  | { kind: 'send'; to: string; content: string }
  | { kind: 'gsend'; groupName: string; content: string }
  | { kind: 'gcreate'; groupName: string; members: string[] }
  | { kind: 'gjoin'; groupName: string }
  | { kind: 'gquit'; groupName: string }
  | { kind: 'gmembers'; groupName: string }
  | { kind: 'history'; with?: string; groupName?: string; beforeId?: string }
  | { kind: 'logout'; everywhere: boolean }
  | { kind: 'passwd'; oldPassword: string; newPassword: string }
  | { kind: 'presence'; usernames: string[]; subscribe: boolean }
  | { kind: 'typing'; conversation: ConversationName }
  | { kind: 'read'; conversation: ConversationName; messageId?: string }
  | { kind: 'conversations'; limit?: number; before?: string }
  | { kind: 'edit'; messageId: string; content: string }
  | { kind: 'recall'; messageId: string }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'empty' }
  | { kind: 'invalid'; error: string };

export const HELP_TEXT = [
  'Commands:',
  '  register <user> <pass>           create an account',
  '  login <user> <pass>              log in',
  '  send <user|#group> <text...>     send a message to a user, or to a group',
  '  gsend #group <text...>           send a message to a group',
  '  gcreate #group [member,member]   create a group',
  '  gjoin #group                     join a group',
  '  gquit #group                     leave a group',
  '  gmembers #group                  list the members of a group',
  '  history <user|#group> [beforeId] show earlier messages',
  '  logout [everywhere]              log out (everywhere: on every device too)',
  '  passwd <old> <new>               change the password (other devices are logged out)',
  '  presence <user...>               who is online, and when the others were last seen',
  '  watch <user...>                  the same, then say whenever one of them comes or goes',
  '  typing <user|#group>             tell them you are typing',
  '  read <user|#group> [messageId]   mark read up to that message (default: the newest seen)',
  '  conversations [limit] [cursor]   your conversations, newest first, with unread counts',
  '  edit <messageId> <text...>       change the text of one of your messages (within 15 min)',
  '  recall <messageId>               recall one of your messages (within 15 min)',
  '  help                             show this help',
  '  quit                             leave',
  'A group is written #team. The g-commands take only groups, so there the # may be left out (gjoin team);',
  'a group whose name starts with # takes one more (##team). Names with spaces go in double quotes: gsend #"my team" hi',
].join('\n');

const USAGE: Record<string, string> = {
  register: 'register <user> <pass>',
  login: 'login <user> <pass>',
  send: 'send <user|#group> <text...>',
  gsend: 'gsend #group <text...>',
  gcreate: 'gcreate #group [member,member]',
  gjoin: 'gjoin #group',
  gquit: 'gquit #group',
  gmembers: 'gmembers #group',
  history: 'history <user|#group> [beforeId]',
  logout: 'logout [everywhere]',
  passwd: 'passwd <old> <new>',
  presence: 'presence <user...>',
  watch: 'watch <user...>',
  typing: 'typing <user|#group>',
  read: 'read <user|#group> [messageId]',
  conversations: 'conversations [limit] [cursor]',
  edit: 'edit <messageId> <text...>',
  recall: 'recall <messageId>',
};

const MESSAGE_ID = /^\d+$/;
/** The server takes at most this many conversations per page. */
const CONVERSATIONS_PAGE_LIMIT = 100;

/**
 * Splits off the first `count` words of a line and returns them with the untouched remainder, so
 * message text keeps its spacing. A word may be double-quoted, after its group marks (`#"my team"`):
 * group names may hold spaces but never a double quote.
 */
function splitWords(line: string, count: number): { words: string[]; rest: string } {
  const words: string[] = [];
  let rest = line;
  while (words.length < count) {
    rest = rest.trimStart();
    if (rest === '') break;
    const match = /^(#*)"([^"]*)"(?=\s|$)/.exec(rest) ?? /^()(\S+)/.exec(rest);
    if (!match) break;
    words.push(match[1] + match[2]);
    rest = rest.slice(match[0].length);
  }
  return { words, rest: rest.replace(/^\s+/, '') };
}

function usage(name: string): Command {
  return { kind: 'invalid', error: `Usage: ${USAGE[name]}` };
}

/**
 * Who a word names where a user or a group may stand: `#team` is a group (usernames never hold a
 * `#`), anything else a user. Undefined for a lone `#`.
 */
function conversation(word: string): { groupName: string } | { with: string } | undefined {
  if (!word.startsWith('#')) return { with: word };
  return word.length > 1 ? { groupName: word.slice(1) } : undefined;
}

/** The group a word names where only a group may stand: `#team`, or `team` as before the # was asked for. */
function groupOnly(word: string): string | undefined {
  const name = word.startsWith('#') ? word.slice(1) : word;
  return name === '' ? undefined : name;
}

/** Turns one input line of the console client into a command; never throws. */
export function parseCommand(line: string): Command {
  const {
    words: [rawName],
    rest: afterName,
  } = splitWords(line, 1);
  if (rawName === undefined) return { kind: 'empty' };
  const name = rawName.toLowerCase();
  switch (name) {
    case 'help':
      return { kind: 'help' };
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    case 'register':
    case 'login': {
      const { words, rest } = splitWords(afterName, 2);
      if (words.length < 2 || rest !== '') return usage(name);
      return { kind: name, username: words[0], password: words[1] };
    }
    case 'send': {
      const { words, rest } = splitWords(afterName, 1);
      const target = words.length === 1 ? conversation(words[0]) : undefined;
      if (target === undefined || rest === '') return usage(name);
      if ('groupName' in target) return { kind: 'gsend', groupName: target.groupName, content: rest };
      return { kind: 'send', to: target.with, content: rest };
    }
    case 'gsend': {
      const { words, rest } = splitWords(afterName, 1);
      const groupName = words.length === 1 ? groupOnly(words[0]) : undefined;
      if (groupName === undefined || rest === '') return usage(name);
      return { kind: 'gsend', groupName, content: rest };
    }
    case 'gcreate': {
      const { words, rest } = splitWords(afterName, 1);
      const groupName = words.length === 1 ? groupOnly(words[0]) : undefined;
      if (groupName === undefined) return usage(name);
      const members = rest.split(/[\s,]+/).filter((member) => member !== '');
      return { kind: 'gcreate', groupName, members };
    }
    case 'gjoin':
    case 'gquit':
    case 'gmembers': {
      const { words, rest } = splitWords(afterName, 1);
      const groupName = words.length === 1 ? groupOnly(words[0]) : undefined;
      if (groupName === undefined || rest !== '') return usage(name);
      return { kind: name, groupName };
    }
    case 'logout': {
      const { words, rest } = splitWords(afterName, 1);
      if (rest !== '' || (words.length === 1 && words[0].toLowerCase() !== 'everywhere')) return usage(name);
      return { kind: 'logout', everywhere: words.length === 1 };
    }
    case 'passwd': {
      const { words, rest } = splitWords(afterName, 2);
      if (words.length < 2 || rest !== '') return usage(name);
      return { kind: 'passwd', oldPassword: words[0], newPassword: words[1] };
    }
    case 'presence':
    case 'watch': {
      const usernames = afterName.split(/[\s,]+/).filter((username) => username !== '');
      if (usernames.length === 0) return usage(name);
      return { kind: 'presence', usernames, subscribe: name === 'watch' };
    }
    case 'typing': {
      const { words, rest } = splitWords(afterName, 1);
      const target = words.length === 1 ? conversation(words[0]) : undefined;
      if (target === undefined || rest !== '') return usage(name);
      return { kind: 'typing', conversation: target };
    }
    case 'read': {
      const { words, rest } = splitWords(afterName, 2);
      const target = words.length >= 1 ? conversation(words[0]) : undefined;
      if (target === undefined || rest !== '') return usage(name);
      const messageId = words[1];
      if (messageId === undefined) return { kind: 'read', conversation: target };
      if (!MESSAGE_ID.test(messageId)) return { kind: 'invalid', error: 'messageId must be a message id (digits)' };
      return { kind: 'read', conversation: target, messageId };
    }
    case 'conversations': {
      const { words, rest } = splitWords(afterName, 2);
      if (rest !== '') return usage(name);
      const [limit, before] = words;
      if (limit === undefined) return { kind: 'conversations' };
      if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > CONVERSATIONS_PAGE_LIMIT) {
        return { kind: 'invalid', error: `limit must be a whole number from 1 to ${CONVERSATIONS_PAGE_LIMIT}` };
      }
      return before === undefined
        ? { kind: 'conversations', limit: Number(limit) }
        : { kind: 'conversations', limit: Number(limit), before };
    }
    case 'edit': {
      const { words, rest } = splitWords(afterName, 1);
      if (words.length < 1 || rest === '') return usage(name);
      if (!MESSAGE_ID.test(words[0])) return { kind: 'invalid', error: 'messageId must be a message id (digits)' };
      return { kind: 'edit', messageId: words[0], content: rest };
    }
    case 'recall': {
      const { words, rest } = splitWords(afterName, 1);
      if (words.length < 1 || rest !== '') return usage(name);
      if (!MESSAGE_ID.test(words[0])) return { kind: 'invalid', error: 'messageId must be a message id (digits)' };
      return { kind: 'recall', messageId: words[0] };
    }
    case 'history': {
      const { words, rest } = splitWords(afterName, 2);
      if (words.length < 1 || rest !== '') return usage(name);
      const [target, beforeId] = words;
      if (beforeId !== undefined && !/^\d+$/.test(beforeId)) {
        return { kind: 'invalid', error: 'beforeId must be a message id (digits)' };
      }
      const withWhom = conversation(target);
      if (withWhom === undefined) return usage(name);
      return beforeId === undefined ? { kind: 'history', ...withWhom } : { kind: 'history', ...withWhom, beforeId };
    }
    default:
      return { kind: 'invalid', error: `Unknown command "${sanitizeText(rawName)}"; type help` };
  }
}

/** Makes untrusted text safe for a terminal: control characters (escape sequences) become visible. */
export function sanitizeText(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (char) => {
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** `[time] from: content`, with the group after the sender for group messages; an edited one says so, a recalled one has no content. */
export function formatMessage(message: ChatMessage): string {
  const sender = message.kind === 'group' ? `${message.from} @ #${message.groupName}` : message.from;
  const marker = message.offline ? ' (offline)' : '';
  if (message.recalled) return `[${message.time}] ${sanitizeText(sender)}${marker}: (message recalled)`;
  const edited = message.editedAt ? ' (edited)' : '';
  return `[${message.time}] ${sanitizeText(sender)}${marker}: ${sanitizeText(message.content)}${edited}`;
}

/** How a command names a conversation in what it prints: `#team` or `bob`. */
export function conversationLabel(conversation: ConversationName): string {
  return 'groupName' in conversation ? `#${conversation.groupName}` : conversation.with;
}

/** `bob: online`, or `bob: offline, last seen <time>` (`never seen` for someone who never logged in). */
export function formatPresence(entry: PresenceEntry): string {
  if (entry.online) return `${entry.username}: online`;
  return `${entry.username}: offline, ${entry.lastSeen ? `last seen ${entry.lastSeen}` : 'never seen'}`;
}

/** A presence push: a watched user came online or went offline. */
export function presenceLine(entry: PresenceEntry): string {
  return entry.online
    ? `${entry.username} is online.`
    : `${entry.username} went offline${entry.lastSeen ? ` (last seen ${entry.lastSeen})` : ''}.`;
}

export function typingLine(event: TypingEvent): string {
  return event.kind === 'group' ? `${event.from} is typing in #${event.groupName}...` : `${event.from} is typing...`;
}

/**
 * A read receipt: the peer read our messages, members read a group (a line for each read of the
 * coalesced receipt), or we read (on any of our sessions, this one included).
 */
export function readReceiptLine(event: ReadReceiptEvent, me: string | undefined): string {
  if (event.kind === 'group') {
    return event.reads
      .map((read) => `${read.from === me ? 'You' : read.from} read #${event.groupName} up to #${read.messageId}.`)
      .join('\n');
  }
  if (event.from === me) return `You read ${event.with} up to #${event.messageId}.`;
  return `${event.from} read your messages up to #${event.messageId}.`;
}

export function messageChangedLine(event: MessageChangedEvent): string {
  const where = event.kind === 'group' ? ` in #${event.groupName}` : '';
  if (event.recalled) return `${event.from} recalled #${event.messageId}${where}.`;
  return `${event.from} edited #${event.messageId}${where}: ${sanitizeText(event.content ?? '')}`;
}

/** One line of the conversation list: who, how many unread, and the last message. */
export function formatConversation(summary: ConversationSummary): string {
  const name = summary.kind === 'group' ? `#${summary.groupName}` : `@${summary.with}`;
  const unread = summary.unread > 0 ? `${summary.unread} unread` : 'read';
  return `${sanitizeText(name)} (${unread}): ${formatMessage(summary.lastMessage)}`;
}

/** What the status lines say about the session: where it is connected and who is logged in. */
export interface SessionView {
  url: string | undefined;
  /** Set only while logged in: after a refused token resume the name is known but the session is not. */
  username: string | undefined;
}

/**
 * The line to print when the connection's state changes from `previous` to `next`, or undefined when
 * there is nothing to say: the first connection is reported once connect resolves and a move starting
 * by the moved event. `moveFailed`: the move was given up and the old connection kept.
 */
export function stateLine(previous: ClientState, next: ClientState, session: SessionView, failedMove?: string): string | undefined {
  const where = session.url ?? 'the server';
  const who = session.username === undefined ? 'not logged in (log in again)' : `logged in as ${session.username}`;
  if (next === 'reconnecting' && previous !== 'reconnecting') return `Connection to ${where} lost.`;
  if (next !== 'connected') return undefined;
  if (previous === 'reconnecting') return `Reconnected to ${where}, ${who}.`;
  if (previous !== 'moved') return undefined;
  return failedMove === undefined ? `Moved to ${where}, ${who}.` : `The move to ${failedMove} failed; still on ${where}, ${who}.`;
}

/** Before each wait for a reconnect attempt: which attempt, of how many, and when. */
export function reconnectLine(event: ReconnectingEvent, maxAttempts: number): string {
  const seconds = (event.delay / 1000).toFixed(1);
  return `Reconnecting (attempt ${event.attempt} of ${maxAttempts}) in ${seconds} s...`;
}

/** When the reconnect attempts ran out: the client stops, and the process exits 1. */
export function gaveUpLine(url: string, event: GaveUpEvent): string {
  return `Gave up reconnecting to ${url} after ${event.attempts} failed attempts (${event.error.message}).`;
}
