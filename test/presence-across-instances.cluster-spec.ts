import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { sleep } from './helpers/wait';
import { Frame, WsTestClient } from './helpers/ws-client';

const isPresenceOf = (username: string, online?: boolean) => (f: Frame) =>
  f.messageType === MessageType.Presence && f.username === username && (online === undefined || f.online === online);

function subscribe(client: WsTestClient, usernames: string[]): Promise<Frame> {
  return client.request({ messageType: MessageType.PresenceRequest, usernames, subscribe: true });
}

/** Heartbeats every 250 ms and a dead instance after 1 s without one: the janitor drops it within about 1.25 s. */
const FAST_DETECTION = { HEARTBEAT_MS: '250', INSTANCE_TTL_MS: '1000' };

describe('presence across instances', () => {
  const fixture = useFixture({ mode: 'cluster', settings: FAST_DETECTION });
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    [a, b] = await fixture.startMany(2);
  });

  beforeEach(async () => {
    a = await fixture.alive(a);
    b = await fixture.alive(b);
    await fixture.listed(a);
  });

  it('pushes to a subscriber on A when the user logs in on B, and when the session on B closes', async () => {
    const { client: watcher } = await fixture.user(a, 'xpw');
    const name = await fixture.registered(b, 'xpb');
    await subscribe(watcher, [name]);
    const session = await fixture.session(b, name);
    expect(await watcher.next(isPresenceOf(name, true))).toMatchObject({ online: true, lastSeen: null });
    expect((await subscribe(watcher, [name])).presence).toEqual([{ username: name, online: true, lastSeen: null }]);
    session.close();
    const offline = await watcher.next(isPresenceOf(name, false));
    expect(typeof offline.lastSeen).toBe('string');
  });

  it('pushes nothing until the last of the sessions on both instances closes', async () => {
    const { client: watcher } = await fixture.user(a, 'xpw');
    const name = await fixture.registered(a, 'xp2');
    await subscribe(watcher, [name]);
    const onA = await fixture.session(a, name);
    const onB = await fixture.session(b, name);
    await watcher.next(isPresenceOf(name, true));
    onA.close();
    await onA.closed;
    await sleep(500);
    expect(watcher.received.filter(isPresenceOf(name))).toHaveLength(1);
    onB.close();
    await watcher.next(isPresenceOf(name, false));
    await sleep(300);
    expect(watcher.received.filter(isPresenceOf(name))).toHaveLength(2);
  });

  it('pushes offline within 2 s of a SIGKILL of the instance that held the only session', async () => {
    const { client: watcher } = await fixture.user(a, 'xpw');
    const name = await fixture.registered(b, 'xpk');
    await subscribe(watcher, [name]);
    await fixture.session(b, name);
    await watcher.next(isPresenceOf(name, true));
    const killedAt = Date.now();
    await b.kill('SIGKILL');
    const offline = await watcher.next(isPresenceOf(name, false), 5000);
    const elapsed = Date.now() - killedAt;
    expect(elapsed).toBeLessThan(2000);
    expect(Date.parse(offline.lastSeen as string)).toBeGreaterThanOrEqual(killedAt - 50);
    const { client: later } = await fixture.user(a, 'xpl');
    expect((await subscribe(later, [name])).presence).toEqual([{ username: name, online: false, lastSeen: offline.lastSeen }]);
  });
});
