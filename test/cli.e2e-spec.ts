import { spawn } from 'node:child_process';
import { MessageType, ReportedCloseCode } from '../src/protocol';
import { CLI, CliProcess } from './helpers/cli-process';
import { useFixture } from './helpers/fixture';
import { Instance, freePort, startInstance } from './helpers/instance';
import { uniqueName } from './helpers/ws-client';

/** Runs the console client to its end with this input; what it printed and how it exited. */
function run(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('console client command line', () => {
  it('--help prints the usage and connects to nothing', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: npm run client -- [URL] [--max-attempts N] [--help]');
    expect(result.stdout).not.toContain('Connect');
  });

  it('an unknown option is a usage error (exit 2)', async () => {
    const result = await run(['--nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--nope'");
    expect(result.stderr).toContain('Usage:');
  });

  it('--max-attempts takes a whole number from 1 (exit 2 otherwise)', async () => {
    for (const value of ['0', 'many', '-3']) {
      const result = await run([`--max-attempts=${value}`]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--max-attempts must be a whole number from 1, got "${value}".`);
    }
  });

  it('a server that does not answer is named, with what to check (exit 1)', async () => {
    const url = `ws://127.0.0.1:${await freePort()}/ws`;
    const result = await run([url]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`Could not connect to ${url}`);
    expect(result.stdout).toContain('is the server running there (npm start starts one on port 9092');
    expect(result.stdout).toContain('ending in /ws?');
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
  });
});

describe('console client session', () => {
  const fixture = useFixture({ closeClientsAfterEach: true });
  let instanceEnv: Record<string, string>;
  let server: Instance;
  const cli = (url: string, args?: string[]): CliProcess => {
    const started = new CliProcess(url, args);
    fixture.track({ close: () => started.kill() });
    return started;
  };

  beforeAll(async () => {
    instanceEnv = fixture.instanceEnv({ PORT: String(await freePort()) });
    server = fixture.adopt(await startInstance(instanceEnv));
  });

  it('prints the offline messages after "Logged in as", and takes #team in every group command', async () => {
    const { name: aliceName, client: alice } = await fixture.user(server, 'alice');
    // Bob has logged in before and is away: what is sent now waits for him.
    const { name: bob, client: bobBefore } = await fixture.user(server, 'bob');
    bobBefore.close();
    await bobBefore.closed;
    for (const content of ['first while away', 'second while away']) {
      expect(
        await alice.request({ messageType: MessageType.ChatRequest, to: bob, content, clientMessageId: uniqueName('c') }),
      ).toMatchObject({ success: true });
    }
    const client = cli(server.wsUrl);
    await client.waitFor('Type help for commands.');
    client.type(`login ${bob} secret-pass`);
    const printed = await client.waitFor('second while away');
    const loggedInAt = printed.indexOf(`Logged in as ${bob}.`);
    expect(loggedInAt).toBeGreaterThanOrEqual(0);
    expect(printed.indexOf('first while away')).toBeGreaterThan(loggedInAt);

    const team = uniqueName('team');
    client.type(`gcreate #${team} ${aliceName}`);
    await client.waitFor(`Created #${team}`);
    client.type(`gsend #${team} hello team`);
    client.type(`send #${team} hello again`);
    await client.waitFor(`Sent to #${team}`, 10000, 2);
    client.type(`gmembers #${team}`);
    await client.waitFor(`#${team}: `);
    client.type(`history #${team}`);
    expect(await client.waitFor(`${bob} @ #${team}: hello again`)).toContain(`${bob} @ #${team}: hello team`);
    client.type(`gquit #${team}`);
    await client.waitFor(`Left #${team}.`);
    expect(await client.quit()).toBe(0);
    alice.close();
  });

  it('watches presence, says who types, lists unread counts, marks read, edits and recalls, and prints what others do', async () => {
    const { name: aliceName, client: alice } = await fixture.user(server, 'alice');
    // Bob has logged in before and is away: two messages wait for him.
    const { name: bob, client: bobBefore } = await fixture.user(server, 'bob');
    bobBefore.close();
    await bobBefore.closed;
    const stored: string[] = [];
    for (const content of ['unread one', 'unread two']) {
      const ack = await alice.request({ messageType: MessageType.ChatRequest, to: bob, content, clientMessageId: uniqueName('c') });
      stored.push(String(ack.messageId));
    }
    const client = cli(server.wsUrl);
    await client.waitFor('Type help for commands.');
    client.type(`login ${bob} secret-pass`);
    await client.waitFor('unread two');

    client.type('conversations');
    await client.waitFor(`@${aliceName} (2 unread): `);
    client.type(`watch ${aliceName}`);
    await client.waitFor(`${aliceName}: online`);
    await client.waitFor(`Watching ${aliceName}`);
    alice.send({ messageType: MessageType.TypingRequest, to: bob });
    await client.waitFor(`${aliceName} is typing...`);

    // Without an id: up to the newest message seen with alice.
    client.type(`read ${aliceName}`);
    await client.waitFor(`Read ${aliceName} up to #${stored[1]}.`);
    // The server tells every session of the reader, this one included.
    await client.waitFor(`You read ${aliceName} up to #${stored[1]}.`);
    const receipt = await alice.next((frame) => frame.messageType === MessageType.ReadReceipt);
    expect(receipt).toMatchObject({ from: bob, with: bob, messageId: stored[1] });
    client.type('conversations 5');
    await client.waitFor(`@${aliceName} (read): `);

    client.type(`typing ${aliceName}`);
    await client.waitFor(`Told ${aliceName} you are typing.`);
    expect(await alice.next((frame) => frame.messageType === MessageType.Typing)).toMatchObject({ from: bob, to: aliceName });
    client.type(`send ${aliceName} tpyo`);
    const sent = /Sent \(#(\d+)/.exec(await client.waitFor('Sent (#'))?.[1];
    client.type(`edit ${sent} typo`);
    await client.waitFor(`Edited #${sent}.`);
    expect(await alice.next((frame) => frame.messageType === MessageType.MessageChanged)).toMatchObject({
      messageId: sent,
      content: 'typo',
    });
    client.type(`recall ${sent}`);
    await client.waitFor(`Recalled #${sent}.`);

    // What alice does, bob's console prints.
    expect(
      await alice.request({ messageType: MessageType.EditRequest, messageId: stored[0], content: 'unread one, edited' }),
    ).toMatchObject({
      success: true,
    });
    await client.waitFor(`${aliceName} edited #${stored[0]}: unread one, edited`);
    expect(await alice.request({ messageType: MessageType.RecallRequest, messageId: stored[1] })).toMatchObject({ success: true });
    await client.waitFor(`${aliceName} recalled #${stored[1]}.`);
    client.type(`history ${aliceName}`);
    await client.waitFor(`${aliceName}: unread one, edited (edited)`);
    await client.waitFor(`${aliceName}: (message recalled)`);
    // Someone else's message cannot be edited: the server's refusal is printed.
    client.type(`edit ${stored[0]} mine now`);
    await client.waitFor('Failed: ');
    alice.close();
    await client.waitFor(`${aliceName} went offline (last seen `);
    expect(await client.quit()).toBe(0);
  }, 60000);

  it('says that it reconnects, and that it is back and logged in, then keeps working', async () => {
    // Bob has logged in before and is away: what is sent now waits for him.
    const { name: bob, client: bobBefore } = await fixture.user(server, 'bob');
    bobBefore.close();
    await bobBefore.closed;
    const client = cli(server.wsUrl);
    await client.waitFor('Type help for commands.');
    client.type(`login ${bob} secret-pass`);
    await client.waitFor(`Logged in as ${bob}.`);
    await server.stop();
    await client.waitFor(`Connection to ${server.wsUrl} lost.`);
    await client.waitFor('Reconnecting (attempt 2 of 10) in ');
    expect(client.output).toMatch(/\nReconnecting \(attempt 1 of 10\) in \d+\.\d s\.\.\.\n/);
    server = fixture.adopt(await startInstance(instanceEnv));
    await client.waitFor(`Reconnected to ${server.wsUrl}, logged in as ${bob}.`, 20000);
    const { name: aliceName, client: alice } = await fixture.user(server, 'alice');
    client.type(`send ${aliceName} back again`);
    await client.waitFor('Sent (#');
    const welcome = { messageType: MessageType.ChatRequest, to: bob, content: 'welcome back', clientMessageId: uniqueName('c') };
    expect(await alice.request(welcome)).toMatchObject({ success: true });
    await client.waitFor(`${aliceName}: welcome back`);
    expect(await client.quit()).toBe(0);
    alice.close();
  }, 60000);

  it('gives up after --max-attempts failed reconnects, says so with the URL, and exits 1', async () => {
    const leaving = await fixture.start();
    // Bob has logged in before and is away: what is sent now waits for him.
    const { name: bob, client: bobBefore } = await fixture.user(leaving, 'bob');
    bobBefore.close();
    await bobBefore.closed;
    const client = cli(leaving.wsUrl, ['--max-attempts', '2']);
    await client.waitFor('Type help for commands.');
    client.type(`login ${bob} secret-pass`);
    await client.waitFor(`Logged in as ${bob}.`);
    // Killed, not stopped: a stop in cluster mode would move the session to the other instance.
    await leaving.kill();
    await client.waitFor(
      `Gave up reconnecting to ${leaving.wsUrl} after 2 failed attempts ` +
        `(connection to ${leaving.wsUrl} closed (${ReportedCloseCode.Abnormal}`,
    );
    expect(await client.exited).toBe(1);
    expect(client.output).toContain('Reconnecting (attempt 2 of 2) in ');
    expect(client.output).not.toContain('Reconnecting (attempt 3');
    expect(client.output).not.toContain(`Connection to ${leaving.wsUrl} closed`);
  }, 60000);
});
