import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { SdkFleet } from './helpers/sdk-fleet';
import { PrivateRedis, TcpProxy } from './helpers/services';
import { sleep, until } from './helpers/wait';

type Listed = { id: string; port: number }[];

/**
 * Fault injection against real services. Each test says what it injects and what must still hold.
 */
describe('faults', () => {
  jest.setTimeout(120000);

  describe('Redis killed and restarted empty during traffic', () => {
    const fixture = useFixture({ mode: 'cluster' });
    let redis: PrivateRedis;
    let a: Instance;
    let b: Instance;
    let fleet: SdkFleet;

    beforeAll(async () => {
      redis = await PrivateRedis.start();
      fixture.track({ close: () => redis.kill() });
      [a, b] = await fixture.startMany(2, {
        REDIS_URL: redis.url,
        HEARTBEAT_MS: '300',
        INSTANCE_TTL_MS: '1500',
        RATE_LIMIT_PER_SEC: '1000',
        RATE_LIMIT_BURST: '1000',
      });
      fleet = fixture.fleet((lost) => lost);
      for (let i = 0; i < 20; i++) {
        await fleet.add((i % 2 === 0 ? a : b).wsUrl, await fixture.registered(a, 'rf'), 'secret-pass');
      }
    });

    it('re-registers, resubscribes and routes again without a restart; every acknowledged message is delivered', async () => {
      fleet.startSending(20, 50);
      await sleep(800);
      // Injected: Redis dies (SIGKILL) with every key, and comes back empty 2 s later.
      await redis.kill();
      await sleep(2000);
      await redis.restart();
      // Checked: both instances list each other again, and /health is 200 on both.
      for (const instance of [a, b]) {
        await until(
          async () => (await instance.http<Listed>('GET', '/cluster/instances', { auth: 'admin' })).body?.data?.length ?? 0,
          (n) => n === 2,
          15000,
          'instances re-registered',
        );
        await until(
          async () => (await instance.http('GET', '/health')).status,
          (status) => status === 200,
          15000,
          'healthy again',
        );
      }
      await sleep(1500);
      await fleet.stopSending();
      // Checked: sends during the outage were stored (acknowledged) or refused with a reason; none acknowledged is lost.
      expect(fleet.sendErrors.every((reason) => typeof reason === 'string' && reason.length > 0)).toBe(true);
      expect(await fleet.waitForDelivery(30000)).toEqual([]);
      expect(fleet.duplicates()).toEqual([]);
      // Checked: the sessions are bound again, so a new message crosses instances live.
      const ack = await fleet.clients[0].sendChat(fleet.names[1], 'after the outage');
      expect(ack.delivered).toBe(true);
    });
  });

  describe('PostgreSQL unreachable for a while', () => {
    const fixture = useFixture({ mode: 'cluster' });
    let proxy: TcpProxy;
    let server: Instance;

    beforeAll(async () => {
      const url = new URL(fixture.env.databaseUrl);
      proxy = await TcpProxy.start(url.hostname, Number(url.port || 5432));
      fixture.track({ close: () => proxy.cut() });
      url.host = `127.0.0.1:${proxy.port}`;
      server = await fixture.start({ DATABASE_URL: url.toString() });
    });

    it('refuses sends with a reason instead of acknowledging them, reports 503, and resumes by itself', async () => {
      const { name: bobName, client: bob } = await fixture.user(server, 'bob');
      const { client: alice } = await fixture.user(server, 'alice');
      const before = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'before' });
      expect(before.success).toBe(true);
      // Injected: every connection to PostgreSQL dropped, new ones refused.
      await proxy.cut();
      const during = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'during' }, 20000);
      // Checked: not acknowledged, with a reason.
      expect(during).toMatchObject({ messageType: MessageType.ChatResponse, success: false, messageId: null, code: 'internal' });
      expect(typeof during.reason).toBe('string');
      const health = await server.http<{ database: string }>('GET', '/health');
      expect(health.status).toBe(503);
      expect(health.body.data.database).toBe('down');
      expect(server.running).toBe(true);
      await proxy.restore();
      // Checked: service resumes without a restart.
      await until(
        async () => (await server.http('GET', '/health')).status,
        (status) => status === 200,
        20000,
        'database back',
      );
      const after = await alice.request({ messageType: MessageType.ChatRequest, to: bobName, content: 'after' });
      expect(after.success).toBe(true);
      const history = await bob.request({
        messageType: MessageType.HistoryRequest,
        with: alice.received.find((f) => f.messageType === MessageType.LoginResponse)!.username,
      });
      expect((history.messages as { content: string }[]).map((m) => m.content)).toEqual(['before', 'after']);
      alice.close();
      bob.close();
    });
  });
});
