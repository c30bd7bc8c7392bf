import { RegistryKeys } from '../src/cluster/redis-registry';
import { useFixture } from './helpers/fixture';
import { PrivateRedis } from './helpers/services';
import { until } from './helpers/wait';

describe('cluster membership', () => {
  const fixture = useFixture({ mode: 'cluster' });
  const { env } = fixture;
  const pair = () => fixture.startMany(2, { HEARTBEAT_MS: '200', INSTANCE_TTL_MS: '1000' });

  it('two instances on one PostgreSQL and one Redis list each other; a stopped one disappears at once', async () => {
    const [a, b] = await pair();
    const both = await fixture.listed(a, (list) => list.length === 2, 5000);
    expect(both.map((i) => i.port).sort()).toEqual([a.port, b.port].sort());
    const fromB = await fixture.listed(b, () => true);
    expect(fromB.map((i) => i.host).sort()).toEqual([a.host, b.host].sort());

    await b.stop();
    const after = await fixture.listed(a, () => true);
    expect(after.map((i) => i.port)).toEqual([a.port]);
  });

  it('an instance killed with SIGKILL leaves the list within INSTANCE_TTL_MS, and the janitor purges its keys', async () => {
    const [a, b] = await pair();
    const list = await fixture.listed(a, (l) => l.some((i) => i.port === b.port), 5000);
    const victim = list.find((i) => i.port === b.port)!;
    await b.kill('SIGKILL');
    const killedAt = Date.now();
    await fixture.listed(a, (l) => !l.some((i) => i.id === victim.id), 3000);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(1000 + 400 + 500);
    const redis = env.redis();
    const keys = new RegistryKeys(env.redisPrefix);
    try {
      await until(
        () => redis.zscore(keys.instances(), victim.id),
        (score) => score === null,
        3000,
      );
      expect(await redis.exists(keys.instance(victim.id))).toBe(0);
      expect(await redis.exists(keys.instanceSessions(victim.id))).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it('answers 500 in the envelope when Redis fails under a request, and /health turns 503', async () => {
    const redis = await PrivateRedis.start();
    try {
      const server = await fixture.start({ REDIS_URL: redis.url });
      await redis.kill();
      const failed = await server.http('GET', '/cluster/instances', { auth: 'admin' });
      expect(failed.status).toBe(500);
      expect(failed.body).toMatchObject({
        code: -1,
        data: null,
        msg: 'System busy, please try again later',
        path: '/cluster/instances',
        isSuccess: false,
        isError: true,
      });
      expect(failed.text).not.toMatch(/ioredis|at .*\.js/);
      const health = await server.http<{ database: string; registry: string }>('GET', '/health');
      expect(health.status).toBe(503);
      expect(health.body.data).toMatchObject({ database: 'up', registry: 'down' });
    } finally {
      await redis.kill();
    }
  });
});
