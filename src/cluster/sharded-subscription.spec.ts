import Redis, { Cluster } from 'ioredis';
import { ShardedSubscription } from './redis-registry';

/**
 * A Cluster client whose map of slots has no owner for the channel's slot until a refresh gives it
 * one (a failover under way when an instance starts). The owner is the Redis server of the tests
 * (Redis 7 serves sharded Pub/Sub outside a Cluster too), so the subscription is real.
 */
function clusterAfterRefreshes(refreshes: number): { cluster: Cluster; refreshed: () => number } {
  const slots: (string[] | undefined)[] = [];
  let count = 0;
  const cluster = {
    slots,
    cluster: () => Promise.resolve(42),
    refreshSlotsCache: () => {
      if (++count >= refreshes) slots[42] = ['127.0.0.1:6379'];
    },
  } as unknown as Cluster;
  return { cluster, refreshed: () => count };
}

describe('ShardedSubscription at start', () => {
  const channel = `test:sharded:${process.pid}:${Date.now()}`;
  let publisher: Redis;
  let subscription: ShardedSubscription | undefined;

  beforeAll(() => {
    publisher = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  });
  afterEach(async () => {
    await subscription?.close();
    subscription = undefined;
  });
  afterAll(async () => {
    await publisher.quit();
  });

  it('waits for the slot to get a master, refreshing the map, then subscribes', async () => {
    const { cluster, refreshed } = clusterAfterRefreshes(3);
    const received: string[] = [];
    subscription = new ShardedSubscription(
      cluster,
      channel,
      'test',
      (payload) => received.push(payload),
      () => undefined,
    );
    await subscription.start(5000);
    expect(refreshed()).toBe(3);
    expect(Number(await publisher.call('SPUBLISH', channel, 'hello'))).toBe(1);
    for (let i = 0; i < 50 && received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toEqual(['hello']);
  });

  it('gives up after its start timeout when no master comes', async () => {
    const { cluster } = clusterAfterRefreshes(Infinity);
    subscription = new ShardedSubscription(
      cluster,
      channel,
      'test',
      () => undefined,
      () => undefined,
    );
    await expect(subscription.start(600)).rejects.toThrow('no master known for slot 42');
  });
});
