import { MessageType, RESPONSE_TYPE } from '../src/protocol';
import { MODE } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { Frame, WsTestClient, loggedIn, uniqueName } from './helpers/ws-client';
import { sleep } from './helpers/wait';

describe(`groups (${MODE})`, () => {
  const fixture = useFixture({ closeClientsAfterEach: true });
  let server: Instance;
  const login = async (name: string, register = true) => fixture.track(await loggedIn(server.wsUrl, name, 'secret-pass', register));
  const registered = (prefix: string) => fixture.registered(server, prefix);

  /** A group chat send and its acknowledgement: the sender's copy echoing the sequenceId. */
  async function groupSend(client: WsTestClient, groupName: string, content: string, extra: Record<string, unknown> = {}): Promise<Frame> {
    const sequenceId = client.send({ messageType: MessageType.GroupChatRequest, groupName, content, ...extra });
    return client.next(
      (f) =>
        (f.messageType === MessageType.GroupChatResponse || f.messageType === MessageType.Error) &&
        f.sequenceId === sequenceId &&
        (f.success === false || f.from === client.received.find((x) => x.messageType === MessageType.LoginResponse)?.username),
    );
  }

  beforeAll(async () => {
    server = await fixture.start({ RATE_LIMIT_PER_SEC: '1000', RATE_LIMIT_BURST: '1000' });
  });

  describe(`create (${MessageType.GroupCreateRequest}/${MessageType.GroupCreateResponse})`, () => {
    it(
      'creates with the creator as member, leaves out unknown users, ' +
        `and pushes type ${MessageType.GroupCreateResponse} to added members online`,
      async () => {
        const owner = uniqueName('owner');
        const ownerClient = await login(owner);
        const bob = uniqueName('bob');
        const bobClient = await login(bob);
        const carol = await registered('carol');
        const group = uniqueName('g');
        const response = await ownerClient.request({
          messageType: MessageType.GroupCreateRequest,
          groupName: group,
          members: [bob, carol, 'nobody-known-x', bob],
        });
        expect(response).toMatchObject({ messageType: MessageType.GroupCreateResponse, success: true, reason: null, groupName: group });
        expect((response.members as string[]).sort()).toEqual([owner, bob, carol].sort());
        const push = await bobClient.next((f) => f.messageType === MessageType.GroupCreateResponse);
        expect(push).toMatchObject({ sequenceId: 0, success: true, reason: `You have been added to group "${group}"`, groupName: group });
        expect((push.members as string[]).sort()).toEqual([owner, bob, carol].sort());
        await sleep(100);
        expect(ownerClient.received.filter((f) => f.messageType === MessageType.GroupCreateResponse)).toHaveLength(1);
      },
    );

    it('refuses a taken name, a bad name and bad members', async () => {
      const client = await login(uniqueName('maker'));
      const group = uniqueName('g');
      expect((await client.request({ messageType: MessageType.GroupCreateRequest, groupName: group, members: [] })).success).toBe(true);
      expect(await client.request({ messageType: MessageType.GroupCreateRequest, groupName: group, members: [] })).toMatchObject({
        success: false,
        reason: 'Group name is already taken',
        groupName: group,
      });
      for (const groupName of ['', '<b>x</b>', 'a&b', 'tab\tname', 'x'.repeat(65), 42]) {
        expect((await client.request({ messageType: MessageType.GroupCreateRequest, groupName, members: [] })).success).toBe(false);
      }
      expect(
        await client.request({ messageType: MessageType.GroupCreateRequest, groupName: uniqueName('g'), members: 'bob' }),
      ).toMatchObject({ success: false, reason: 'members must be an array of at most 1000 usernames' });
      expect(
        await client.request({ messageType: MessageType.GroupCreateRequest, groupName: uniqueName('g'), members: [1, 2] }),
      ).toMatchObject({ success: false });
    });

    it('creates with no members list at all', async () => {
      const name = uniqueName('solo');
      const client = await login(name);
      const group = uniqueName('g');
      expect(await client.request({ messageType: MessageType.GroupCreateRequest, groupName: group })).toMatchObject({
        success: true,
        members: [name],
      });
    });
  });

  describe('join, members, quit (11-16)', () => {
    it('joins (twice is fine), lists members for members only, and quits', async () => {
      const owner = uniqueName('owner');
      const ownerClient = await login(owner);
      const group = uniqueName('g');
      await ownerClient.request({ messageType: MessageType.GroupCreateRequest, groupName: group, members: [] });
      const bob = uniqueName('bob');
      const bobClient = await login(bob);
      expect(await bobClient.request({ messageType: MessageType.GroupMembersRequest, groupName: group })).toMatchObject({
        messageType: MessageType.GroupMembersResponse,
        success: false,
        reason: 'You are not a member of this group',
      });
      expect(await bobClient.request({ messageType: MessageType.GroupJoinRequest, groupName: group })).toMatchObject({
        messageType: MessageType.GroupJoinResponse,
        success: true,
        reason: null,
        groupName: group,
      });
      expect(await bobClient.request({ messageType: MessageType.GroupJoinRequest, groupName: group, username: bob })).toMatchObject({
        success: true,
      });
      const members = await bobClient.request({ messageType: MessageType.GroupMembersRequest, groupName: group });
      expect(members).toMatchObject({ messageType: MessageType.GroupMembersResponse, success: true, groupName: group });
      expect((members.members as string[]).sort()).toEqual([owner, bob].sort());
      expect(await bobClient.request({ messageType: MessageType.GroupQuitRequest, groupName: group })).toMatchObject({
        messageType: MessageType.GroupQuitResponse,
        success: true,
        groupName: group,
      });
      expect(await bobClient.request({ messageType: MessageType.GroupQuitRequest, groupName: group })).toMatchObject({
        success: false,
        reason: 'You are not a member of this group',
      });
      expect((await ownerClient.request({ messageType: MessageType.GroupMembersRequest, groupName: group })).members).toEqual([owner]);
    });

    it('refuses unknown groups and a username that is not yourself', async () => {
      const me = uniqueName('me');
      const client = await login(me);
      expect(await client.request({ messageType: MessageType.GroupJoinRequest, groupName: 'no-such-group-x' })).toMatchObject({
        success: false,
        reason: 'Group does not exist',
      });
      expect(await client.request({ messageType: MessageType.GroupQuitRequest, groupName: 'no-such-group-x' })).toMatchObject({
        success: false,
        reason: 'Group does not exist',
      });
      expect(await client.request({ messageType: MessageType.GroupMembersRequest, groupName: 'no-such-group-x' })).toMatchObject({
        success: false,
        reason: 'Group does not exist',
      });
      const group = uniqueName('g');
      await client.request({ messageType: MessageType.GroupCreateRequest, groupName: group });
      expect(await client.request({ messageType: MessageType.GroupJoinRequest, groupName: group, username: 'someone-else' })).toMatchObject(
        { success: false, reason: 'username must be the logged-in user' },
      );
      expect(await client.request({ messageType: MessageType.GroupQuitRequest, groupName: group, username: 'someone-else' })).toMatchObject(
        { success: false, reason: 'username must be the logged-in user' },
      );
      expect((await client.request({ messageType: MessageType.GroupMembersRequest, groupName: group })).members).toEqual([me]);
    });

    it('deletes the group with its messages when the last member quits; the name is free again', async () => {
      const client = await login(uniqueName('last'));
      const group = uniqueName('g');
      await client.request({ messageType: MessageType.GroupCreateRequest, groupName: group });
      expect((await groupSend(client, group, 'old')).success).toBe(true);
      expect((await client.request({ messageType: MessageType.GroupQuitRequest, groupName: group })).success).toBe(true);
      expect(await client.request({ messageType: MessageType.GroupJoinRequest, groupName: group })).toMatchObject({
        success: false,
        reason: 'Group does not exist',
      });
      expect((await client.request({ messageType: MessageType.GroupCreateRequest, groupName: group })).success).toBe(true);
      expect(await client.request({ messageType: MessageType.HistoryRequest, groupName: group })).toMatchObject({
        success: true,
        messages: [],
      });
    });

    it('requires login', async () => {
      const anonymous = await fixture.connect(server);
      for (const messageType of [
        MessageType.GroupChatRequest,
        MessageType.GroupCreateRequest,
        MessageType.GroupJoinRequest,
        MessageType.GroupMembersRequest,
        MessageType.GroupQuitRequest,
      ]) {
        expect(await anonymous.request({ messageType, groupName: 'x' })).toMatchObject({
          messageType: RESPONSE_TYPE[messageType],
          success: false,
          reason: 'Please log in',
        });
      }
    });
  });

  describe(`group chat (${MessageType.GroupChatRequest}/${MessageType.GroupChatResponse})`, () => {
    it("delivers to every connection of every member, the sender's copy being its acknowledgement", async () => {
      const alice = uniqueName('alice');
      const alice1 = await login(alice);
      const alice2 = await login(alice, false);
      const bob = uniqueName('bob');
      const bobClient = await login(bob);
      const outsider = await login(uniqueName('out'));
      const group = uniqueName('g');
      await alice1.request({ messageType: MessageType.GroupCreateRequest, groupName: group, members: [bob] });
      const ack = await groupSend(alice1, group, 'hello group', { sequenceId: 500 });
      expect(ack).toMatchObject({
        messageType: MessageType.GroupChatResponse,
        sequenceId: 500,
        success: true,
        reason: null,
        from: alice,
        groupName: group,
        content: 'hello group',
        offline: false,
      });
      expect(ack.messageId).toMatch(/^\d+$/);
      for (const client of [alice2, bobClient]) {
        expect(await client.next((f) => f.messageType === MessageType.GroupChatResponse && f.messageId === ack.messageId)).toMatchObject({
          sequenceId: 500,
          from: alice,
          content: 'hello group',
        });
      }
      await sleep(100);
      for (const client of [alice1, alice2, bobClient])
        expect(client.received.filter((f) => f.messageId === ack.messageId)).toHaveLength(1);
      expect(outsider.received.filter((f) => f.messageType === MessageType.GroupChatResponse)).toHaveLength(0);
    });

    it('refuses non-members, unknown groups, spoofed from and bad content', async () => {
      const alice = uniqueName('alice');
      const client = await login(alice);
      const group = uniqueName('g');
      await client.request({ messageType: MessageType.GroupCreateRequest, groupName: group });
      const stranger = await login(uniqueName('stranger'));
      const cases: [WsTestClient, Record<string, unknown>, string][] = [
        [stranger, { groupName: group, content: 'x' }, 'You are not a member of this group'],
        [client, { groupName: 'no-such-group-x', content: 'x' }, 'Group does not exist'],
        [client, { groupName: group, content: 'x', from: 'mallory' }, 'from must be the logged-in user'],
        [client, { groupName: group, content: '' }, 'content must not be empty'],
        [client, { groupName: group, content: 'x'.repeat(20001) }, 'content must be at most 20000 bytes'],
        [client, { groupName: group }, 'content must not be empty'],
        [client, { content: 'x' }, 'groupName is required'],
      ];
      for (const [sender, fields, reason] of cases) {
        expect(await sender.request({ messageType: MessageType.GroupChatRequest, ...fields })).toMatchObject({
          messageType: MessageType.GroupChatResponse,
          success: false,
          reason,
        });
      }
      expect(await client.request({ messageType: MessageType.HistoryRequest, groupName: group })).toMatchObject({
        success: true,
        messages: [],
      });
    });

    it('deduplicates by clientMessageId', async () => {
      const alice = uniqueName('alice');
      const client = await login(alice);
      const bob = uniqueName('bob');
      const bobClient = await login(bob);
      const group = uniqueName('g');
      await client.request({ messageType: MessageType.GroupCreateRequest, groupName: group, members: [bob] });
      const first = await groupSend(client, group, 'once', { clientMessageId: 'gc-1' });
      const again = await groupSend(client, group, 'once', { clientMessageId: 'gc-1' });
      expect(again).toMatchObject({ success: true, messageId: first.messageId, content: 'once' });
      await sleep(200);
      expect(new Set(bobClient.received.filter((f) => f.messageType === MessageType.GroupChatResponse).map((f) => f.messageId))).toEqual(
        new Set([first.messageId]),
      );
      const history = await client.request({ messageType: MessageType.HistoryRequest, groupName: group });
      expect((history.messages as Frame[]).map((m) => m.content)).toEqual(['once']);
    });

    it('keeps order, sends offline members what they missed at login, and stops after their Ack', async () => {
      const alice = uniqueName('alice');
      const client = await login(alice);
      const bob = await registered('bob');
      const group = uniqueName('g');
      await client.request({ messageType: MessageType.GroupCreateRequest, groupName: group, members: [bob] });
      const sends = Array.from({ length: 30 }, (_, i) => groupSend(client, group, `g${i}`));
      const acks = await Promise.all(sends);
      const ids = acks.map((a) => BigInt(a.messageId as string));
      expect([...ids].sort((x, y) => (x < y ? -1 : 1))).toEqual(ids);
      const bobClient = await login(bob, false);
      const offline = await bobClient.collect((f) => f.messageType === MessageType.GroupChatResponse && f.offline === true, 30);
      expect(offline.map((f) => f.content)).toEqual(acks.map((_, i) => `g${i}`));
      expect(offline.map((f) => f.messageId)).toEqual(acks.map((a) => a.messageId));
      bobClient.send({ messageType: MessageType.Ack, messageIds: offline.slice(0, 20).map((f) => f.messageId) });
      await sleep(200);
      const again = await login(bob, false);
      const rest = await again.collect((f) => f.messageType === MessageType.GroupChatResponse && f.offline === true, 10);
      expect(rest.map((f) => f.content)).toEqual(acks.slice(20).map((_, i) => `g${20 + i}`));
    });

    it("does not send a new member the group's past as offline messages, but shows it in history", async () => {
      const alice = uniqueName('alice');
      const client = await login(alice);
      const group = uniqueName('g');
      await client.request({ messageType: MessageType.GroupCreateRequest, groupName: group });
      await groupSend(client, group, 'before you came');
      const bob = uniqueName('bob');
      const bobClient = await login(bob);
      await bobClient.request({ messageType: MessageType.GroupJoinRequest, groupName: group });
      const after = await groupSend(client, group, 'after you came');
      await bobClient.next((f) => f.messageId === after.messageId);
      bobClient.close();
      await bobClient.closed;
      const again = await login(bob, false);
      const offline = await again.collect((f) => f.messageType === MessageType.GroupChatResponse && f.offline === true, 1);
      expect(offline.map((f) => f.content)).toEqual(['after you came']);
      const history = await again.request({ messageType: MessageType.HistoryRequest, groupName: group });
      expect((history.messages as Frame[]).map((m) => m.content)).toEqual(['before you came', 'after you came']);
    });

    it('pages group history for members only', async () => {
      const alice = uniqueName('alice');
      const client = await login(alice);
      const group = uniqueName('g');
      await client.request({ messageType: MessageType.GroupCreateRequest, groupName: group });
      const sent: string[] = [];
      for (let i = 0; i < 5; i++) sent.push((await groupSend(client, group, `p${i}`)).messageId as string);
      const page = await client.request({ messageType: MessageType.HistoryRequest, groupName: group, limit: 2 });
      expect((page.messages as Frame[]).map((m) => m.messageId)).toEqual(sent.slice(3));
      expect((page.messages as Frame[])[0]).toMatchObject({ messageType: MessageType.GroupChatResponse, groupName: group, from: alice });
      const older = await client.request({ messageType: MessageType.HistoryRequest, groupName: group, limit: 2, beforeId: sent[3] });
      expect((older.messages as Frame[]).map((m) => m.messageId)).toEqual(sent.slice(1, 3));
      const stranger = await login(uniqueName('stranger'));
      expect(await stranger.request({ messageType: MessageType.HistoryRequest, groupName: group })).toMatchObject({
        success: false,
        reason: 'You are not a member of this group',
        messages: [],
      });
    });
  });

  describe('group routes', () => {
    it('POST /joinMember adds an existing user (true also when already a member) and refuses unknowns with -10', async () => {
      const owner = await login(uniqueName('owner'));
      const group = uniqueName('g');
      await owner.request({ messageType: MessageType.GroupCreateRequest, groupName: group });
      const bob = await registered('bob');
      const path = `/joinMember?name=${encodeURIComponent(group)}&member=${bob}`;
      expect((await server.http('POST', path, { auth: 'cluster' })).body).toMatchObject({ code: 0, data: true });
      expect((await server.http('POST', path, { auth: 'cluster' })).body).toMatchObject({ code: 0, data: true });
      expect(
        ((await owner.request({ messageType: MessageType.GroupMembersRequest, groupName: group })).members as string[]).sort(),
      ).toContain(bob);
      expect((await server.http('POST', `/joinMember?name=no-such-group-x&member=${bob}`, { auth: 'cluster' })).body).toMatchObject({
        code: -10,
        msg: 'Group does not exist',
      });
      expect(
        (await server.http('POST', `/joinMember?name=${encodeURIComponent(group)}&member=ghost-user-x`, { auth: 'cluster' })).body,
      ).toMatchObject({ code: -10, msg: 'User does not exist' });
      const missing = await server.http('POST', '/joinMember?name=x', { auth: 'cluster' });
      expect(missing.status).toBe(400);
      expect(missing.body.code).toBe(-9);
      expect((await server.http('POST', path)).status).toBe(401);
    });

    it('POST /removeMember removes, deletes an emptied group, and refuses with -10', async () => {
      const ownerName = uniqueName('owner');
      const owner = await login(ownerName);
      const group = uniqueName('g');
      await owner.request({ messageType: MessageType.GroupCreateRequest, groupName: group });
      const bob = await registered('bob');
      expect(
        (await server.http('POST', `/removeMember?name=${encodeURIComponent(group)}&member=${bob}`, { auth: 'cluster' })).body,
      ).toMatchObject({ code: -10, msg: 'User is not a member of this group' });
      expect((await server.http('POST', `/removeMember?name=no-such-group-x&member=${bob}`, { auth: 'cluster' })).body).toMatchObject({
        code: -10,
        msg: 'Group does not exist',
      });
      expect(
        (await server.http('POST', `/removeMember?name=${encodeURIComponent(group)}&member=${ownerName}`, { auth: 'cluster' })).body,
      ).toMatchObject({ code: 0, data: true });
      expect(await owner.request({ messageType: MessageType.GroupMembersRequest, groupName: group })).toMatchObject({
        success: false,
        reason: 'Group does not exist',
      });
    });

    it("POST /sendGroupChatMessage pushes to each user's live connections; true only when all had one", async () => {
      const bob = uniqueName('bob');
      const bobClient = await login(bob);
      const carol = await registered('carol');
      const message = {
        from: 'alice',
        groupName: 'g',
        content: 'pushed',
        messageType: MessageType.GroupChatResponse,
        sequenceId: 3,
        success: true,
        reason: '',
        time: '',
      };
      expect((await server.http('POST', '/sendGroupChatMessage', { auth: 'cluster', body: { [bob]: message } })).body).toMatchObject({
        code: 0,
        data: true,
      });
      expect(await bobClient.next((f) => f.content === 'pushed')).toMatchObject({
        messageType: MessageType.GroupChatResponse,
        from: 'alice',
        groupName: 'g',
        sequenceId: 3,
      });
      expect(
        (await server.http('POST', '/sendGroupChatMessage', { auth: 'cluster', body: { [bob]: message, [carol]: message } })).body,
      ).toMatchObject({ code: 0, data: false });
      const bad = await server.http('POST', '/sendGroupChatMessage', { auth: 'cluster', body: { [bob]: 'x' } });
      expect(bad.status).toBe(400);
    });

    it(`POST /sendGroupCreateMessage pushes type ${MessageType.GroupCreateResponse} to the first member of each`, async () => {
      const bob = uniqueName('bob');
      const bobClient = await login(bob);
      const carol = await registered('carol');
      const body = [
        {
          members: [bob, 'alice'],
          groupName: 'g',
          messageType: MessageType.GroupCreateResponse,
          reason: 'You have been added to group "g"',
          sequenceId: 0,
          success: true,
          time: '',
        },
      ];
      expect((await server.http('POST', '/sendGroupCreateMessage', { auth: 'cluster', body })).body).toMatchObject({ code: 0, data: true });
      expect(await bobClient.next((f) => f.messageType === MessageType.GroupCreateResponse)).toMatchObject({
        members: [bob, 'alice'],
        groupName: 'g',
      });
      expect(
        (await server.http('POST', '/sendGroupCreateMessage', { auth: 'cluster', body: [...body, { members: [carol] }] })).body,
      ).toMatchObject({ code: 0, data: false });
    });
  });
});
