import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { WsTestClient } from './helpers/ws-client';
import { sleep } from './helpers/wait';

async function send(from: WsTestClient, to: string, content: string) {
  const ack = await from.request({ messageType: MessageType.ChatRequest, to, content });
  expect(ack.success).toBe(true);
  return ack;
}

/**
 * Each instance keeps where users' sessions are for LOCATION_CACHE_MS after a registry lookup
 * (src/cluster/location-cache.ts). A login elsewhere drops the entry through the bus; when that
 * word does not arrive, the new session's catch-up replay, once every entry older than the login
 * has expired, brings what was sent to it meanwhile.
 */
describe('location cache across instances', () => {
  const fixture = useFixture({ mode: 'cluster', closeClientsAfterEach: true });

  it('a login on another instance reaches the sender at once: the next message is delivered live', async () => {
    // A long cache lifetime: only the bus's word can make the sender look again within this test.
    const [a, b] = await fixture.startMany(2, { LOCATION_CACHE_MS: '60000', HEARTBEAT_MS: '300', INSTANCE_TTL_MS: '1500' });
    await fixture.listed(a, (list) => list.length === 2);
    await fixture.listed(b, (list) => list.length === 2);
    const { client: alice } = await fixture.user(a, 'alice');
    const bobName = await fixture.registered(b, 'bob');
    // bob is nowhere: A looks him up and keeps that.
    expect((await send(alice, bobName, 'while away')).delivered).toBe(false);
    const bob = await fixture.session(b, bobName);
    await bob.next((f) => f.content === 'while away' && f.offline === true);
    const live = await (async () => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const ack = await send(alice, bobName, `live ${attempt}`);
        if (ack.delivered) return ack;
        await sleep(100);
      }
      throw new Error('A never learned that bob logged in on B');
    })();
    const frame = await bob.next((f) => f.messageId === live.messageId, 2000);
    expect(frame.offline).toBe(false);
  }, 60_000);

  describe('when the word of a login does not reach the sender', () => {
    let a: Instance;
    let b: Instance;

    it('still delivers what the sender acknowledged from its stale entry, by the catch-up replay', async () => {
      // B takes its list of live instances once per HEARTBEAT_MS: started and asked before A exists, it does not tell A of logins.
      const settings = { LOCATION_CACHE_MS: '3000', HEARTBEAT_MS: '30000', INSTANCE_TTL_MS: '60000' };
      b = await fixture.start(settings);
      const { client: early } = await fixture.user(b, 'early');
      early.close();
      a = await fixture.start(settings);
      const { client: alice } = await fixture.user(a, 'alice');
      const bobName = await fixture.registered(b, 'bob');
      expect((await send(alice, bobName, 'before login')).delivered).toBe(false);
      const bob = await fixture.session(b, bobName);
      const loggedInAt = Date.now();
      await bob.next((f) => f.content === 'before login');
      // A still takes bob for offline: the message is stored and acknowledged, not delivered live.
      const stale = await send(alice, bobName, 'after login');
      expect(stale.delivered).toBe(false);
      const caughtUp = await bob.next((f) => f.messageId === stale.messageId, 8000);
      expect(caughtUp).toMatchObject({ content: 'after login', offline: true });
      // Not before A's entry expired, and soon after it.
      expect(Date.now() - loggedInAt).toBeGreaterThanOrEqual(2500);
      expect(bob.received.filter((f) => f.messageId === stale.messageId)).toHaveLength(1);
    }, 60_000);
  });
});
