import { MessageType, RefusalCode } from '../src/protocol';
import { MODE } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { Frame, WsTestClient } from './helpers/ws-client';

type Entry = {
  with?: string;
  groupName?: string;
  lastMessage: Frame;
  unread: number;
  readUpTo: string | null;
  peerReadUpTo?: string | null;
};

/** The list of a user's conversations (docs/protocol.md §3.21). */
describe(`conversations (${MODE})`, () => {
  const fixture = useFixture({ closeClientsAfterEach: true });
  let server: Instance;

  beforeAll(async () => {
    server = await fixture.start();
  });
  beforeEach(async () => {
    server = await fixture.alive(server);
  });

  async function send(from: WsTestClient, to: string, content: string): Promise<string> {
    const ack = await from.request({ messageType: MessageType.ChatRequest, to, content });
    expect(ack.success).toBe(true);
    return ack.messageId as string;
  }

  async function list(
    client: WsTestClient,
    fields: Record<string, unknown> = {},
  ): Promise<{ conversations: Entry[]; next: string | null }> {
    const response = await client.request({ messageType: MessageType.ConversationsRequest, ...fields });
    expect(response).toMatchObject({ messageType: MessageType.ConversationsResponse, success: true });
    return response as unknown as { conversations: Entry[]; next: string | null };
  }

  const key = (e: Entry) => e.with ?? `#${e.groupName}`;

  it('lists conversations newest activity first, with the last message as history shows it, unread and read positions', async () => {
    const alice = await fixture.user(server, 'ca');
    const bob = await fixture.user(server, 'cb');
    const carol = await fixture.user(server, 'cc');
    const team = `ct-${Date.now() % 1e9}`;
    expect(
      (await carol.client.request({ messageType: MessageType.GroupCreateRequest, groupName: team, members: [alice.name] })).success,
    ).toBe(true);
    expect(await list(alice.client)).toMatchObject({ conversations: [], next: null });

    const b1 = await send(bob.client, alice.name, 'from bob');
    const b2 = await send(bob.client, alice.name, 'again from bob');
    await send(carol.client, alice.name, 'from carol');
    const a1 = await send(alice.client, bob.name, 'from alice');
    const g1 = (await carol.client.request({ messageType: MessageType.GroupChatRequest, groupName: team, content: 'to the team' }))
      .messageId;

    const first = await list(alice.client);
    expect(first.next).toBeNull();
    let conversations = first.conversations;
    expect(conversations.map(key)).toEqual([`#${team}`, bob.name, carol.name]);
    const history = await alice.client.request({ messageType: MessageType.HistoryRequest, with: bob.name, limit: 1 });
    expect(conversations[1].lastMessage).toEqual((history.messages as Frame[])[0]);
    expect(conversations[1]).toMatchObject({ with: bob.name, unread: 2, readUpTo: null, peerReadUpTo: null });
    expect(conversations[1].lastMessage).toMatchObject({
      messageType: MessageType.ChatResponse,
      messageId: a1,
      from: alice.name,
      content: 'from alice',
    });
    const groupHistory = await alice.client.request({ messageType: MessageType.HistoryRequest, groupName: team, limit: 1 });
    expect(conversations[0].lastMessage).toEqual((groupHistory.messages as Frame[])[0]);
    expect(conversations[0]).toMatchObject({ groupName: team, unread: 1, readUpTo: null });
    expect(conversations[0].peerReadUpTo).toBeUndefined();
    expect(conversations[2]).toMatchObject({ with: carol.name, unread: 1 });

    // Reading moves unread and the positions, for both sides.
    expect((await alice.client.request({ messageType: MessageType.ReadRequest, with: bob.name, messageId: b1 })).success).toBe(true);
    expect((await list(alice.client)).conversations[1]).toMatchObject({ unread: 1, readUpTo: b1 });
    expect((await alice.client.request({ messageType: MessageType.ReadRequest, with: bob.name, messageId: a1 })).messageId).toBe(a1);
    expect((await alice.client.request({ messageType: MessageType.ReadRequest, groupName: team, messageId: g1 })).messageId).toBe(g1);
    ({ conversations } = await list(alice.client));
    expect(conversations[0]).toMatchObject({ groupName: team, unread: 0, readUpTo: g1 });
    expect(conversations[1]).toMatchObject({ with: bob.name, unread: 0, readUpTo: a1 });
    const bobs = (await list(bob.client)).conversations;
    expect(bobs).toEqual([expect.objectContaining({ with: alice.name, unread: 1, readUpTo: null, peerReadUpTo: a1 })]);
    expect(BigInt(b2) < BigInt(a1)).toBe(true);

    // New activity moves a conversation to the top.
    await send(carol.client, alice.name, 'carol again');
    expect((await list(alice.client)).conversations.map(key)).toEqual([carol.name, `#${team}`, bob.name]);
    expect((await list(alice.client)).conversations[0].unread).toBe(2);

    // One's own group messages are read: sending moves the sender's read position, and a reply reads what came before.
    const groupOf = async (client: typeof alice.client) =>
      (await list(client)).conversations.find((conversation) => conversation.groupName === team)!;
    expect(await groupOf(carol.client)).toMatchObject({ unread: 0, readUpTo: g1 });
    const g2 = (await carol.client.request({ messageType: MessageType.GroupChatRequest, groupName: team, content: 'more' })).messageId;
    const g3 = (await alice.client.request({ messageType: MessageType.GroupChatRequest, groupName: team, content: 'reply' })).messageId;
    expect(await groupOf(carol.client)).toMatchObject({ unread: 1, readUpTo: g2 });
    expect(await groupOf(alice.client)).toMatchObject({ unread: 0, readUpTo: g3 });
  });

  it('refuses a bad limit or cursor', async () => {
    const alice = await fixture.user(server, 'cl');
    const refusal = {
      messageType: MessageType.ConversationsResponse,
      success: false,
      code: RefusalCode.InvalidArgument,
      conversations: [],
      next: null,
    };
    for (const limit of [0, 101, 1.5, '5', true]) {
      expect(await alice.client.request({ messageType: MessageType.ConversationsRequest, limit })).toMatchObject(refusal);
    }
    for (const before of ['garbage!', '', 12, 'YzA', 'Yw', {}]) {
      expect(await alice.client.request({ messageType: MessageType.ConversationsRequest, before })).toMatchObject(refusal);
    }
    expect(await alice.client.request({ messageType: MessageType.ConversationsRequest, limit: 100 })).toMatchObject({ success: true });
  });

  it('pages with the cursor without repeats or gaps while new messages arrive', async () => {
    const owner = await fixture.user(server, 'cp');
    const peers: { name: string; client: WsTestClient }[] = [];
    for (let i = 0; i < 24; i++) peers.push(await fixture.user(server, 'cq'));
    for (const peer of peers) await send(peer.client, owner.name, `hello from ${peer.name}`);
    const seen: string[] = [];
    const moved = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { conversations: Entry[]; next: string | null } = await list(
        owner.client,
        cursor ? { limit: 5, before: cursor } : { limit: 5 },
      );
      const ids = page.conversations.map((e) => BigInt(e.lastMessage.messageId as string));
      expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : 1)));
      seen.push(...page.conversations.map(key));
      cursor = page.next;
      pages++;
      // A conversation not listed yet gets a message: it moves above the pages already read.
      const unseen = peers.find((p) => !seen.includes(p.name) && !moved.has(p.name));
      if (unseen && pages % 2 === 1) {
        moved.add(unseen.name);
        await send(unseen.client, owner.name, 'newer');
      }
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(seen.length);
    const missing = peers.map((p) => p.name).filter((name) => !seen.includes(name));
    expect(missing.every((name) => moved.has(name))).toBe(true);
    expect((await list(owner.client, { limit: 100 })).conversations.map(key).sort()).toEqual(peers.map((p) => p.name).sort());
  }, 120_000);
});
