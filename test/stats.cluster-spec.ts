import { RegistryKeys } from '../src/cluster/redis-registry';
import type { ClusterStats as Stats } from '../src/cluster/stats-types';
import { MessageType } from '../src/protocol';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { until } from './helpers/wait';
import { uniqueName } from './helpers/ws-client';

type Counted = 'messages' | 'logins' | 'refusals' | 'moves';

const SAMPLE_MS = 200;

/** What an instance counted over the window, and its connections at the latest sample. */
function totals(stats: Stats, instance: Instance): Record<Counted | 'connections' | 'samples', number> | undefined {
  const entry = stats.instances.find((i) => i.host === instance.host);
  if (!entry) return undefined;
  const sum = (field: Counted) => entry.samples.reduce((total, sample) => total + sample[field], 0);
  return {
    messages: sum('messages'),
    logins: sum('logins'),
    refusals: sum('refusals'),
    moves: sum('moves'),
    connections: entry.samples.at(-1)?.connections ?? -1,
    samples: entry.samples.length,
  };
}

/**
 * Two cluster instances sampling every 200 ms, real traffic on each (logins, a wrong password,
 * a refused send, messages, a move): GET /cluster/stats on either shows both with those counts.
 */
describe('GET /cluster/stats across two instances', () => {
  const fixture = useFixture({
    mode: 'cluster',
    settings: {
      STATS_SAMPLE_MS: String(SAMPLE_MS),
      HEARTBEAT_MS: '300',
      INSTANCE_TTL_MS: '1500',
      REBALANCE_MIN_USERS: '1',
      REBALANCE_DELAY_MS: '3600000',
      REBALANCE_INTERVAL_MS: '3600000',
      REBALANCE_GRACE_MS: '500',
    },
  });
  const { env } = fixture;
  let first: Instance;
  let second: Instance;
  const stats = async (from: Instance): Promise<Stats> => (await from.http<Stats>('GET', '/cluster/stats', { auth: 'admin' })).body.data;

  beforeAll(async () => {
    first = await fixture.start();
    second = await fixture.start();
  }, 120000);

  it('shows both instances with the logins, refusals, messages, connections and moves each had', async () => {
    const { name: ann, client: annClient } = await fixture.user(first, 'ann');
    const { client: catClient } = await fixture.user(first, 'cat');
    const { name: ben, client: benClient } = await fixture.user(second, 'ben');
    const guess = await fixture.connect(first);
    expect((await guess.login(ann, 'not-the-password')).success).toBe(false);
    guess.close();
    expect((await annClient.request({ messageType: MessageType.ChatRequest, to: uniqueName('nobody'), content: 'hello?' })).success).toBe(
      false,
    );
    for (let i = 0; i < 3; i++)
      expect((await annClient.request({ messageType: MessageType.ChatRequest, to: ben, content: `a${i}` })).success).toBe(true);
    for (let i = 0; i < 2; i++)
      expect((await benClient.request({ messageType: MessageType.ChatRequest, to: ann, content: `b${i}` })).success).toBe(true);
    const order = await first.http<boolean>('POST', `/reBalance/handler?host=${second.host}&reBalanceNumber=1`, { auth: 'cluster' });
    expect(order.body.data).toBe(true);
    // The moved client does not follow: it is closed after the grace period.
    await Promise.race([annClient.closed, catClient.closed]);

    const expected = {
      first: { messages: 3, logins: 2, refusals: 2, moves: 1, connections: 1 },
      second: { messages: 2, logins: 1, refusals: 0, moves: 0, connections: 1 },
    };
    const counted = async (from: Instance) => {
      const answer = await stats(from);
      return { first: totals(answer, first), second: totals(answer, second) };
    };
    const settled = (seen: Awaited<ReturnType<typeof counted>>) =>
      (['first', 'second'] as const).every((name) =>
        Object.entries(expected[name]).every(([field, value]) => seen[name]?.[field as keyof typeof expected.first] === value),
      );
    for (const from of [first, second]) {
      // A count lands with the sample after it: within 200 ms, the connection closed after the grace period.
      await until(() => counted(from), settled, 10000, `stats from ${from.host}`);
      const answer = await stats(from);
      expect(answer).toMatchObject({ sampleMs: SAMPLE_MS, windowMs: 15 * 60_000 });
      expect(answer.instances.map((i) => i.host).sort()).toEqual([first.host, second.host].sort());
      expect(totals(answer, first)).toMatchObject(expected.first);
      expect(totals(answer, second)).toMatchObject(expected.second);
      const firstId = answer.instances.find((i) => i.host === first.host)!.id;
      const secondId = answer.instances.find((i) => i.host === second.host)!.id;
      const move = { from: firstId, fromHost: first.host, to: secondId, toHost: second.host, count: 1 };
      expect(answer.moves).toEqual([{ at: expect.any(Number), ...move }]);
      for (const { samples } of answer.instances) {
        const times = samples.map((s) => s.at);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        expect(times.every((at) => at > answer.now - answer.windowMs && at <= answer.now)).toBe(true);
        expect(samples.length).toBeGreaterThan(1);
      }
    }
  });

  it("keeps each instance's samples in its own Redis list, trimmed to the window and expiring with it", async () => {
    const answer = await stats(first);
    const redis = env.redis();
    try {
      const keys = new RegistryKeys(env.redisPrefix);
      for (const { id } of answer.instances) {
        const key = keys.instanceStats(id);
        expect(await redis.llen(key)).toBeGreaterThan(1);
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(14 * 60_000);
        expect(ttl).toBeLessThanOrEqual(15 * 60_000);
      }
    } finally {
      redis.disconnect();
    }
  });

  it('leaves out an instance that died', async () => {
    await second.kill();
    const answer = await until(
      () => stats(first),
      (s) => s.instances.length === 1,
      10000,
      'the dead instance dropped',
    );
    expect(answer.instances[0].host).toBe(first.host);
    expect(totals(answer, first)).toMatchObject({ messages: 3, logins: 2 });
  });
});
