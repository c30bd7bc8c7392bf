import * as readline from 'node:readline';
import { parseArgs } from 'node:util';
import { ChatClient, ChatMessage, ClientState } from '@chat-server/client';
import {
  Command,
  HELP_TEXT,
  conversationLabel,
  formatConversation,
  formatMessage,
  formatPresence,
  gaveUpLine,
  messageChangedLine,
  parseCommand,
  presenceLine,
  readReceiptLine,
  reconnectLine,
  sanitizeText,
  stateLine,
  typingLine,
} from './cli-commands';
import { printAbove } from './cli-output';

const DEFAULT_URL = 'ws://127.0.0.1:9092/ws';
const DEFAULT_MAX_ATTEMPTS = 10;
const WHAT_TO_CHECK =
  'is the server running there (npm start starts one on port 9092; PORT and HOST move it), ' +
  'and is the URL its WebSocket endpoint, ending in /ws?';

export const USAGE = `Usage: npm run client -- [URL] [--max-attempts N] [--help]

A console chat client. URL is the server's WebSocket endpoint (default ${DEFAULT_URL});
once connected, type help for the commands. A lost connection is tried again up to N times in a
row (default ${DEFAULT_MAX_ATTEMPTS}); then the client gives up and exits 1.
`;

export interface CommandLine {
  url: string;
  maxAttempts: number;
}

/** The conversation a message belongs to, as commands name it (`bob`, `#team`). */
function labelOf(message: ChatMessage, me: string | undefined): string {
  if (message.kind === 'group') return `#${message.groupName}`;
  return message.from === me ? message.to : message.from;
}

/** The newest message id seen in each conversation this session: what `read` marks without an id. */
type NewestSeen = Map<string, string>;

function remember(newest: NewestSeen, messages: ChatMessage[], me: string | undefined): void {
  for (const message of messages) {
    const label = labelOf(message, me);
    const known = newest.get(label);
    if (known === undefined || BigInt(message.messageId) > BigInt(known)) newest.set(label, message.messageId);
  }
}

async function execute(client: ChatClient, command: Command, newest: NewestSeen): Promise<string | undefined> {
  switch (command.kind) {
    case 'register':
      await client.register(command.username, command.password);
      return `Registered ${command.username}; now log in.`;
    case 'login': {
      const { username } = await client.login(command.username, command.password);
      return `Logged in as ${username}.`;
    }
    case 'send': {
      const ack = await client.sendChat(command.to, command.content);
      return `Sent (#${ack.messageId}${ack.delivered ? '' : ', stored until they come online'}).`;
    }
    case 'gsend': {
      const ack = await client.sendGroupChat(command.groupName, command.content);
      return `Sent to #${command.groupName} (#${ack.messageId}).`;
    }
    case 'gcreate': {
      const group = await client.createGroup(command.groupName, command.members);
      return `Created #${group.groupName}: ${group.members.join(', ')}`;
    }
    case 'gjoin':
      await client.joinGroup(command.groupName);
      return `Joined #${command.groupName}.`;
    case 'gquit':
      await client.quitGroup(command.groupName);
      return `Left #${command.groupName}.`;
    case 'gmembers': {
      const members = await client.groupMembers(command.groupName);
      return `#${command.groupName}: ${members.join(', ')}`;
    }
    case 'history': {
      const messages = await client.history({ with: command.with, groupName: command.groupName, beforeId: command.beforeId });
      remember(newest, messages, client.username);
      return messages.length === 0 ? '(no messages)' : messages.map(formatMessage).join('\n');
    }
    case 'logout':
      await client.logout(command.everywhere);
      return command.everywhere ? 'Logged out on every device.' : 'Logged out.';
    case 'passwd':
      await client.changePassword(command.oldPassword, command.newPassword);
      return 'Password changed; your other devices were logged out.';
    case 'presence': {
      const entries = await client.presence(command.usernames, { subscribe: command.subscribe });
      const lines = entries.map(formatPresence);
      if (command.subscribe) lines.push(`Watching ${command.usernames.join(', ')}: you will be told when they come or go.`);
      return lines.join('\n');
    }
    case 'typing':
      return client.typing('groupName' in command.conversation ? command.conversation : { to: command.conversation.with })
        ? `Told ${conversationLabel(command.conversation)} you are typing.`
        : 'Not connected.';
    case 'read': {
      const label = conversationLabel(command.conversation);
      const messageId = command.messageId ?? newest.get(label);
      if (messageId === undefined) return `No message seen with ${label} yet: give a message id (history ${label} shows them).`;
      const position = await client.markRead(command.conversation, messageId);
      return `Read ${label} up to #${position}.`;
    }
    case 'conversations': {
      const page = await client.conversations({ limit: command.limit, before: command.before });
      remember(
        newest,
        page.conversations.map((summary) => summary.lastMessage),
        client.username,
      );
      const lines = page.conversations.map(formatConversation);
      if (lines.length === 0) lines.push('(no conversations)');
      if (page.next !== null) {
        const cursor = /\s/.test(page.next) ? `"${page.next}"` : page.next;
        lines.push(`More: conversations ${command.limit ?? page.conversations.length} ${cursor}`);
      }
      return lines.join('\n');
    }
    case 'edit': {
      await client.edit(command.messageId, command.content);
      return `Edited #${command.messageId}.`;
    }
    case 'recall': {
      await client.recall(command.messageId);
      return `Recalled #${command.messageId}.`;
    }
    case 'help':
      return HELP_TEXT;
    case 'invalid':
      return command.error;
    case 'quit':
    case 'empty':
      return undefined;
  }
}

