import { MessageType } from '../src/protocol';
import { MODE } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { Frame, loggedIn, pagedHistory, uniqueName } from './helpers/ws-client';
import { sleep } from './helpers/wait';

const byId = (a: Frame, b: Frame) => (BigInt(a.messageId as string) < BigInt(b.messageId as string) ? -1 : 1);

describe(`1:1 messaging (${MODE})`, () => {
  const fixture = useFixture({ closeClientsAfterEach: true });
  let server: Instance;
  const login = async (name: string, register = true) => fixture.track(await loggedIn(server.wsUrl, name, 'secret-pass', register));
  const registered = (prefix: string) => fixture.registered(server, prefix);

  beforeAll(async () => {
    server = await fixture.start({ MAX_CONTENT_BYTES: '1000', RATE_LIMIT_PER_SEC: '500', RATE_LIMIT_BURST: '500' });
  });

  it(
    'delivers live: the sender gets the ack after storing, ' +
      `the recipient a type ${MessageType.ChatResponse} with the sender's sequenceId`,
    async () => {
      const alice = await login(uniqueName('alice'));
      const bobName = uniqueName('bob');
      const bob = await login(bobName);
      const aliceName = alice.received.find((f) => f.messageType === MessageType.LoginResponse)!.username as string;
      // A message stored while bob's login still replays comes with that replay (offline:true): let it end.
      await sleep(200);
      const ack = await alice.request({ messageType: MessageType.ChatRequest, sequenceId: 77, to: bobName, content: 'hello <b>bob</b>' });
      expect(ack).toMatchObject({
        messageType: MessageType.ChatResponse,
        sequenceId: 77,
        success: true,
        reason: null,
        from: aliceName,
        to: bobName,
        content: null,
        delivered: true,
        offline: false,
      });
      expect(ack.messageId).toMatch(/^\d+$/);
      const delivery = await bob.next((f) => f.messageType === MessageType.ChatResponse && f.messageId === ack.messageId);
      expect(delivery).toMatchObject({
        sequenceId: 77,
        success: true,
        from: aliceName,
        to: bobName,
        content: 'hello <b>bob</b>',
        offline: false,
      });
      expect(Date.parse(delivery.time as string)).not.toBeNaN();
    },
  );

  it('delivers to every connection of the recipient', async () => {
    const alice = await login(uniqueName('alice'));
    const bobName = uniqueName('bob');
    const bob1 = await login(bobName);
    const bob2 = await login(bobName, false);
    const ack = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'both' });
    for (const bob of [bob1, bob2]) expect((await bob.next((f) => f.messageId === ack.messageId)).content).toBe('both');
  });

  it('stores for an offline recipient and sends it at login: LoginResponse, then offline messages oldest first, then live', async () => {
    const alice = await login(uniqueName('alice'));
    const bobName = await registered('bob');
    const acks = [];
    for (let i = 0; i < 5; i++) acks.push(await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: `m${i}` }));
    expect(acks.every((a) => a.success === true && a.delivered === false)).toBe(true);
    const bob = await login(bobName, false);
    const offline = await bob.collect((f) => f.messageType === MessageType.ChatResponse && f.offline === true, 5);
    expect(offline.map((f) => f.content)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(offline.map((f) => f.messageId)).toEqual(acks.map((a) => a.messageId));
    const loginIndex = bob.received.findIndex((f) => f.messageType === MessageType.LoginResponse);
    expect(bob.received.indexOf(offline[0])).toBeGreaterThan(loginIndex);
    const live = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'live' });
    const liveFrame = await bob.next((f) => f.messageId === live.messageId);
    expect(liveFrame.offline).toBe(false);
    expect(bob.received.indexOf(liveFrame)).toBeGreaterThan(bob.received.indexOf(offline[4]));
  });

  it('sends unacknowledged messages again at the next login, and not after an Ack', async () => {
    const alice = await login(uniqueName('alice'));
    const bobName = uniqueName('bob');
    const bob = await login(bobName);
    const first = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'unacked' });
    const second = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'acked' });
    await bob.next((f) => f.messageId === second.messageId);
    bob.send({ messageType: MessageType.Ack, messageIds: [second.messageId] });
    await sleep(200);
    bob.close();
    await bob.closed;
    const again = await login(bobName, false);
    const replayed = await again.next((f) => f.messageType === MessageType.ChatResponse && f.offline === true);
    expect(replayed).toMatchObject({ messageId: first.messageId, content: 'unacked', sequenceId: first.sequenceId });
    await sleep(300);
    expect(again.received.filter((f) => f.messageType === MessageType.ChatResponse).map((f) => f.messageId)).toEqual([first.messageId]);
    again.send({ messageType: MessageType.Ack, messageIds: [first.messageId] });
    await sleep(200);
    const third = await login(bobName, false);
    await sleep(300);
    expect(third.received.filter((f) => f.messageType === MessageType.ChatResponse)).toHaveLength(0);
  });

  it('ignores an Ack for a message addressed to someone else', async () => {
    const alice = await login(uniqueName('alice'));
    const bobName = await registered('bob');
    const mallory = await login(uniqueName('mallory'));
    const sent = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'for bob only' });
    mallory.send({ messageType: MessageType.Ack, messageIds: [sent.messageId] });
    await sleep(200);
    const bob = await login(bobName, false);
    expect((await bob.next((f) => f.messageId === sent.messageId)).offline).toBe(true);
  });

  it(`refuses a malformed Ack with type ${MessageType.Error} and keeps the connection`, async () => {
    const bob = await login(uniqueName('bob'));
    for (const messageIds of [[], 'x', ['abc'], [1.5], new Array(1001).fill('1')]) {
      expect(await bob.request({ messageType: MessageType.Ack, messageIds })).toMatchObject({
        messageType: MessageType.Error,
        success: false,
      });
    }
    expect(bob.isOpen).toBe(true);
  });

  it(
    'deduplicates by clientMessageId: the resend gets the original ack and is stored once; ' + 'a copy sent again keeps the messageId',
    async () => {
      const alice = await login(uniqueName('alice'));
      const bobName = uniqueName('bob');
      const bob = await login(bobName);
      const first = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'once', clientMessageId: 'c-1' });
      const again = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'once', clientMessageId: 'c-1' });
      expect(again).toMatchObject({ success: true, messageId: first.messageId });
      const concurrent = await Promise.all(
        [1, 2, 3].map(() => alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'race', clientMessageId: 'c-2' })),
      );
      expect(new Set(concurrent.map((c) => c.messageId)).size).toBe(1);
      await sleep(300);
      const delivered = bob.received.filter((f) => f.messageType === MessageType.ChatResponse);
      const byId = new Map(delivered.map((f) => [f.messageId, f.content]));
      expect(byId).toEqual(
        new Map([
          [first.messageId, 'once'],
          [concurrent[0].messageId, 'race'],
        ]),
      );
      const history = await bob.request({
        messageType: MessageType.HistoryRequest,
        with: alice.received.find((f) => f.messageType === MessageType.LoginResponse)!.username,
      });
      expect((history.messages as Frame[]).map((m) => m.content)).toEqual(['once', 'race']);
    },
  );

  it('refuses a clientMessageId reused for another recipient, and accepts from in another Unicode form', async () => {
    const alice = await login(uniqueName('alice'));
    const bobName = await registered('bob');
    const carolName = await registered('carol');
    expect(
      (await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'for bob', clientMessageId: 'k-1' })).success,
    ).toBe(true);
    expect(
      await alice.request({ messageType: MessageType.ChatRequest, to: carolName, content: 'for carol', clientMessageId: 'k-1' }),
    ).toMatchObject({
      success: false,
      reason: 'clientMessageId was already used for another message',
    });
    const decomposed = await login(`e\u0301mile${Date.now().toString(36)}`);
    const name = decomposed.received.find((f) => f.messageType === MessageType.LoginResponse)!.username as string;
    expect(name.normalize('NFC')).toBe(name);
    expect(
      (await decomposed.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'hi', from: name.normalize('NFD') })).success,
    ).toBe(true);
  });

  it('keeps messageId order within a conversation', async () => {
    const aliceName = uniqueName('alice');
    const alice = await login(aliceName);
    const bobName = uniqueName('bob');
    const bob = await login(bobName);
    const sends = [];
    for (let i = 0; i < 60; i++) sends.push(alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: `n${i}` }));
    const bobSends = [];
    for (let i = 0; i < 20; i++) bobSends.push(bob.request({ messageType: MessageType.ChatRequest, to: aliceName, content: `b${i}` }));
    const acks = await Promise.all(sends);
    await Promise.all(bobSends);
    const ids = acks.map((a) => BigInt(a.messageId as string));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    const received = await bob.collect((f) => f.messageType === MessageType.ChatResponse && f.from === aliceName, 60);
    expect(received.map((f) => f.content)).toEqual(acks.map((_, i) => `n${i}`));
    expect([...received].sort(byId)).toEqual(received);
  });

  it('pages history back with beforeId, oldest first, visiting every message once', async () => {
    const aliceName = uniqueName('alice');
    const alice = await login(aliceName);
    const bobName = uniqueName('bob');
    const bob = await login(bobName);
    const expected: string[] = [];
    for (let i = 0; i < 7; i++) {
      const [from, to] = i % 3 === 2 ? [bob, aliceName] : [alice, bobName];
      const ack = await from.request({ messageType: MessageType.ChatRequest, to, content: `h${i}` });
      expected.push(ack.messageId as string);
    }
    const history = await pagedHistory(alice, { with: bobName }, 3, (page) => {
      expect(page).toMatchObject({ messageType: MessageType.HistoryResponse, success: true, reason: null });
      const messages = page.messages as Frame[];
      expect([...messages].sort(byId)).toEqual(messages);
    });
    expect(history.map((m) => m.messageId as string)).toEqual(expected);
    const full = await bob.request({ messageType: MessageType.HistoryRequest, with: aliceName });
    const messages = full.messages as Frame[];
    expect(messages.map((m) => m.content)).toEqual(['h0', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
    expect(messages[2]).toMatchObject({ messageType: MessageType.ChatResponse, from: bobName, to: aliceName });
  });

  it.each([
    ['a limit of 0', { limit: 0 }, 'limit must be an integer from 1 to 100'],
    ['a limit of 101', { limit: 101 }, 'limit must be an integer from 1 to 100'],
    ['a bad beforeId', { beforeId: 'yesterday' }, 'beforeId must be a message id'],
    ['neither with nor groupName', { with: undefined }, 'with (a username) or groupName is required'],
    ['an unknown user', { with: 'nobody-known-here' }, 'User does not exist'],
  ])('refuses history with %s', async (_case, fields, reason) => {
    const client = await login(uniqueName('hist'));
    expect(await client.request({ messageType: MessageType.HistoryRequest, with: 'someone', ...fields })).toMatchObject({
      messageType: MessageType.HistoryResponse,
      success: false,
      reason,
    });
  });

  it('refuses sends with a reason', async () => {
    const name = uniqueName('refuser');
    const client = await login(name);
    const bobName = await registered('bob');
    const cases: [Record<string, unknown>, string][] = [
      [{ to: bobName, content: 'x', from: 'somebody-else' }, 'from must be the logged-in user'],
      [{ to: 'nobody-known-here', content: 'x' }, 'User does not exist'],
      [{ to: name, content: 'x' }, 'Cannot send a message to yourself'],
      [{ to: bobName, content: '' }, 'content must not be empty'],
      [{ to: bobName }, 'content must not be empty'],
      [{ to: bobName, content: 5 }, 'content must be a string'],
      [{ to: bobName, content: 'é'.repeat(501) }, 'content must be at most 1000 bytes'],
      [{ to: bobName, content: 'x', clientMessageId: 'x'.repeat(65) }, 'clientMessageId must be a string of 1 to 64 characters'],
      [{ content: 'x' }, 'to is required'],
    ];
    for (const [fields, reason] of cases) {
      expect(await client.request({ messageType: MessageType.ChatRequest, ...fields })).toMatchObject({
        messageType: MessageType.ChatResponse,
        success: false,
        reason,
        messageId: null,
      });
    }
    expect(await client.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'x', from: name })).toMatchObject({
      success: true,
    });
    const anonymous = await fixture.connect(server);
    expect(await anonymous.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'x' })).toMatchObject({
      success: false,
      reason: 'Please log in',
    });
    const bob = await login(bobName, false);
    await sleep(200);
    expect(bob.received.filter((f) => f.messageType === MessageType.ChatResponse).map((f) => f.content)).toEqual(['x']);
  });

  it('stores content as given, with any Unicode', async () => {
    const alice = await login(uniqueName('alice'));
    const bobName = uniqueName('bob');
    const bob = await login(bobName);
    const content = 'emoji 😀, bidi \u202E, zero width \u200B, <script>alert(1)</script>, \u0007';
    const ack = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content });
    expect((await bob.next((f) => f.messageId === ack.messageId)).content).toBe(content);
    expect(await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'nul \u0000' })).toMatchObject({
      success: false,
      reason: 'content must not contain NUL characters',
    });
    expect(await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'half \ud83d' })).toMatchObject({
      success: false,
      reason: 'content must be well-formed Unicode (no lone surrogates)',
    });
  });

  describe('POST /send', () => {
    it('stores and delivers like a WebSocket send; data is true when delivered live, false when stored', async () => {
      const aliceName = await registered('alice');
      const bobName = uniqueName('bob');
      const bob = await login(bobName);
      const live = await server.http<boolean>('POST', '/send', {
        auth: 'cluster',
        body: {
          from: aliceName,
          to: bobName,
          content: 'via http',
          messageType: MessageType.ChatRequest,
          sequenceId: 9,
          time: new Date().toISOString(),
        },
      });
      expect(live.body).toMatchObject({ code: 0, data: true, path: '/send' });
      expect(await bob.next((f) => f.content === 'via http')).toMatchObject({ from: aliceName, to: bobName, sequenceId: 9 });
      const offlineName = await registered('carol');
      const stored = await server.http<boolean>('POST', '/send', {
        auth: 'cluster',
        body: { from: aliceName, to: offlineName, content: 'later' },
      });
      expect(stored.body).toMatchObject({ code: 0, data: false });
      const carol = await login(offlineName, false);
      expect(await carol.next((f) => f.content === 'later')).toMatchObject({ offline: true, from: aliceName });
    });

    it('answers -10 when from or to does not exist, and -9 for a bad body', async () => {
      const name = await registered('alice');
      expect(
        (await server.http('POST', '/send', { auth: 'cluster', body: { from: 'ghost-sender', to: name, content: 'x' } })).body,
      ).toMatchObject({ code: -10, msg: 'Sender does not exist' });
      expect(
        (await server.http('POST', '/send', { auth: 'cluster', body: { from: name, to: 'ghost-recipient', content: 'x' } })).body,
      ).toMatchObject({ code: -10, msg: 'User does not exist' });
      expect((await server.http('POST', '/send', { auth: 'cluster', body: { from: name, to: name, content: 'x' } })).body).toMatchObject({
        code: -10,
      });
      const bad = await server.http('POST', '/send', { auth: 'cluster', body: { from: name, to: 5, content: 'x' } });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: -9 });
    });
  });
});
