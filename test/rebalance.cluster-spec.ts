import { RegistryKeys } from '../src/cluster/redis-registry';
import { CloseCode, MessageType } from '../src/protocol';
import { scanKeys } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { SdkFleet } from './helpers/sdk-fleet';
import { sleep, until } from './helpers/wait';

type Listed = { id: string; host: string; port: number; connections: number; draining?: boolean }[];
const CLIENTS = 300;
const TTL_MS = 1500;
const HEARTBEAT_MS = 300;

function withinTenPercent(list: Listed): boolean {
  const mean = list.reduce((sum, i) => sum + i.connections, 0) / list.length;
  return list.every((i) => Math.abs(i.connections - mean) <= 0.1 * mean);
}

describe('rebalancing, draining and dead instances with 300 SDK clients', () => {
  const fixture = useFixture({
    mode: 'cluster',
    settings: {
      HEARTBEAT_MS: String(HEARTBEAT_MS),
      INSTANCE_TTL_MS: String(TTL_MS),
      REBALANCE_DELAY_MS: '600000',
      REBALANCE_INTERVAL_MS: '600000',
      REBALANCE_COOLDOWN_MS: '0',
      REBALANCE_GRACE_MS: '5000',
      DRAIN_TIMEOUT_MS: '10000',
      RATE_LIMIT_PER_SEC: '1000',
      RATE_LIMIT_BURST: '1000',
    },
  });
  const { env, instances } = fixture;
  let fleet: SdkFleet;

  const live = () => instances.filter((i) => i.running);
  const listed = (): Promise<Listed> => fixture.listed(live()[0], () => true);

  /** Lets the traffic run `settleMs` more, then stops it. */
  const stopSendingAfter = async (settleMs: number) => {
    await sleep(settleMs);
    await fleet.stopSending();
  };
  /** Every acknowledged message delivered once; with `refusals` false, some sends may have been refused. */
  const expectDeliveredOnce = async (refusals = true) => {
    expect(await fleet.waitForDelivery(20000)).toEqual([]);
    expect(fleet.duplicates()).toEqual([]);
    if (refusals) expect(fleet.sendErrors).toEqual([]);
  };

  beforeAll(async () => {
    const first = await fixture.start();
    let next = 0;
    // A client whose instance died asks the live ones in turn, as it would ask a load balancer.
    fleet = fixture.fleet(() => {
      const running = live();
      return running[next++ % running.length].wsUrl;
    });
    const password = 'secret-pass';
    const names: string[] = [];
    for (let i = 0; i < CLIENTS; i += 50) {
      names.push(...(await Promise.all(Array.from({ length: 50 }, () => fixture.registered(first, 'fleet', password)))));
    }
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((name) => fleet.add(first.wsUrl, name, password)));
    }
  }, 120000);

  it('moves clients from one busy instance to two new ones until each is within 10 % of the mean, losing nothing', async () => {
    fleet.startSending(40, 100);
    await fixture.startMany(2);
    await until(listed, (l) => l.length === 3 && l[0].connections === CLIENTS, 5000, 'three instances listed');

    const moves = await instances[0].http<{ from: string; to: string; count: number; ok: boolean }[]>('POST', '/reBalance', {
      auth: 'admin',
    });
    expect(moves.body.code).toBe(0);
    expect(moves.body.data.length).toBeGreaterThan(0);
    expect(moves.body.data.every((m) => m.ok)).toBe(true);
    expect(moves.body.data.reduce((sum, m) => sum + m.count, 0)).toBe(200);

    const balanced = await until(
      listed,
      (l) => withinTenPercent(l) && l.reduce((s, i) => s + i.connections, 0) === CLIENTS,
      30000,
      'balanced',
    );
    expect(balanced.map((i) => i.connections).sort()).toEqual([100, 100, 100]);
    await stopSendingAfter(1000);
    expect(fleet.acked.size).toBeGreaterThan(100);
    await expectDeliveredOnce();
  }, 90000);

  it('drains an instance on SIGTERM: its clients end up on the others and no acknowledged message is lost', async () => {
    fleet.startSending(40, 100);
    await sleep(500);
    const leaving = instances[0];
    const exited = leaving.stop(30000);
    await until(
      async () => (leaving.running ? await listed().catch(() => []) : await listed()),
      (l) => l.length === 2 && l.reduce((s, i) => s + i.connections, 0) === CLIENTS,
      25000,
      'clients moved to the two others',
    );
    expect(await exited).toBe(0);
    expect(fleet.clients.every((c) => c.state === 'connected')).toBe(true);
    await stopSendingAfter(500);
    await expectDeliveredOnce();
  }, 90000);

  it(
    'forgets an instance killed with SIGKILL within INSTANCE_TTL_MS and one janitor pass; ' + 'its clients come back online elsewhere',
    async () => {
      fleet.startSending(40, 100);
      const [victim, survivor] = live();
      const victimId = (await listed()).find((i) => i.port === victim.port)!.id;
      await victim.kill('SIGKILL');
      const killedAt = Date.now();
      const redis = env.redis();
      const keys = new RegistryKeys(env.redisPrefix);
      try {
        const holdsVictim = async () => {
          let found = 0;
          for (const key of await scanKeys(redis, `${env.redisPrefix}{u:*`))
            for (const holder of Object.values(await redis.hgetall(key))) if (holder === victimId) found++;
          return (
            found +
            (await redis.exists(keys.instanceSessions(victimId))) +
            ((await redis.zscore(keys.instances(), victimId)) === null ? 0 : 1)
          );
        };
        await until(holdsVictim, (n) => n === 0, TTL_MS + 3 * HEARTBEAT_MS + 2000, 'victim purged from the registry');
        expect(Date.now() - killedAt).toBeLessThanOrEqual(TTL_MS + 3 * HEARTBEAT_MS + 2000);
      } finally {
        redis.disconnect();
      }
      const listing = await fixture.listed(survivor, () => true);
      expect(listing.map((i) => i.id)).toEqual([listing.find((i) => i.port === survivor.port)!.id]);
      await until(
        async () => fleet.clients.filter((c) => c.state === 'connected').length,
        (n) => n === CLIENTS,
        20000,
        'all clients online again',
      );
      await until(listed, (l) => l[0].connections === CLIENTS, 5000, 'all sessions on the survivor');
      await stopSendingAfter(500);
      await expectDeliveredOnce(false);
    },
    90000,
  );
});

