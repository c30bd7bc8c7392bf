import { MessageType, RefusalCode } from '../src/protocol';
import { MODE } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance, startInstance } from './helpers/instance';
import { Frame, WsTestClient } from './helpers/ws-client';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isReceipt = (frame: Frame) => frame.messageType === MessageType.ReadReceipt;

/** Read receipts (docs/protocol.md §3.20): positions move forward only, are stored, and are pushed. */
describe(`read receipts (${MODE})`, () => {
  const fixture = useFixture({ closeClientsAfterEach: true });
  let server: Instance;
  /** One environment for every start, so that a restart finds the same data (embedded: the same DATA_DIR). */
  let env: Record<string, string>;
  const start = async () => fixture.adopt(await startInstance(env));

  beforeAll(async () => {
    env = fixture.instanceEnv();
    server = await start();
  });
  beforeEach(async () => {
    if (!server.running) server = await start();
  });

  async function send(from: WsTestClient, to: string, content: string): Promise<string> {
    const ack = await from.request({ messageType: MessageType.ChatRequest, to, content });
    expect(ack.success).toBe(true);
    return ack.messageId as string;
  }

  const read = (client: WsTestClient, fields: Record<string, unknown>) =>
    client.request({ messageType: MessageType.ReadRequest, ...fields });

  it('moves forward only, answers the position after, and pushes to the peer and to the reader’s sessions', async () => {
    const alice = await fixture.user(server, 'ra');
    const bob = await fixture.user(server, 'rb');
    const bobPhone = await fixture.session(server, bob.name);
    const ids = [
      await send(alice.client, bob.name, 'one'),
      await send(alice.client, bob.name, 'two'),
      await send(alice.client, bob.name, 'three'),
    ];

    expect(await read(bob.client, { with: alice.name, messageId: ids[1] })).toMatchObject({
      messageType: MessageType.ReadResponse,
      success: true,
      with: alice.name,
      groupName: null,
      messageId: ids[1],
    });
    expect(await alice.client.next(isReceipt)).toMatchObject({ sequenceId: 0, from: bob.name, with: bob.name, messageId: ids[1] });
    expect(await bobPhone.next(isReceipt)).toMatchObject({ from: bob.name, with: alice.name, messageId: ids[1] });

    // An older id: success with the current, larger position, and no push.
    expect(await read(bob.client, { with: alice.name, messageId: ids[0] })).toMatchObject({ success: true, messageId: ids[1] });
    expect(await read(bob.client, { with: alice.name, messageId: ids[1] })).toMatchObject({ success: true, messageId: ids[1] });
    await sleep(300);
    expect(alice.client.received.filter(isReceipt)).toHaveLength(1);
    expect(bobPhone.received.filter(isReceipt)).toHaveLength(1);

    // Either party may read; alice reading her own message moves her position, not bob's.
    expect(await read(alice.client, { with: bob.name, messageId: ids[2] })).toMatchObject({ success: true, messageId: ids[2] });
    expect(await bob.client.next(isReceipt, 10000, 'alice’s receipt')).toBeDefined();
    expect(await read(bob.client, { with: alice.name, messageId: ids[2] })).toMatchObject({ success: true, messageId: ids[2] });
  });

  it('keeps the position across a reconnect and a restart of the server', async () => {
    const alice = await fixture.user(server, 'sa');
    const bob = await fixture.user(server, 'sb');
    const first = await send(alice.client, bob.name, 'first');
    const second = await send(alice.client, bob.name, 'second');
    expect(await read(bob.client, { with: alice.name, messageId: second })).toMatchObject({ messageId: second });
    bob.client.close();
    const again = await fixture.session(server, bob.name);
    expect(await read(again, { with: alice.name, messageId: first })).toMatchObject({ success: true, messageId: second });
    await fixture.closeClients();
    await server.stop();
    server = await start();
    const afterRestart = await fixture.session(server, bob.name);
    expect(await read(afterRestart, { with: alice.name, messageId: first })).toMatchObject({ success: true, messageId: second });
  });

  it('refuses bad input, foreign messages, unknown peers and groups one is not a member of', async () => {
    const alice = await fixture.user(server, 'xa');
    const bob = await fixture.user(server, 'xb');
    const carol = await fixture.user(server, 'xc');
    const own = await send(alice.client, bob.name, 'ours');
    const foreign = await send(carol.client, bob.name, 'not alice’s');
    const refusal = (code: string, reason?: string) => ({
      messageType: MessageType.ReadResponse,
      success: false,
      code,
      ...(reason && { reason }),
    });

    expect(await read(alice.client, { with: bob.name, messageId: 'x' })).toMatchObject({
      ...refusal(RefusalCode.InvalidArgument),
      messageId: null,
    });
    expect(await read(alice.client, { with: bob.name })).toMatchObject(
      refusal(RefusalCode.InvalidArgument, 'messageId must be a message id'),
    );
    expect(await read(alice.client, { messageId: own })).toMatchObject(
      refusal(RefusalCode.InvalidArgument, 'with (a username) or groupName is required'),
    );
    expect(await read(alice.client, { with: 7, messageId: own })).toMatchObject(refusal(RefusalCode.InvalidArgument));
    expect(await read(alice.client, { with: bob.name, messageId: foreign })).toMatchObject({
      ...refusal(RefusalCode.NotFound, 'Message is not in this conversation'),
      with: bob.name,
    });
    expect(await read(alice.client, { with: 'nobody-here', messageId: own })).toMatchObject(
      refusal(RefusalCode.NotFound, 'User does not exist'),
    );
    expect(await read(alice.client, { with: alice.name, messageId: own })).toMatchObject(refusal(RefusalCode.NotFound));

    const team = `rt-${Date.now() % 1e9}`;
    expect(await carol.client.request({ messageType: MessageType.GroupCreateRequest, groupName: team, members: [bob.name] })).toMatchObject(
      { success: true },
    );
    const groupMessage = (await carol.client.request({ messageType: MessageType.GroupChatRequest, groupName: team, content: 'hi' }))
      .messageId;
    expect(await read(alice.client, { groupName: team, messageId: groupMessage })).toMatchObject(refusal(RefusalCode.Forbidden));
    expect(await read(alice.client, { groupName: 'no-such-group', messageId: groupMessage })).toMatchObject(refusal(RefusalCode.NotFound));
    expect(await read(alice.client, { groupName: '', messageId: groupMessage })).toMatchObject(refusal(RefusalCode.InvalidArgument));
    expect(await read(bob.client, { groupName: team, messageId: foreign })).toMatchObject(
      refusal(RefusalCode.NotFound, 'Message is not in this group'),
    );
    expect(await read(bob.client, { groupName: team, messageId: groupMessage })).toMatchObject({
      success: true,
      groupName: team,
      with: null,
    });
  });

  it('pushes a group’s receipts to its members at most once per member per second, the latest position winning', async () => {
    const watcher = await fixture.user(server, 'gw');
    const readers = await Promise.all([fixture.user(server, 'g1'), fixture.user(server, 'g2'), fixture.user(server, 'g3')]);
    const team = `rg-${Date.now() % 1e9}`;
    const created = await watcher.client.request({
      messageType: MessageType.GroupCreateRequest,
      groupName: team,
      members: readers.map((r) => r.name),
    });
    expect(created.success).toBe(true);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push(
        (await watcher.client.request({ messageType: MessageType.GroupChatRequest, groupName: team, content: `m${i}` }))
          .messageId as string,
      );
    }
    // 3 readers × 12 reads over about 2.4 s: 36 position moves.
    const started = Date.now();
    for (let i = 0; i < 12; i++) {
      await Promise.all(readers.map((r) => read(r.client, { groupName: team, messageId: ids[i] })));
      await sleep(200);
    }
    await sleep(1300);
    const pushes = watcher.client.received.filter((f) => isReceipt(f) && f.groupName === team);
    const times = pushes.map((f) => Date.parse(f.time as string));
    const elapsed = Date.now() - started;
    expect(pushes.length).toBeGreaterThanOrEqual(2);
    expect(pushes.length).toBeLessThanOrEqual(Math.ceil(elapsed / 1000) + 1);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(950);
    const last = pushes[pushes.length - 1];
    expect(last.messageId).toBe(ids[11]);
    expect(new Set((last.reads as { from: string; messageId: string }[]).map((r) => r.messageId))).toEqual(new Set([ids[11]]));
    // Every reader is a member too: each of their connections got at most as many.
    for (const reader of readers) {
      expect(reader.client.received.filter((f) => isReceipt(f) && f.groupName === team).length).toBeLessThanOrEqual(pushes.length);
    }
  });
});
