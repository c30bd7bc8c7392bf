import type { ChatMessage } from '@chat-server/client';

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
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'empty' }
  | { kind: 'invalid'; error: string };

export const HELP_TEXT = [
  'Commands:',
  '  register <user> <pass>           create an account',
  '  login <user> <pass>              log in',
  '  send <user> <text...>            send a message to a user',
  '  gsend <group> <text...>          send a message to a group',
  '  gcreate <group> [member,member]  create a group',
  '  gjoin <group>                    join a group',
  '  gquit <group>                    leave a group',
  '  gmembers <group>                 list the members of a group',
  '  history <user|#group> [beforeId] show earlier messages',
  '  logout [everywhere]              log out (everywhere: on every device too)',
  '  passwd <old> <new>               change the password (other devices are logged out)',
  '  help                             show this help',
  '  quit                             leave',
  'Group names with spaces can be written in double quotes: gsend "my group" hi',
].join('\n');

const USAGE: Record<string, string> = {
  register: 'register <user> <pass>',
  login: 'login <user> <pass>',
  send: 'send <user> <text...>',
  gsend: 'gsend <group> <text...>',
  gcreate: 'gcreate <group> [member,member]',
  gjoin: 'gjoin <group>',
  gquit: 'gquit <group>',
  gmembers: 'gmembers <group>',
  history: 'history <user|#group> [beforeId]',
  logout: 'logout [everywhere]',
  passwd: 'passwd <old> <new>',
};

/**
 * Splits off the first `count` words of a line and returns them with the untouched remainder, so
 * message text keeps its spacing. A word may be double-quoted: group names may hold spaces but
 * never a double quote.
 */
function splitWords(line: string, count: number): { words: string[]; rest: string } {
  const words: string[] = [];
  let rest = line;
  while (words.length < count) {
    rest = rest.trimStart();
    if (rest === '') break;
    const match = /^"([^"]*)"(?=\s|$)/.exec(rest) ?? /^(\S+)/.exec(rest);
    if (!match) break;
    words.push(match[1]);
    rest = rest.slice(match[0].length);
  }
  return { words, rest: rest.replace(/^\s+/, '') };
}

function usage(name: string): Command {
  return { kind: 'invalid', error: `Usage: ${USAGE[name]}` };
}

/** Turns one input line of the console client into a command; never throws. */
export function parseCommand(line: string): Command {
  const { words: [rawName], rest: afterName } = splitWords(line, 1);
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
    case 'send':
    case 'gsend': {
      const { words, rest } = splitWords(afterName, 1);
      if (words.length < 1 || rest === '') return usage(name);
      return name === 'send'
        ? { kind: 'send', to: words[0], content: rest }
        : { kind: 'gsend', groupName: words[0], content: rest };
    }
    case 'gcreate': {
      const { words, rest } = splitWords(afterName, 1);
      if (words.length < 1) return usage(name);
      const members = rest.split(/[\s,]+/).filter((member) => member !== '');
      return { kind: 'gcreate', groupName: words[0], members };
    }
    case 'gjoin':
    case 'gquit':
    case 'gmembers': {
      const { words, rest } = splitWords(afterName, 1);
      if (words.length < 1 || rest !== '') return usage(name);
      return { kind: name, groupName: words[0] };
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
    case 'history': {
      const { words, rest } = splitWords(afterName, 2);
      if (words.length < 1 || rest !== '') return usage(name);
      const [target, beforeId] = words;
      if (beforeId !== undefined && !/^\d+$/.test(beforeId)) {
        return { kind: 'invalid', error: 'beforeId must be a message id (digits)' };
      }
      const conversation = target.startsWith('#') && target.length > 1 ? { groupName: target.slice(1) } : { with: target };
      return beforeId === undefined ? { kind: 'history', ...conversation } : { kind: 'history', ...conversation, beforeId };
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

/** `[time] from: content`, with the group after the sender for group messages. */
export function formatMessage(message: ChatMessage): string {
  const sender = message.kind === 'group' ? `${message.from} @ #${message.groupName}` : message.from;
  const marker = message.offline ? ' (offline)' : '';
  return `[${message.time}] ${sanitizeText(sender)}${marker}: ${sanitizeText(message.content)}`;
}
