import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { createRedisClient } from '../src/cluster/redis-client';
import { RedisRegistry } from '../src/cluster/redis-registry';
import type { RedisTopology } from '../src/config/app-config';
import {
  CLUSTER_SEEDS,
  RedisTopologyName,
  SENTINELS,
  SENTINEL_NAME,
  ensureRedisTopology,
  redisClient,
  scanKeys,
  serviceUrl,
} from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance, freePort } from './helpers/instance';
import { until } from './helpers/wait';

const USERS = 10_000;

function nodes(list: string): { host: string; port: number }[] {
  return list.split(',').map((entry) => ({ host: entry.split(':')[0], port: Number(entry.split(':')[1]) }));
}

const TOPOLOGIES: Record<RedisTopologyName, RedisTopology> = {
  single: { kind: 'single', url: serviceUrl('TEST_REDIS_URL') },
  cluster: { kind: 'cluster', nodes: nodes(CLUSTER_SEEDS) },
  sentinel: { kind: 'sentinel', sentinels: nodes(SENTINELS), name: SENTINEL_NAME },
};

/** The registry's key layout and locks on each Redis topology, against the real servers. */
describe('the registry on Redis topologies', () => {
  jest.setTimeout(120000);

  beforeAll(() => {
    ensureRedisTopology('cluster');
    ensureRedisTopology('sentinel');
  });

  it('spreads the keys of 10,000 users over the three masters of a Redis Cluster, each within 20 % of even', async () => {
    const prefix = `chat-test:${randomBytes(4).toString('hex')}:`;
    const client = createRedisClient(TOPOLOGIES.cluster, 'spread-test');
    const registry = new RedisRegistry(client, prefix);
    const probe = redisClient('cluster');
    try {
      for (let i = 0; i < USERS; i += 500) {
        await Promise.all(
          Array.from({ length: 500 }, (_, j) =>
            registry.bindSession({ username: `user${i + j}`, sessionId: `s${i + j}`, instanceId: `inst${(i + j) % 4}` }, 5),
          ),
        );
      }
      const perMaster: number[] = [];
      for (const master of await mastersOf(probe)) perMaster.push((await scanKeys(master, `${prefix}{u:*`)).length);
      expect(perMaster).toHaveLength(3);
      expect(perMaster.reduce((a, b) => a + b, 0)).toBe(USERS);
      for (const count of perMaster) {
        expect(count).toBeGreaterThanOrEqual((USERS / 3) * 0.8);
        expect(count).toBeLessThanOrEqual((USERS / 3) * 1.2);
      }
      // Each user's sessions are found again, wherever they landed.
      const found = await registry.sessionsOf(['user0', 'user4999', 'user9999']);
      expect([...found.values()].map((refs) => refs.map((r) => r.instanceId))).toEqual([['inst0'], ['inst3'], ['inst3']]);
      // A purge unbinds an instance's sessions on every shard.
      expect(await registry.purgeInstance('inst1')).toBe(USERS / 4);
      expect((await registry.sessionsOf(['user1', 'user5', 'user2'])).get('user1')).toEqual([]);
    } finally {
      await Promise.all((await scanKeys(probe, `${prefix}*`)).map((key) => probe.del(key)));
      probe.disconnect();
      client.disconnect();
    }
  });

  it.each(['single', 'cluster', 'sentinel'] as const)(
    'takes, refuses and releases a lock, and evicts the oldest session past the limit, on %s',
    async (name) => {
      const prefix = `chat-test:${randomBytes(4).toString('hex')}:`;
      const client = createRedisClient(TOPOLOGIES[name], 'lock-test');
      const registry = new RedisRegistry(client, prefix);
      try {
        const token = await registry.acquireLock('rebalance:lock', 10000);
        expect(token).not.toBeNull();
        expect(await registry.acquireLock('rebalance:lock', 10000)).toBeNull();
        await registry.releaseLock('rebalance:lock', 'not-the-token');
        expect(await registry.acquireLock('rebalance:lock', 10000)).toBeNull();
        await registry.releaseLock('rebalance:lock', token!);
        expect(await registry.acquireLock('rebalance:lock', 10000)).not.toBeNull();

        expect(await registry.bindSession({ username: 'ann', sessionId: '1', instanceId: 'a' }, 2)).toEqual([]);
        expect(await registry.bindSession({ username: 'ann', sessionId: '2', instanceId: 'b' }, 2)).toEqual([]);
        expect(await registry.bindSession({ username: 'ann', sessionId: '3', instanceId: 'b' }, 2)).toEqual([
          { username: 'ann', sessionId: '1', instanceId: 'a' },
        ]);
        // The evicted session left its instance's list: a purge of `a` finds nothing of ann's.
        expect(await registry.purgeInstance('a')).toBe(0);
        expect(await registry.purgeInstance('b')).toBe(2);
        expect((await registry.sessionsOf(['ann'])).get('ann')).toEqual([]);
      } finally {
        const probe = redisClient(name);
        await Promise.all((await scanKeys(probe, `${prefix}*`)).map((key) => probe.del(key)));
        probe.disconnect();
        client.disconnect();
      }
    },
  );

  describe('an instance whose heartbeats fail while Redis answers pings', () => {
    const fixture = useFixture({ mode: 'cluster', topology: 'single' });

    it('reports the registry down in /health and the metrics (REDIS_URL pointing at one node of a Redis Cluster)', async () => {
      // One node of the Cluster that does not own the instance list's slot: PING works, every heartbeat gets MOVED.
      const probe = redisClient('cluster') as Cluster;
      const slot = Number(await probe.cluster('KEYSLOT', '{instances}'));
      const owner = Number(probe.slots[slot][0].split(':')[1]);
      probe.disconnect();
      const other = [7101, 7102, 7103, 7104, 7105, 7106].find((port) => port !== owner)!;
      const port = await freePort();
      const child = spawn(process.execPath, [join(__dirname, '..', 'dist', 'main.js')], {
        env: {
          PATH: process.env.PATH ?? '',
          TZ: 'UTC',
          ...fixture.instanceEnv({ REDIS_URL: `redis://127.0.0.1:${other}`, HEARTBEAT_MS: '200' }),
          PORT: String(port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // Not started through the fixture: it never becomes ready, which is what this test checks.
      const server = fixture.adopt(new Instance(port, child));
      const health = await until(
        () => server.http<{ registry: string; heartbeat: string }>('GET', '/health').catch(() => null),
        (reply) => reply !== null && reply.body?.data?.registry !== undefined,
        30000,
        'the instance answering /health',
      );
      // The node answers PING (registry up), but no heartbeat lands (MOVED): not ready.
      expect({ status: health!.status, registry: health!.body.data.registry, heartbeat: health!.body.data.heartbeat }).toEqual({
        status: 503,
        registry: 'up',
        heartbeat: 'down',
      });
      // /health answers before the first heartbeat has failed (it is down until one lands): the metrics follow that failure.
      const failed = (text: string) =>
        /^chat_registry_up 0$/m.test(text) && /^chat_registry_heartbeat_failures_total [1-9]\d*$/m.test(text);
      const metrics = await until(
        async () => (await server.http('GET', '/metrics', { auth: 'admin' })).text,
        failed,
        10000,
        'the failed heartbeat in the metrics',
      );
      expect(metrics).toMatch(/^chat_registry_up 0$/m);
      expect(metrics).toMatch(/^chat_registry_heartbeat_failures_total [1-9]\d*$/m);
    });
  });
});

async function mastersOf(cluster: ReturnType<typeof redisClient>) {
  if (!(cluster instanceof Cluster)) return [cluster];
  if (cluster.status !== 'ready') await new Promise((resolve) => cluster.once('ready', resolve));
  return cluster.nodes('master');
}
