import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance, startInstance } from './helpers/instance';
import { forgeToken, nowSeconds } from './helpers/tokens';
import { sleep } from './helpers/wait';
import { WsTestClient, tokenOf } from './helpers/ws-client';

/** The secrets cluster mode requires, each with a value too short for it. */
const SECRETS: [string, string][] = [
  ['ADMIN_TOKEN', 'short-admin'],
  ['CLUSTER_TOKEN', 'short-cluster'],
  ['JWT_SECRET', 'short-secret'],
];

describe('security across instances', () => {
  const common = { REBALANCE_DELAY_MS: '600000', REBALANCE_INTERVAL_MS: '600000', REBALANCE_GRACE_MS: '60000', DRAIN_TIMEOUT_MS: '2000' };
  const fixture = useFixture({ mode: 'cluster', settings: common, closeClientsAfterEach: true });
  let a: Instance;
  let b: Instance;

  async function user(instance: Instance, prefix: string): Promise<{ name: string; client: WsTestClient; token: string }> {
    const { name, client } = await fixture.user(instance, prefix);
    return { name, client, token: tokenOf(client) };
  }

  beforeAll(async () => {
    [a, b] = await fixture.startMany(2);
  }, 120000);

  it.each([
    ...SECRETS.map(([name]) => [name, '', `${name} is required in cluster mode`]),
    ...SECRETS.map(([name, short]) => [name, short, `${name} must be at least 16 characters`]),
  ])('an instance refuses to start in cluster mode with %s set to %j', async (name, value, message) => {
    await expect(startInstance(fixture.instanceEnv({ [name]: value }), 20000)).rejects.toThrow(message);
  });

  it('a token from one instance is accepted by the other; a token under another secret by neither', async () => {
    const { name, token } = await user(a, 'xtok');
    const atB = await fixture.connect(b, `?token=${encodeURIComponent(token)}`);
    expect(await atB.next((f) => f.messageType === MessageType.LoginResponse)).toMatchObject({ success: true, username: name });
    const forged = forgeToken({ sub: name, exp: nowSeconds() + 600 }, { secret: 'a-secret-that-no-instance-holds' });
    for (const instance of [a, b]) {
      const client = await fixture.connect(instance);
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
      const client = await fixture.connect(instance, `?token=${encodeURIComponent(token)}`);
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
