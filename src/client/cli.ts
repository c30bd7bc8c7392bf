import * as readline from 'node:readline';
import { parseArgs } from 'node:util';
import { ChatClient } from '@chat-server/client';
import { Command, HELP_TEXT, formatMessage, parseCommand, sanitizeText } from './cli-commands';

const DEFAULT_URL = 'ws://127.0.0.1:9092/ws';

export const USAGE = `Usage: npm run client -- [URL] [--help]

A console chat client. URL is the server's WebSocket endpoint (default ${DEFAULT_URL});
once connected, type help for the commands.
`;

async function execute(client: ChatClient, command: Command): Promise<string | undefined> {
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
      return messages.length === 0 ? '(no messages)' : messages.map(formatMessage).join('\n');
    }
    case 'logout':
      await client.logout(command.everywhere);
      return command.everywhere ? 'Logged out on every device.' : 'Logged out.';
    case 'passwd':
      await client.changePassword(command.oldPassword, command.newPassword);
      return 'Password changed; your other devices were logged out.';
    case 'help':
      return HELP_TEXT;
    case 'invalid':
      return command.error;
    case 'quit':
    case 'empty':
      return undefined;
  }
}

export function main(url: string = DEFAULT_URL): void {
  const client = new ChatClient();
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: '> ' });
  // Everything printed may hold server-provided text, so all of it goes through sanitizeText.
  const print = (text: string): void => {
    if (process.stdout.isTTY) {
      readline.clearLine(process.stdout, 0);
      readline.cursorTo(process.stdout, 0);
    }
    process.stdout.write(`${sanitizeText(text)}\n`);
    rl.prompt(true);
  };

  client.on('message', (message) => print(formatMessage(message)));
  client.on('groupAdded', (event) => print(event.reason ?? `Added to group #${event.groupName}`));
  client.on('notice', (event) => print(`Notice: ${event.reason}`));
  client.on('moved', (event) => print(`Moving to ${event.host}...`));
  client.on('error', (error) => print(`Error: ${error.message}`));
  client.on('state', (state) => {
    if (state === 'reconnecting') print('(connection lost, reconnecting)');
  });
  client.on('closed', (event) => {
    if (event.code !== 1000) print(`Connection to ${url} closed (${event.code}${event.reason ? `: ${event.reason}` : ''}).`);
    rl.close();
  });

  // Commands run one after another, after the connection is up, so piped input keeps its order.
  let queue: Promise<void> = client.connect(url).then(
    () => print(`Connected to ${url}. Type help for commands.`),
    (error: unknown) => {
      process.exitCode = 1;
      print(`Could not connect to ${url} (${error instanceof Error ? error.message : String(error)}): is the server running there, and is the URL its /ws endpoint?`);
    },
  );
  rl.on('line', (line) => {
    queue = queue.then(async () => {
      const command = parseCommand(line);
      if (command.kind === 'quit') rl.close();
      if (command.kind === 'quit' || client.state === 'closed') return;
      try {
        const output = await execute(client, command);
        if (output !== undefined) print(output);
      } catch (error) {
        print(`Failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  });
  rl.on('close', () => {
    void queue.then(() => client.close());
  });
}

/** Reads the command line: `[URL] [--help]`. Returns the URL, or null when the process is done (help, or a usage error). */
export function parseCommandLine(args: string[]): string | null {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exitCode = 2;
    return null;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return null;
  }
  if (parsed.positionals.length > 1) {
    process.stderr.write(`One URL at most, got ${parsed.positionals.length}.\n\n${USAGE}`);
    process.exitCode = 2;
    return null;
  }
  return parsed.positionals[0] ?? DEFAULT_URL;
}

if (require.main === module) {
  const url = parseCommandLine(process.argv.slice(2));
  if (url !== null) main(url);
}