export function main({ url, maxAttempts }: CommandLine = { url: DEFAULT_URL, maxAttempts: DEFAULT_MAX_ATTEMPTS }): void {
  const client = new ChatClient({ maxAttempts });
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: '> ' });
  // Everything printed may hold server-provided text, so all of it goes through sanitizeText.
  const print = (text: string): void => printAbove(rl, process.stdout, sanitizeText(text));

  // Messages wait while a login is answered or the connection is being made again: the offline
  // ones are replayed right after the login response, often in the same read, and would otherwise
  // come before the "Logged in" or "Reconnected" line.
  let loggingIn = false;
  let held: string[] = [];
  const holding = (): boolean => loggingIn || (client.state !== 'connected' && client.state !== 'closed');
  const release = (): void => {
    if (holding()) return;
    const lines = held;
    held = [];
    for (const line of lines) print(line);
  };
  const newest: NewestSeen = new Map();
  client.on('message', (message) => {
    remember(newest, [message], client.username);
    const line = formatMessage(message);
    if (holding()) held.push(line);
    else print(line);
  });
  client.on('groupAdded', (event) => print(event.reason ?? `Added to group #${event.groupName}`));
  client.on('notice', (event) => print(`Notice: ${event.reason}`));
  client.on('presence', (entry) => print(presenceLine(entry)));
  client.on('typing', (event) => print(typingLine(event)));
  client.on('readReceipt', (event) => print(readReceiptLine(event, client.username)));
  client.on('messageChanged', (event) => print(messageChangedLine(event)));

  let previous: ClientState = client.state;
  // The SDK gives a move up with an error, then goes back to the old connection: only that error comes while moving.
  let moveTarget = '';
  let moveFailed = false;
  client.on('moved', (event) => {
    moveTarget = event.url;
    moveFailed = false;
    print(`The server moves this session to ${event.url}...`);
  });
  client.on('error', (error) => {
    if (client.state === 'moved') moveFailed = true;
    print(`Error: ${error.message}`);
  });
  client.on('reconnecting', (event) => print(reconnectLine(event, maxAttempts)));
  let gaveUp = false;
  client.on('gaveUp', (event) => {
    gaveUp = true;
    process.exitCode = 1;
    print(gaveUpLine(client.url ?? url, event));
  });
  client.on('state', (state) => {
    const session = { url: client.url, username: client.token === undefined ? undefined : client.username };
    const line = stateLine(previous, state, session, moveFailed ? moveTarget : undefined);
    previous = state;
    if (line !== undefined) print(line);
    release();
  });
  // A first connection that fails is reported once, with what to check, by the connect below.
  let connected = false;
  client.on('closed', (event) => {
    const why = `${event.code}${event.reason ? `: ${event.reason}` : ''}`;
    if (connected && !gaveUp && event.code !== 1000) print(`Connection to ${client.url ?? url} closed (${why}).`);
    rl.close();
  });

  // Commands run one after another, after the connection is up, so piped input keeps its order.
  let queue: Promise<void> = client.connect(url).then(
    () => {
      connected = true;
      print(`Connected to ${url}. Type help for commands.`);
    },
    (error: unknown) => {
      process.exitCode = 1;
      const reason = error instanceof Error ? error.message : String(error);
      print(`Could not connect to ${url} (${reason}): ${WHAT_TO_CHECK}`);
    },
  );
  rl.on('line', (line) => {
    queue = queue.then(async () => {
      const command = parseCommand(line);
      if (command.kind === 'quit') rl.close();
      if (command.kind === 'quit' || client.state === 'closed') return;
      loggingIn = command.kind === 'login';
      try {
        const output = await execute(client, command, newest);
        if (output !== undefined) print(output);
        else if (rl.terminal) rl.prompt();
      } catch (error) {
        print(`Failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        loggingIn = false;
        release();
      }
    });
  });
  rl.on('close', () => {
    void queue.then(() => client.close());
  });
}

/** Reads the command line: `[URL] [--max-attempts N] [--help]`; null when the process is done (help, or a usage error). */
export function parseCommandLine(args: string[]): CommandLine | null {
  const usageError = (message: string): null => {
    process.stderr.write(`${message}\n\n${USAGE}`);
    process.exitCode = 2;
    return null;
  };
  let parsed;
  try {
    const options = { help: { type: 'boolean', short: 'h' }, 'max-attempts': { type: 'string' } } as const;
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return null;
  }
  if (parsed.positionals.length > 1) return usageError(`One URL at most, got ${parsed.positionals.length}.`);
  const attempts = parsed.values['max-attempts'];
  if (attempts !== undefined && !/^[1-9]\d{0,5}$/.test(attempts)) {
    return usageError(`--max-attempts must be a whole number from 1, got "${attempts}".`);
  }
  return { url: parsed.positionals[0] ?? DEFAULT_URL, maxAttempts: attempts === undefined ? DEFAULT_MAX_ATTEMPTS : Number(attempts) };
}

if (require.main === module) {
  const commandLine = parseCommandLine(process.argv.slice(2));
  if (commandLine !== null) main(commandLine);
}
