import { MessageType, RefusalCode } from '../src/protocol';
import { MODE } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { Frame, WsTestClient, uniqueName } from './helpers/ws-client';

const MAX_CONTENT_BYTES = 64;

const isChanged = (messageId: string) => (f: Frame) => f.messageType === MessageType.MessageChanged && f.messageId === messageId;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Edit (41/42), recall (43/44) and the MessageChanged push (45) (docs/protocol.md §3, §4.5). */
describe(`edit and recall (${MODE})`, () => {
  const fixture = useFixture({ settings: { MAX_CONTENT_BYTES: String(MAX_CONTENT_BYTES) }, closeClientsAfterEach: true });
  let server: Instance;
  let short: Instance;
  /** The main server's storage, kept across its restart (embedded: its data folder; cluster: the suite's database). */
  let storage: Record<string, string> = {};

  const session = (name: string, on = server): Promise<WsTestClient> => fixture.session(on, name);
  const user = async (prefix: string, on = server): Promise<{ name: string; client: WsTestClient }> => fixture.user(on, prefix);

  async function send(from: WsTestClient, to: string, content: string): Promise<string> {
    const ack = await from.request({ messageType: MessageType.ChatRequest, to, content });
    expect(ack.success).toBe(true);
    return ack.messageId as string;
  }

  const edit = (client: WsTestClient, messageId: unknown, content: unknown) =>
    client.request({ messageType: MessageType.EditRequest, messageId, content });
  const recall = (client: WsTestClient, messageId: unknown) => client.request({ messageType: MessageType.RecallRequest, messageId });

  async function history(client: WsTestClient, query: Record<string, unknown>): Promise<Frame[]> {
    const page = await client.request({ messageType: MessageType.HistoryRequest, ...query, limit: 100 });
    expect(page.success).toBe(true);
    return page.messages as Frame[];
  }

  async function group(owner: WsTestClient, members: string[]): Promise<string> {
    const groupName = uniqueName('g');
    const created = await owner.request({ messageType: MessageType.GroupCreateRequest, groupName, members });
    expect(created.success).toBe(true);
    return created.groupName as string;
  }

  beforeAll(async () => {
    storage = fixture.mode === 'embedded' ? { DATA_DIR: fixture.instanceEnv().DATA_DIR } : {};
    [server, short] = await Promise.all([fixture.start(storage), fixture.start({ EDIT_WINDOW_SECONDS: '1' })]);
  });

  beforeEach(async () => {
    server = await fixture.alive(server, storage);
  });

  it('the sender edits then recalls a 1:1 message: every live session of both parties gets MessageChanged', async () => {
    const alice = await user('ea');
    const alice2 = await session(alice.name);
    const bob = await user('eb');
    const id = await send(alice.client, bob.name, 'helo');
    await bob.client.next((f) => f.messageType === MessageType.ChatResponse && f.messageId === id);

    const edited = await edit(alice.client, id, 'hello');
    expect(edited).toMatchObject({ messageType: MessageType.EditResponse, success: true, reason: null, messageId: id });
    expect(Date.parse(edited.editedAt as string)).toBeGreaterThan(0);
    for (const client of [alice.client, alice2, bob.client]) {
      expect(await client.next(isChanged(id))).toMatchObject({
        from: alice.name,
        to: bob.name,
        content: 'hello',
        editedAt: edited.editedAt,
        sequenceId: 0,
      });
    }

    const recalled = await recall(alice2, id);
    expect(recalled).toMatchObject({ messageType: MessageType.RecallResponse, success: true, messageId: id });
    for (const client of [alice.client, alice2, bob.client]) {
      const push = await client.next((f) => isChanged(id)(f) && f.recalled === true);
      expect(push).toMatchObject({ from: alice.name, to: bob.name, editedAt: recalled.editedAt });
      expect(push).not.toHaveProperty('content');
    }

    // A recall repeated is answered as the first, without another push; an edit of it is refused.
    expect(await recall(alice.client, id)).toMatchObject({ success: true, messageId: id, editedAt: recalled.editedAt });
    expect(await edit(alice.client, id, 'again')).toMatchObject({ success: false, code: RefusalCode.Conflict, messageId: null });
    await pause(300);
    expect(bob.client.received.filter(isChanged(id))).toHaveLength(2);

    // History keeps the message in its place, without its content.
    const later = await send(alice.client, bob.name, 'after');
    const messages = await history(bob.client, { with: alice.name });
    expect(messages.map((m) => m.messageId)).toEqual([id, later]);
    expect(messages[0]).toMatchObject({ content: null, recalled: true, editedAt: recalled.editedAt, from: alice.name });
    expect(messages[1]).not.toHaveProperty('editedAt');
    expect(messages[1]).not.toHaveProperty('recalled');
  });

  it('a group message: the members get MessageChanged with the group, and history shows the latest state', async () => {
    const alice = await user('ga');
    const bob = await user('gb');
    const carol = await user('gc');
    const groupName = await group(alice.client, [bob.name, carol.name]);
    const sent = await alice.client.request({ messageType: MessageType.GroupChatRequest, groupName, content: 'draft' });
    const id = sent.messageId as string;
    await carol.client.next((f) => f.messageType === MessageType.GroupChatResponse && f.messageId === id);

    const edited = await edit(alice.client, id, 'final');
    expect(edited.success).toBe(true);
    for (const client of [alice.client, bob.client, carol.client]) {
      const push = await client.next(isChanged(id));
      expect(push).toMatchObject({ from: alice.name, groupName, content: 'final', editedAt: edited.editedAt });
      expect(push).not.toHaveProperty('to');
    }
    expect((await history(carol.client, { groupName }))[0]).toMatchObject({ messageId: id, content: 'final', editedAt: edited.editedAt });

    expect(await edit(bob.client, id, 'mine')).toMatchObject({ success: false, code: RefusalCode.Forbidden });
    const outsider = await user('go');
    expect(await recall(outsider.client, id)).toMatchObject({ success: false, code: RefusalCode.NotFound });
    expect((await recall(alice.client, id)).success).toBe(true);
    await bob.client.next((f) => isChanged(id)(f) && f.recalled === true);
    expect((await history(bob.client, { groupName }))[0]).toMatchObject({ messageId: id, content: null, recalled: true });
  });

  it('refusals: not the sender, not found (unknown, or not in the conversation), bad input, window passed', async () => {
    const alice = await user('ra');
    const bob = await user('rb');
    const carol = await user('rc');
    const id = await send(alice.client, bob.name, 'hi');
    const empty = { messageId: null, editedAt: null };

    expect(await edit(bob.client, id, 'x')).toMatchObject({ success: false, code: RefusalCode.Forbidden, ...empty });
    expect(await recall(bob.client, id)).toMatchObject({ messageType: MessageType.RecallResponse, code: RefusalCode.Forbidden });
    // carol is not part of the conversation: the message does not exist for her, as an unknown id.
    const unseen = await edit(carol.client, id, 'x');
    const unknown = await edit(carol.client, '999999999999', 'x');
    expect(unseen).toMatchObject({ success: false, code: RefusalCode.NotFound, ...empty });
    expect(unseen.reason).toBe(unknown.reason);
    expect(await recall(alice.client, '999999999999')).toMatchObject({ code: RefusalCode.NotFound });

    expect(await edit(alice.client, 'one', 'x')).toMatchObject({ code: RefusalCode.InvalidArgument, ...empty });
    expect(await edit(alice.client, id, '')).toMatchObject({ code: RefusalCode.InvalidArgument, reason: 'content must not be empty' });
    expect(await edit(alice.client, id, 42)).toMatchObject({ code: RefusalCode.InvalidArgument });
    expect(await edit(alice.client, id, 'x'.repeat(MAX_CONTENT_BYTES + 1))).toMatchObject({ code: RefusalCode.InvalidArgument });
    expect(await edit(alice.client, id, 'x'.repeat(MAX_CONTENT_BYTES))).toMatchObject({ success: true });

    const early = await user('wa', short);
    const late = await user('wb', short);
    const old = await send(early.client, late.name, 'soon old');
    await pause(1500);
    expect(await edit(early.client, old, 'x')).toMatchObject({ success: false, code: RefusalCode.LimitExceeded, ...empty });
    expect(await recall(early.client, old)).toMatchObject({ success: false, code: RefusalCode.LimitExceeded });
    expect((await history(late.client, { with: early.name }))[0]).toMatchObject({ content: 'soon old' });
    expect(late.client.received.filter(isChanged(old))).toEqual([]);
  });

  it('a recipient offline before receiving: the replay shows the latest state', async () => {
    const alice = await user('oa');
    const bob = await fixture.registered(server, 'ob');
    const first = await send(alice.client, bob, 'frist');
    const second = await send(alice.client, bob, 'oops');
    expect((await edit(alice.client, first, 'first')).success).toBe(true);
    expect((await recall(alice.client, second)).success).toBe(true);

    const client = await session(bob);
    const replayed = await client.collect((f) => f.messageType === MessageType.ChatResponse && f.offline === true, 2);
    expect(replayed[0]).toMatchObject({ messageId: first, content: 'first', editedAt: expect.any(String) });
    expect(replayed[0]).not.toHaveProperty('recalled');
    expect(replayed[1]).toMatchObject({ messageId: second, content: null, recalled: true });
  });

  it('a recipient who received and acknowledged, then went offline: the next login pushes MessageChanged, once', async () => {
    const alice = await user('aa');
    const bob = await user('ab');
    const first = await send(alice.client, bob.name, 'one');
    const second = await send(alice.client, bob.name, 'two');
    await bob.client.collect((f) => f.messageType === MessageType.ChatResponse && f.from === alice.name, 2);
    bob.client.send({ messageType: MessageType.Ack, messageIds: [first, second] });
    await pause(300);
    bob.client.close();
    await bob.client.closed;
    await pause(200);

    const edited = await edit(alice.client, first, 'one, edited');
    expect(edited.success).toBe(true);
    expect((await recall(alice.client, second)).success).toBe(true);

    const back = await session(bob.name);
    expect(await back.next(isChanged(first))).toMatchObject({ content: 'one, edited', editedAt: edited.editedAt, to: bob.name });
    expect(await back.next(isChanged(second))).toMatchObject({ recalled: true });
    await pause(300);
    expect(back.received.filter((f) => f.messageType === MessageType.ChatResponse && f.offline === true)).toEqual([]);

    // Pushed once: the next login has nothing more.
    const again = await session(bob.name);
    await pause(500);
    expect(again.received.filter((f) => f.messageType === MessageType.MessageChanged)).toEqual([]);
  });

  it('a restart keeps the changes, and the ones not yet pushed', async () => {
    const alice = await user('sa');
    const bob = await user('sb');
    const id = await send(alice.client, bob.name, 'before');
    await bob.client.next((f) => f.messageId === id);
    bob.client.send({ messageType: MessageType.Ack, messageIds: [id] });
    await pause(300);
    bob.client.close();
    await bob.client.closed;
    await pause(200);
    const edited = await edit(alice.client, id, 'after');
    expect(edited.success).toBe(true);
    alice.client.close();

    await server.stop();
    server = await fixture.start(storage);
    const back = await session(bob.name);
    expect(await back.next(isChanged(id))).toMatchObject({ content: 'after', editedAt: edited.editedAt });
    expect((await history(back, { with: alice.name }))[0]).toMatchObject({ messageId: id, content: 'after', editedAt: edited.editedAt });
  });
});
