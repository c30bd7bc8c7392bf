import { MessageType, RefusalCode } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { sleep } from './helpers/wait';
import { Frame } from './helpers/ws-client';

const isTyping = (f: Frame) => f.messageType === MessageType.Typing;

describe('typing', () => {
  const fixture = useFixture();
  let server: Instance;

  beforeAll(async () => {
    server = await fixture.start();
  });

  it('pushes a 1:1 notice to every session of the peer, not to the sender, and answers nothing', async () => {
    const { name: alice, client: sender } = await fixture.user(server, 'ta');
    const { name: bob, client: phone } = await fixture.user(server, 'tb');
    const laptop = await fixture.session(server, bob);
    const sequenceId = sender.send({ messageType: MessageType.TypingRequest, to: bob });
    for (const device of [phone, laptop]) {
      expect(await device.next(isTyping)).toEqual({
        messageType: MessageType.Typing,
        sequenceId: 0,
        from: alice,
        to: bob,
        time: expect.any(String),
      });
    }
    await sleep(300);
    expect(sender.received.filter((f) => f.sequenceId === sequenceId || isTyping(f))).toEqual([]);
  });

  it("forwards at most one notice per conversation every 2 s per sender, across the sender's sessions", async () => {
    const { name: alice, client: first } = await fixture.user(server, 'ta');
    const second = await fixture.session(server, alice);
    const { name: bob, client: peer } = await fixture.user(server, 'tb');
    const { name: carol, client: other } = await fixture.user(server, 'tc');
    const started = Date.now();
    for (let i = 0; i < 5; i++) first.send({ messageType: MessageType.TypingRequest, to: bob });
    for (let i = 0; i < 5; i++) second.send({ messageType: MessageType.TypingRequest, to: bob });
    // Another conversation has its own allowance.
    first.send({ messageType: MessageType.TypingRequest, to: carol });
    await other.next(isTyping);
    await sleep(1000);
    expect(peer.received.filter(isTyping)).toHaveLength(1);
    await sleep(Math.max(0, started + 2100 - Date.now()));
    second.send({ messageType: MessageType.TypingRequest, to: bob });
    await peer.collect(isTyping, 2, 3000);
    await sleep(300);
    expect(peer.received.filter(isTyping)).toHaveLength(2);
  });

  it('pushes a group notice to the other members only, and refuses a non-member', async () => {
    const { name: alice, client: sender } = await fixture.user(server, 'ta');
    const { name: bob, client: member } = await fixture.user(server, 'tb');
    const { client: outsider } = await fixture.user(server, 'tc');
    const groupName = `typing-${Date.now()}`;
    expect((await sender.request({ messageType: MessageType.GroupCreateRequest, groupName, members: [bob] })).success).toBe(true);
    sender.send({ messageType: MessageType.TypingRequest, groupName });
    expect(await member.next(isTyping)).toMatchObject({ from: alice, groupName, sequenceId: 0 });
    expect(await outsider.request({ messageType: MessageType.TypingRequest, groupName })).toMatchObject({
      messageType: MessageType.Error,
      success: false,
      code: RefusalCode.Forbidden,
      reason: 'You are not a member of this group',
    });
    await sleep(300);
    expect(sender.received.filter(isTyping)).toHaveLength(0);
    expect(outsider.received.filter(isTyping)).toHaveLength(0);
  });

  it('stores nothing: no history, no replay at the next login', async () => {
    const { client: sender } = await fixture.user(server, 'ta');
    const bob = await fixture.registered(server, 'tb');
    sender.send({ messageType: MessageType.TypingRequest, to: bob });
    await sleep(300);
    const later = await fixture.session(server, bob);
    await sleep(500);
    expect(later.received.filter(isTyping)).toHaveLength(0);
    const history = await sender.request({ messageType: MessageType.HistoryRequest, with: bob, limit: 10 });
    expect(history).toMatchObject({ success: true, messages: [] });
  });

  it('answers bad input with an Error frame carrying its code', async () => {
    const { name: alice, client } = await fixture.user(server, 'ta');
    const cases: [Record<string, unknown>, string, string][] = [
      [{}, RefusalCode.InvalidArgument, 'Exactly one of to and groupName is required'],
      [{ to: 'bob', groupName: 'team' }, RefusalCode.InvalidArgument, 'Exactly one of to and groupName is required'],
      [{ to: 5 }, RefusalCode.InvalidArgument, 'to must be a non-empty string'],
      [{ to: '' }, RefusalCode.InvalidArgument, 'to must be a non-empty string'],
      [{ to: alice }, RefusalCode.InvalidArgument, 'Cannot send typing to yourself'],
      [{ to: 'nobody-here' }, RefusalCode.NotFound, 'User does not exist'],
      [{ groupName: 7 }, RefusalCode.InvalidArgument, 'groupName must be a string'],
      [{ groupName: '' }, RefusalCode.InvalidArgument, 'groupName is required'],
      [{ groupName: 'no-such-group-x' }, RefusalCode.NotFound, 'Group does not exist'],
    ];
    for (const [fields, code, reason] of cases) {
      expect(await client.request({ messageType: MessageType.TypingRequest, ...fields })).toMatchObject({
        messageType: MessageType.Error,
        success: false,
        code,
        reason,
      });
    }
    const anonymous = await fixture.connect(server);
    expect(await anonymous.request({ messageType: MessageType.TypingRequest, to: alice })).toMatchObject({
      messageType: MessageType.Error,
      code: RefusalCode.NotLoggedIn,
    });
  });
});
