import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { WsTestClient } from './helpers/ws-client';
import { sleep, until } from './helpers/wait';

/** chat_deliveries_resent_total of an instance. */
async function resent(instance: Instance): Promise<number> {
  const text = (await instance.http('GET', '/metrics', { auth: 'admin' })).text;
  return Number(/^chat_deliveries_resent_total (\d+)/m.exec(text)?.[1] ?? 0);
}

async function send(from: WsTestClient, to: string, content: string) {
  const ack = await from.request({ messageType: MessageType.ChatRequest, to, content });
  expect(ack.success).toBe(true);
  return ack;
}

/**
 * Each instance keeps where users' sessions are for LOCATION_CACHE_MS after a registry lookup
 * (src/cluster/location-cache.ts). A login or a logout elsewhere drops the entry through the bus.
 * When that word does not arrive, nothing is lost: an entry finding the user nowhere is checked
 * against the registry, and an instance sent a delivery for a user who left it sends it on.
 */
describe('location cache across instances', () => {
  const fixture = useFixture({ mode: 'cluster', closeClientsAfterEach: true });

  /**
   * A, B and C with these settings, where B and C never tell A of a login or a logout: they take
   * their lists of live instances once per HEARTBEAT_MS, and asked before A exists, A is not on them.
   */
  async function unheardBy(settings: Record<string, string>): Promise<[Instance, Instance, Instance]> {
    // Earlier instances heartbeat more often: their janitors would take these, at 30 s, for dead.
    await fixture.stopAll();
    const [b, c] = await fixture.startMany(2, settings);
    for (const instance of [b, c]) (await fixture.user(instance, 'early')).client.close();
    return [await fixture.start(settings), b, c];
  }

  it('a login on another instance reaches the sender at once: the next message is delivered live', async () => {
    // A long cache lifetime: only the bus's word can make the sender look again within this test.
    const [a, b] = await fixture.startMany(2, { LOCATION_CACHE_MS: '60000', HEARTBEAT_MS: '300', INSTANCE_TTL_MS: '1500' });
    await fixture.listed(a, (list) => list.length === 2);
    await fixture.listed(b, (list) => list.length === 2);
    const { client: alice } = await fixture.user(a, 'alice');
    const { name: bobName, client: bobOnA } = await fixture.user(a, 'bob');
    // bob is here only: A looks him up and keeps that he is nowhere else.
    expect((await send(alice, bobName, 'here')).delivered).toBe(true);
    const bobOnB = await fixture.session(b, bobName);
    // Unacknowledged, it comes with the login's replay; what follows can only come live.
    await bobOnB.next((f) => f.content === 'here' && f.offline === true);
    const live = await (async () => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const ack = await send(alice, bobName, `live ${attempt}`);
        if (bobOnB.received.some((f) => f.messageId === ack.messageId)) return ack;
        await sleep(100);
      }
      throw new Error('A never learned that bob logged in on B');
    })();
    expect((await bobOnB.next((f) => f.messageId === live.messageId)).offline).toBe(false);
    expect((await bobOnA.next((f) => f.messageId === live.messageId)).offline).toBe(false);
  }, 60_000);

  describe('when the word of a login or a logout does not reach the sender', () => {
    const settings = { LOCATION_CACHE_MS: '60000', HEARTBEAT_MS: '30000', INSTANCE_TTL_MS: '60000' };
    let a: Instance;
    let b: Instance;
    let c: Instance;

    beforeAll(async () => {
      [a, b, c] = await unheardBy(settings);
    });

    it('delivers live to a user the sender took for offline', async () => {
      const { client: alice } = await fixture.user(a, 'alice');
      const bobName = await fixture.registered(b, 'bob');
      expect((await send(alice, bobName, 'before login')).delivered).toBe(false);
      const bob = await fixture.session(b, bobName);
      await bob.next((f) => f.content === 'before login' && f.offline === true);
      // A's entry says bob is nowhere; reaching nobody with it, A asks the registry again.
      const ack = await send(alice, bobName, 'after login');
      expect(ack.delivered).toBe(true);
      expect(await bob.next((f) => f.messageId === ack.messageId, 2000)).toMatchObject({ content: 'after login', offline: false });
    });

    it('delivers live to a user who moved from the instance the sender has for them', async () => {
      const { client: alice } = await fixture.user(a, 'alice');
      const { name: bobName, client: bobOnB } = await fixture.user(b, 'bob');
      const first = await send(alice, bobName, 'on B');
      await bobOnB.next((f) => f.messageId === first.messageId);
      bobOnB.send({ messageType: MessageType.Ack, messageIds: [first.messageId] });
      bobOnB.close();
      await bobOnB.closed;
      const bobOnC = await fixture.session(c, bobName);
      // Live deliveries wait for the login's replay: once a local one arrives live, the replay is over.
      const { client: carol } = await fixture.user(c, 'carol');
      const marker = await send(carol, bobName, 'replay done');
      expect(await bobOnC.next((f) => f.messageId === marker.messageId)).toMatchObject({ offline: false });
      // A still has bob on B; B holds no session of his and sends the message on to C.
      const moved = await send(alice, bobName, 'now on C');
      expect(await bobOnC.next((f) => f.messageId === moved.messageId, 2000)).toMatchObject({ content: 'now on C', offline: false });
      expect(bobOnC.received.filter((f) => f.messageId === moved.messageId)).toHaveLength(1);
    });
  });

  describe('when the word of a login elsewhere does not reach the sender and the other session acknowledges at once', () => {
    // As above, B and C never tell A; A keeps an entry for 3 s.
    const settings = { LOCATION_CACHE_MS: '3000', HEARTBEAT_MS: '30000', INSTANCE_TTL_MS: '60000' };
    let a: Instance;
    let b: Instance;
    let c: Instance;

    beforeAll(async () => {
      [a, b, c] = await unheardBy(settings);
    });

    it('the new session still gets, live, the message sent to the old one only', async () => {
      const { client: alice } = await fixture.user(a, 'alice');
      const { name: bobName, client: bobOnB } = await fixture.user(b, 'bob');
      // A looks bob up (on B) and keeps that for 3 s.
      const first = await send(alice, bobName, 'first');
      await bobOnB.next((f) => f.messageId === first.messageId);
      bobOnB.send({ messageType: MessageType.Ack, messageIds: [first.messageId] });
      const bobOnC = await fixture.session(c, bobName);
      const { client: carol } = await fixture.user(c, 'carol');
      const marker = await send(carol, bobName, 'replay done');
      await bobOnC.next((f) => f.messageId === marker.messageId && f.offline === false);
      // A still has bob on B only: the message goes there, and B's session acknowledges it at once,
      // so no replay of C's session would ever bring it.
      const resentBefore = await resent(a);
      const stale = await send(alice, bobName, 'sent while A had bob on B only');
      await bobOnB.next((f) => f.messageId === stale.messageId);
      bobOnB.send({ messageType: MessageType.Ack, messageIds: [stale.messageId] });
      // The entry's check, at its age at the latest (3 s, swept every 3 s), sends it to C.
      const onC = await bobOnC.next((f) => f.messageId === stale.messageId, 8000);
      expect(onC).toMatchObject({ content: 'sent while A had bob on B only', offline: false });
      expect(
        await until(
          () => resent(a),
          (n) => n > resentBefore,
          2000,
          'the resend counted',
        ),
      ).toBeGreaterThan(resentBefore);
      // B's session got it once: nothing went back there.
      await sleep(200);
      expect(bobOnB.received.filter((f) => f.messageId === stale.messageId)).toHaveLength(1);
    }, 30_000);
  });
});
