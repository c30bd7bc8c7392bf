import { MessageType, RefusalCode } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance, startInstance } from './helpers/instance';
import { sleep } from './helpers/wait';
import { Frame, WsTestClient } from './helpers/ws-client';

const isPresenceOf = (username: string, online?: boolean) => (f: Frame) =>
  f.messageType === MessageType.Presence && f.username === username && (online === undefined || f.online === online);

function presence(client: WsTestClient, usernames: unknown, subscribe?: unknown): Promise<Frame> {
  return client.request({ messageType: MessageType.PresenceRequest, usernames, ...(subscribe === undefined ? {} : { subscribe }) });
}

describe('presence', () => {
  const fixture = useFixture();
  let settings: Record<string, string>;
  let server: Instance;

  beforeAll(async () => {
    // The same data folder (embedded) across the restart below.
    settings = fixture.instanceEnv();
    server = fixture.adopt(await startInstance(settings));
  });

  it('answers online, and lastSeen null, for a user with a live session; offline with null for one never seen', async () => {
    const { client: watcher } = await fixture.user(server, 'pw');
    const { name: online } = await fixture.user(server, 'pon');
    const never = await fixture.registered(server, 'pnv');
    const answer = await presence(watcher, [online, never, 'nobody-at-all']);
    expect(answer).toMatchObject({
      messageType: MessageType.PresenceResponse,
      success: true,
      reason: null,
      presence: [
        { username: online, online: true, lastSeen: null },
        { username: never, online: false, lastSeen: null },
        // A name of nobody answers as a user never seen: no more than a send to it tells.
        { username: 'nobody-at-all', online: false, lastSeen: null },
      ],
    });
  });

  it('pushes online at the first session and offline at the last, with the stored lastSeen, to a subscriber only', async () => {
    const { client: watcher } = await fixture.user(server, 'pw');
    const { client: bystander } = await fixture.user(server, 'pby');
    const name = await fixture.registered(server, 'pcome');
    expect((await presence(watcher, [name], true)).presence).toEqual([{ username: name, online: false, lastSeen: null }]);
    await presence(bystander, [name]);

    const first = await fixture.session(server, name);
    expect(await watcher.next(isPresenceOf(name, true))).toMatchObject({ sequenceId: 0, online: true, lastSeen: null });
    const second = await fixture.session(server, name);
    first.close();
    await first.closed;
    await sleep(300);
    // One session is left: still online, nothing pushed.
    expect(watcher.received.filter(isPresenceOf(name))).toHaveLength(1);
    expect((await presence(watcher, [name])).presence).toEqual([{ username: name, online: true, lastSeen: null }]);

    const before = Date.now();
    second.close();
    const offline = await watcher.next(isPresenceOf(name, false));
    const lastSeen = Date.parse(offline.lastSeen as string);
    expect(lastSeen).toBeGreaterThanOrEqual(before - 1000);
    expect(lastSeen).toBeLessThanOrEqual(Date.now());
    expect((await presence(watcher, [name])).presence).toEqual([{ username: name, online: false, lastSeen: offline.lastSeen }]);
    expect(bystander.received.filter(isPresenceOf(name))).toHaveLength(0);
  });

  it('counts a logout as the end of the session, and ends its subscriptions', async () => {
    const { name: watcherName, client: watcher } = await fixture.user(server, 'pw');
    const { client: other } = await fixture.user(server, 'pot');
    const name = await fixture.registered(server, 'plo');
    await presence(watcher, [name], true);
    const session = await fixture.session(server, name);
    await watcher.next(isPresenceOf(name, true));
    expect((await session.request({ messageType: MessageType.LogoutRequest })).success).toBe(true);
    await watcher.next(isPresenceOf(name, false));
    await presence(other, [watcherName], true);
    expect((await watcher.request({ messageType: MessageType.LogoutRequest })).success).toBe(true);
    await other.next(isPresenceOf(watcherName, false));
    // The watcher logs in again on the same connection: the old subscription is gone.
    expect((await watcher.login(watcherName, 'secret-pass')).success).toBe(true);
    const again = await fixture.session(server, name);
    await sleep(500);
    expect(watcher.received.filter(isPresenceOf(name))).toHaveLength(2);
    again.close();
  });

  it('refuses bad input in the shape of its response, and more than 1000 subscriptions per connection', async () => {
    const { client } = await fixture.user(server, 'pbad');
    const tooMany = Array.from({ length: 201 }, (_, i) => `user${i}`);
    for (const usernames of [undefined, [], 'alice', [1], [null], tooMany, { 0: 'a' }]) {
      expect(await presence(client, usernames)).toMatchObject({
        messageType: MessageType.PresenceResponse,
        success: false,
        code: RefusalCode.InvalidArgument,
        reason: 'usernames must be an array of 1 to 200 strings',
        presence: [],
      });
    }
    expect(await presence(client, ['abc'], 'yes')).toMatchObject({
      success: false,
      code: RefusalCode.InvalidArgument,
      reason: 'subscribe must be true or false',
      presence: [],
    });
    for (let page = 0; page < 5; page++) {
      const usernames = Array.from({ length: 200 }, (_, i) => `sub${page}x${i}`);
      expect((await presence(client, usernames, true)).success).toBe(true);
    }
    // A name already watched is not counted twice; a new one is past the cap.
    expect((await presence(client, ['sub0x0'], true)).success).toBe(true);
    expect(await presence(client, ['one-more'], true)).toMatchObject({
      success: false,
      code: RefusalCode.LimitExceeded,
      reason: 'Too many presence subscriptions on this connection (at most 1000 users)',
      presence: [],
    });
    // Without subscribe the request is answered.
    expect((await presence(client, ['one-more'])).success).toBe(true);
    const anonymous = await fixture.connect(server);
    expect(await presence(anonymous, ['abc'])).toMatchObject({ success: false, code: RefusalCode.NotLoggedIn, presence: [] });
  });

  it('answers the same name once, in NFC', async () => {
    const { client } = await fixture.user(server, 'pnfc');
    const answer = await presence(client, ['Zoe\u0301', 'Zoé', 'Zoé']);
    expect(answer.presence).toEqual([{ username: 'Zoé', online: false, lastSeen: null }]);
  });

  it('keeps lastSeen across a restart of the server', async () => {
    const name = await fixture.registered(server, 'prs');
    const session = await fixture.session(server, name);
    const { client: watcher } = await fixture.user(server, 'pw');
    await presence(watcher, [name], true);
    session.close();
    const offline = await watcher.next(isPresenceOf(name, false));
    await server.stop();
    server = fixture.adopt(await startInstance(settings));
    const { client: after } = await fixture.user(server, 'pw');
    expect((await presence(after, [name])).presence).toEqual([{ username: name, online: false, lastSeen: offline.lastSeen }]);
  });
});