describe('rebalance orders', () => {
  const fixture = useFixture({ mode: 'cluster' });
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    [a, b] = await fixture.startMany(2, { REBALANCE_GRACE_MS: '700', REBALANCE_DELAY_MS: '600000' });
  });

  it(
    `POST /reBalance/handler pushes type ${MessageType.ReBalance} to that many clients ` +
      `and closes those that stay with ${CloseCode.Moved}`,
    async () => {
      const clients = await Promise.all([0, 1, 2].map(async () => (await fixture.user(a, 'mv')).client));
      const response = await a.http<boolean>('POST', `/reBalance/handler?host=${encodeURIComponent(b.host)}&reBalanceNumber=2`, {
        auth: 'cluster',
      });
      expect(response.body).toMatchObject({ code: 0, data: true });
      await sleep(100);
      const moved = clients.filter((c) => c.received.some((f) => f.messageType === MessageType.ReBalance));
      expect(moved).toHaveLength(2);
      for (const client of moved) {
        expect(client.received.find((f) => f.messageType === MessageType.ReBalance)).toMatchObject({
          sequenceId: 0,
          success: true,
          host: b.host,
          url: `ws://${b.host}/ws`,
        });
        expect((await client.closed).code).toBe(CloseCode.Moved);
      }
      const stayed = clients.find((c) => !moved.includes(c))!;
      expect(stayed.isOpen).toBe(true);
      stayed.close();
    },
  );

  it('POST /reBalance/handler refuses a host that is not a live instance, itself, and bad numbers', async () => {
    expect((await a.http('POST', '/reBalance/handler?host=10.9.9.9:1&reBalanceNumber=1', { auth: 'cluster' })).body).toMatchObject({
      code: -10,
      msg: 'host is not a live instance',
    });
    expect(
      (await a.http('POST', `/reBalance/handler?host=${encodeURIComponent(a.host)}&reBalanceNumber=1`, { auth: 'cluster' })).body,
    ).toMatchObject({ code: -10 });
    for (const number of ['0', '-1', 'x', '']) {
      const bad = await a.http('POST', `/reBalance/handler?host=${encodeURIComponent(b.host)}&reBalanceNumber=${number}`, {
        auth: 'cluster',
      });
      expect(bad.status).toBe(400);
    }
    expect((await a.http('POST', `/reBalance/handler?host=${encodeURIComponent(b.host)}&reBalanceNumber=1`)).status).toBe(401);
    expect(
      (await a.http('POST', `/reBalance/handler?host=${encodeURIComponent(b.host)}&reBalanceNumber=1`, { auth: 'cluster' })).body,
    ).toMatchObject({ code: 0, data: false });
    expect((await a.http('POST', '/reBalance', { auth: 'cluster' })).status).toBe(403);
    expect((await a.http('POST', '/reBalance', { auth: 'admin' })).body).toMatchObject({ code: 0, data: [] });
  });
});

describe('rebalance when an instance joins', () => {
  const fixture = useFixture({ mode: 'cluster' });

  it('moves clients to a new instance REBALANCE_DELAY_MS after it joined', async () => {
    const settings = {
      REBALANCE_DELAY_MS: '1000',
      REBALANCE_MIN_USERS: '10',
      REBALANCE_COOLDOWN_MS: '0',
      HEARTBEAT_MS: '200',
      INSTANCE_TTL_MS: '1000',
    };
    const busy = await fixture.start({ ...settings, REBALANCE_DELAY_MS: '600000' });
    const clients = await Promise.all(Array.from({ length: 20 }, async () => (await fixture.user(busy, 'join')).client));
    const joined = await fixture.start(settings);
    const movedCount = () => clients.filter((c) => c.received.some((f) => f.messageType === MessageType.ReBalance)).length;
    // The ten pushes leave in one pass but arrive one by one: wait for the tenth, then for any extra.
    await until(
      async () => movedCount(),
      (n) => n >= 10,
      10000,
      `type ${MessageType.ReBalance} pushed`,
    );
    await sleep(500);
    expect(movedCount()).toBe(10);
    expect(
      clients
        .find((c) => c.received.some((f) => f.messageType === MessageType.ReBalance))!
        .received.find((f) => f.messageType === MessageType.ReBalance),
    ).toMatchObject({ host: joined.host });
    for (const client of clients) client.close();
  });
});
