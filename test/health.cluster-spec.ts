import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { pageConnectSources } from './helpers/cluster';
import { Frame, WsTestClient } from './helpers/ws-client';
import { until } from './helpers/wait';

/**
 * A Redis user of its own for one instance, so that a test can take commands away from that
 * instance alone (as a cluster node answering MOVED or a wrong ACL would) while PING still works.
 */
class RedisUser {
  readonly name = `chat-test-${randomBytes(4).toString('hex')}`;
  private readonly password = randomBytes(12).toString('hex');

  constructor(private readonly admin: Redis) {}

  url(base: string): string {
    const url = new URL(base);
    url.username = this.name;
    url.password = this.password;
    return url.toString();
  }

  async allow(...extra: string[]): Promise<void> {
    await this.admin.call('ACL', 'SETUSER', this.name, 'reset', 'on', `>${this.password}`, '~*', '&*', '+@all', ...extra);
  }

  async remove(): Promise<void> {
    await this.admin.call('ACL', 'DELUSER', this.name);
  }
}

describe('health (cluster)', () => {
  const fixture = useFixture({ mode: 'cluster', settings: { HEARTBEAT_MS: '300', INSTANCE_TTL_MS: '10000' } });
  const { env } = fixture;
  const admin = new Redis(env.redisUrl);
  const users: RedisUser[] = [];
  const clients: WsTestClient[] = [];

  async function instanceWithOwnUser(overrides: Record<string, string> = {}): Promise<{ server: Instance; user: RedisUser }> {
    const user = new RedisUser(admin);
    users.push(user);
    await user.allow();
    const server = await fixture.start({ REDIS_URL: user.url(env.redisUrl), ...overrides });
    return { server, user };
  }

  /** A second instance, once `first` lists both. */
  async function joining(first: Instance): Promise<Instance> {
    const second = await fixture.start();
    await fixture.listed(first, (list) => list.length === 2, 10000);
    return second;
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const user of users) await user.allow();
    await fixture.stopAll();
  });

  afterAll(async () => {
    for (const user of users) await user.remove().catch(() => undefined);
    admin.disconnect();
  });

  it('/health/ready and /health are 503 while every heartbeat fails though Redis answers PING; /health/live stays 200', async () => {
    const { server, user } = await instanceWithOwnUser();
    expect((await server.http('GET', '/health')).status).toBe(200);
    await user.allow('-@write');
    const down = await until(
      () => server.http<{ registry: string; heartbeat: string }>('GET', '/health'),
      (r) => r.status === 503,
      10000,
      '/health 503',
    );
    expect(down.body.data).toMatchObject({ registry: 'up', heartbeat: 'down' });
    expect((await server.http('GET', '/health/ready')).status).toBe(503);
    expect((await server.http('GET', '/health/live')).status).toBe(200);
    await user.allow();
    await until(
      () => server.http('GET', '/health/ready'),
      (r) => r.status === 200,
      10000,
      'ready again',
    );
  });

  /**
   * Two instances; alice on the one that is then stopped (she ignores its ReBalance push, so it drains for
   * DRAIN_TIMEOUT_MS), bob on the other.
   */
  async function drainingPair(beforeStop: (alice: WsTestClient, bobName: string) => Promise<void> = async () => undefined) {
    const { server: leaving, user } = await instanceWithOwnUser({ DRAIN_TIMEOUT_MS: '8000' });
    const staying = await joining(leaving);
    const { client: alice } = await fixture.user(leaving, 'stay');
    const { name: bobName, client: bob } = await fixture.user(staying, 'far');
    clients.push(alice, bob);
    await beforeStop(alice, bobName);
    leaving.process.kill('SIGTERM');
    await alice.next((f) => f.messageType === MessageType.ReBalance, 5000, 'the ReBalance push');
    return { leaving, user, alice, bob, bobName };
  }

  it(`the chat page may connect to its own origin and to the live instances only (type ${MessageType.ReBalance} moves)`, async () => {
    const one = await fixture.start();
    const two = await joining(one);
    const connect = await pageConnectSources(one);
    // Its own too: behind a load balancer the page's WebSocket may be on the other one, and moved back here.
    expect(connect.slice(0, 2)).toEqual(['connect-src', "'self'"]);
    expect(new Set(connect.slice(2))).toEqual(new Set([`ws://${one.host}`, `ws://${two.host}`]));
  });

  it('is not ready while it drains, though it is alive', async () => {
    const { leaving } = await drainingPair();
    expect((await leaving.http('GET', '/health')).status).toBe(503);
    expect(await leaving.http('GET', '/health/ready')).toMatchObject({ status: 503, body: { data: { draining: true } } });
    expect((await leaving.http('GET', '/health/live')).status).toBe(200);
  }, 60000);

  it('deliveries that failed before and during the drain are retried and arrive', async () => {
    const failing = async (user: RedisUser, alice: WsTestClient, bobName: string, content: string) => {
      // The lookup of bob's sessions fails for a moment: the delivery is queued for a retry.
      await user.allow('-hgetall');
      const ack = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content });
      await user.allow();
      expect(ack).toMatchObject({ success: true, delivered: false });
      return ack;
    };
    let first: Frame | undefined;
    let leavingUser: RedisUser | undefined;
    const { user, alice, bob, bobName } = await drainingPair(async (a, name) => {
      leavingUser = users[users.length - 1];
      // Stopped while this retry is still due: the retry timer is running when the shutdown starts.
      first = await failing(leavingUser, a, name, 'sent just before the stop');
    });
    expect(user).toBe(leavingUser);
    const second = await failing(user, alice, bobName, 'sent while draining');
    for (const ack of [first!, second]) {
      // The live copy: a resync of bob's instance (a heartbeat late under load) may replay it as well.
      await bob.next(
        (f) => f.messageType === MessageType.ChatResponse && f.messageId === ack.messageId && f.offline === false,
        8000,
        `the retried delivery of ${ack.messageId}`,
      );
    }
  }, 60000);
});
