import { MessageType } from '../src/protocol';
import { TestEnvironment } from './helpers/environment';
import { Instance, startInstance } from './helpers/instance';
import { forgeToken, nowSeconds } from './helpers/tokens';
import { sleep } from './helpers/wait';
import { WsTestClient, loggedIn, uniqueName } from './helpers/ws-client';

describe('security across instances', () => {
  const env = new TestEnvironment('cluster');
  let a: Instance;
  let b: Instance;
  const clients: WsTestClient[] = [];
  const common = { REBALANCE_DELAY_MS: '600000', REBALANCE_INTERVAL_MS: '600000', REBALANCE_GRACE_MS: '60000', DRAIN_TIMEOUT_MS: '2000' };

  async function user(
    instance: Instance,
    prefix: string,
    register = true,
    name = uniqueName(prefix),
  ): Promise<{ name: string; client: WsTestClient; token: string }> {
    const client = await loggedIn(instance.wsUrl, name, 'secret-pass', register);
    clients.push(client);
    return { name, client, token: client.received.find((f) => f.messageType === MessageType.LoginResponse)!.token as string };
  }

  beforeAll(async () => {
    await env.setup();
    [a, b] = await Promise.all([startInstance(env.instanceEnv(common)), startInstance(env.instanceEnv(common))]);
  }, 120000);

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await env.dispose();
  }, 60000);

  it.each([
    ['ADMIN_TOKEN', '', 'ADMIN_TOKEN is required in cluster mode'],
    ['CLUSTER_TOKEN', '', 'CLUSTER_TOKEN is required in cluster mode'],
    ['JWT_SECRET', '', 'JWT_SECRET is required in cluster mode'],
    ['ADMIN_TOKEN', 'short-admin', 'ADMIN_TOKEN must be at least 16 characters'],
    ['CLUSTER_TOKEN', 'short-cluster', 'CLUSTER_TOKEN must be at least 16 characters'],
    ['JWT_SECRET', 'short-secret', 'JWT_SECRET must be at least 16 characters'],
  ])('an instance refuses to start in cluster mode with %s set to %j', async (name, value, message) => {
    await expect(startInstance(env.instanceEnv({ ...common, [name]: value }), 20000)).rejects.toThrow(message);
  });

  it('a token from one instance is accepted by the other; a token under another secret by neither', async () => {
    const { name, token } = await user(a, 'xtok');
    const atB = await WsTestClient.connect(`${b.wsUrl}?token=${encodeURIComponent(token)}`);
    clients.push(atB);
    expect(await atB.next((f) => f.messageType === MessageType.LoginResponse)).toMatchObject({ success: true, username: name });
    const forged = forgeToken({ sub: name, exp: nowSeconds() + 600 }, { secret: 'a-secret-that-no-instance-holds' });
    for (const instance of [a, b]) {
      const client = await WsTestClient.connect(instance.wsUrl);
      clients.push(client);
      expect(await client.request({ messageType: MessageType.LoginRequest, token: forged })).toMatchObject({
        success: false,
        reason: 'Invalid token',
      });
    }
  });

  it('a user disabled through one instance cannot log in with a token on any instance', async () => {
    const { name, token } = await user(a, 'xdis');
    expect((await b.http('PUT', `/user/setUserStatus/${name}/false`, { auth: 'admin' })).body).toMatchObject({ code: 0 });
    for (const instance of [a, b]) {
      const client = await WsTestClient.connect(`${instance.wsUrl}?token=${encodeURIComponent(token)}`);
      clients.push(client);
      expect(await client.next((f) => f.messageType === MessageType.LoginResponse)).toMatchObject({
        success: false,
        reason: 'Account is disabled',
      });
    }
  });

  it('POST /reBalance/handler moves clients to a live sibling only: to B while it runs, -10 once it has left', async () => {
    const first = await user(a, 'mv1');
    const moved = await a.http('POST', `/reBalance/handler?host=${encodeURIComponent(b.host)}&reBalanceNumber=1`, { auth: 'cluster' });
    expect(moved.body).toMatchObject({ code: 0, data: true });
    expect(await first.client.next((f) => f.messageType === MessageType.ReBalance)).toMatchObject({
      sequenceId: 0,
      host: b.host,
      url: `ws://${b.host}/ws`,
    });

    await b.stop();
    const second = await user(a, 'mv2');
    const refused = await a.http('POST', `/reBalance/handler?host=${encodeURIComponent(b.host)}&reBalanceNumber=5`, { auth: 'cluster' });
    expect(refused.body).toMatchObject({ code: -10, data: null });
    await sleep(300);
    expect(second.client.received.filter((f) => f.messageType === MessageType.ReBalance)).toEqual([]);
  });
});
