import { RegistryKeys } from '../src/cluster/redis-registry';
import { MessageType } from '../src/protocol';
import { LoadBalancer } from './browser/helpers/load-balancer';
import { useFixture } from './helpers/fixture';
import { Instance, freePort } from './helpers/instance';
import { connectionsOn, moveOrder, pageConnectSources } from './helpers/cluster';
import { until } from './helpers/wait';
import { Frame, WsTestClient } from './helpers/ws-client';

type Listed = { id: string; host: string; url: string; connections: number }[];
type Address = { ip: string; port: number; url: string };

/**
 * PUBLIC_URL: B is reached by clients through a forwarder on another port, as behind a proxy or
 * TLS terminator, and says so; A sets none and is reached where it listens. Moves to an
 * instance carry its public URL, /serverAddress answers with it, and a record from an instance
 * older than PUBLIC_URL (no url) reads as ws://host/ws.
 */
describe('PUBLIC_URL in moves, /serverAddress and the registry', () => {
  const fixture = useFixture({
    mode: 'cluster',
    settings: { HEARTBEAT_MS: '300', INSTANCE_TTL_MS: '3000', REBALANCE_DELAY_MS: '600000', REBALANCE_INTERVAL_MS: '600000' },
  });
  const { env } = fixture;
  const clients: WsTestClient[] = [];
  let a: Instance;
  let b: Instance;
  let forwarder: LoadBalancer;

  const listed = async (): Promise<Listed> => (await a.http<Listed>('GET', '/cluster/instances', { auth: 'admin' })).body.data;
  const connectionsReach = (instance: Instance, count: number, what: string) =>
    until(
      () => connectionsOn(a, instance),
      (n) => n === count,
      5000,
      what,
    );
  const user = async (on: Instance, prefix: string): Promise<WsTestClient> => {
    const { client } = await fixture.user(on, prefix);
    clients.push(client);
    return client;
  };
  const serverAddress = async (asked: Instance): Promise<Address> => (await asked.http<Address>('GET', '/serverAddress')).body.data;

  beforeAll(async () => {
    const bPort = await freePort();
    forwarder = fixture.track(await new LoadBalancer([bPort]).start());
    [a, b] = await Promise.all([fixture.start(), fixture.start({ PORT: String(bPort), PUBLIC_URL: forwarder.wsUrl })]);
    await until(listed, (list) => list.length === 2, 10000, 'two instances');
  }, 120000);

  it('each instance publishes its public URL in the registry', async () => {
    const list = await listed();
    expect(list.find((i) => i.host === a.host)?.url).toBe(a.wsUrl);
    expect(list.find((i) => i.host === b.host)?.url).toBe(forwarder.wsUrl);
    expect(forwarder.wsUrl).not.toBe(b.wsUrl);
  });

  it("the chat page may connect to every live instance's public origin, its own included", async () => {
    for (const served of [a, b]) {
      const connect = await pageConnectSources(served);
      expect(connect.slice(0, 2)).toEqual(['connect-src', "'self'"]);
      expect(new Set(connect.slice(2))).toEqual(new Set([`ws://${a.host}`, `ws://127.0.0.1:${forwarder.port}`]));
    }
  });

  it('GET /serverAddress answers with the public URL of the least loaded instance, beside ip and port', async () => {
    await user(a, 'load');
    await connectionsReach(a, 1, 'one connection on A');
    for (const asked of [a, b]) {
      expect(await serverAddress(asked)).toEqual({ ip: '127.0.0.1', port: b.port, url: forwarder.wsUrl });
    }
    await user(b, 'load');
    await user(b, 'load');
    await connectionsReach(b, 2, 'two connections on B');
    expect(await serverAddress(b)).toEqual({ ip: '127.0.0.1', port: a.port, url: a.wsUrl });
  });

  it("a move to B carries B's public URL, and the client gets there through it", async () => {
    await user(a, 'tob');
    const before = { through: forwarder.accepted, onB: await connectionsOn(a, b) };
    expect((await moveOrder(a, b.host)).body).toMatchObject({ code: 0 });
    // One of A's two connections is asked to move: whichever it is, its frame names B's public URL.
    const moved = await until(
      async () => clients.filter((c) => c.received.some((f) => f.messageType === MessageType.ReBalance)),
      (list) => list.length === 1,
      5000,
      `a type ${MessageType.ReBalance} on A`,
    );
    const frame = moved[0].received.find((f) => f.messageType === MessageType.ReBalance) as Frame;
    expect(frame).toMatchObject({ sequenceId: 0, success: true, reason: null, host: b.host, url: forwarder.wsUrl });

    const following = fixture.track(await WsTestClient.connect(frame.url as string));
    clients.push(following);
    const token = moved[0].received.find((f) => f.messageType === MessageType.LoginResponse)!.token as string;
    expect(await following.request({ messageType: MessageType.LoginRequest, token })).toMatchObject({ success: true });
    expect(forwarder.accepted).toBe(before.through + 1);
    await connectionsReach(b, before.onB + 1, 'the moved client on B');
    for (const c of moved) c.close();
  });

  it("a move to A carries A's default URL, ws://PUBLIC_HOST:PORT/ws", async () => {
    const client = await user(b, 'toa');
    expect((await moveOrder(b, a.host, 100)).body).toMatchObject({ code: 0, data: true });
    expect(await client.next((f) => f.messageType === MessageType.ReBalance, 5000, `type ${MessageType.ReBalance} on B`)).toMatchObject({
      host: a.host,
      url: a.wsUrl,
    });
  });

  it('an instance record without a url (an instance older than PUBLIC_URL) reads as ws://host/ws, and moves there say so', async () => {
    const redis = env.redis();
    const keys = new RegistryKeys(env.redisPrefix);
    const old = { id: 'old0instance', host: '127.0.0.1:1' };
    try {
      // Listed as alive well past the test; its hash is what an older instance writes.
      await redis.zadd(keys.instances(), Date.now() + 60000, old.id);
      const record = { host: old.host, ip: '127.0.0.1', port: '1', users: '0', connections: '0', startedAt: '1', draining: '0' };
      await redis.hset(keys.instance(old.id), record);
      await until(listed, (list) => list.some((i) => i.id === old.id), 5000, 'the old record listed');
      expect((await listed()).find((i) => i.id === old.id)?.url).toBe('ws://127.0.0.1:1/ws');
      await user(a, 'toold');
      expect((await moveOrder(a, old.host)).body).toMatchObject({ code: 0 });
      const frames = await until(
        async () => clients.flatMap((c) => c.received.filter((f) => f.messageType === MessageType.ReBalance && f.host === old.host)),
        (list) => list.length === 1,
        5000,
        `a type ${MessageType.ReBalance} to the old instance`,
      );
      expect(frames[0]).toMatchObject({ host: old.host, url: 'ws://127.0.0.1:1/ws' });
    } finally {
      await redis.multi().del(keys.instance(old.id)).zrem(keys.instances(), old.id).exec();
      redis.disconnect();
    }
  });

  it("a drain moves A's clients with B's public URL", async () => {
    const client = await user(a, 'drain');
    a.process.kill('SIGTERM');
    expect(await client.next((f) => f.messageType === MessageType.ReBalance, 5000, `type ${MessageType.ReBalance} on drain`)).toMatchObject(
      {
        host: b.host,
        url: forwarder.wsUrl,
      },
    );
  });
});
