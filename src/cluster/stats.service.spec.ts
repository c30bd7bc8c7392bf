import { Logger } from '@nestjs/common';
import { PasswordHasher } from '../auth/password-hasher';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { StatsSampler } from '../metrics/stats-sampler';
import { ClusterService } from './cluster.service';
import { InstanceIdentity } from './instance-identity';
import { LocalSessions } from './local-sessions';
import { MemoryRegistry } from './memory-registry';
import { InstanceInfo } from './registry';
import { Ring, STATS_WINDOW_MS, StatsService } from './stats.service';

const TTL_MS = 10_000;

function info(id: string, startedAt: number): InstanceInfo {
  const host = `127.0.0.1:${startedAt}`;
  const url = `ws://${host}/ws`;
  return { id, host, ip: '127.0.0.1', port: startedAt, url, users: 0, connections: 0, startedAt, lastSeen: Date.now(), draining: false };
}

/** One instance's StatsService on a memory registry, with the instances it lists as live. */
function instance(id: string, registry: MemoryRegistry, sampleMs = 5000) {
  const local = new LocalSessions();
  const metrics = new MetricsService(local, new PasswordHasher({ auth: { hashConcurrency: 4 } } as AppConfig));
  const identity = { id } as InstanceIdentity;
  const cluster = { liveInstances: () => registry.liveInstances(TTL_MS) } as unknown as ClusterService;
  const stats = new StatsService({ stats: { sampleMs } } as AppConfig, identity, registry, cluster, metrics);
  return { stats, metrics, local };
}

/** An instance that has heartbeated: the registry lists it as live, started at `startedAt`. */
async function liveInstance(id: string, registry: MemoryRegistry, startedAt: number, sampleMs?: number) {
  const made = instance(id, registry, sampleMs);
  await registry.heartbeat(info(id, startedAt));
  return made;
}

describe('Ring', () => {
  it('keeps the newest items up to its capacity, oldest first', () => {
    const ring = new Ring<number>(3);
    for (let i = 1; i <= 2; i++) ring.push(i);
    expect(ring.toArray()).toEqual([1, 2]);
    for (let i = 3; i <= 7; i++) ring.push(i);
    expect(ring.toArray()).toEqual([5, 6, 7]);
  });
});

describe('StatsService', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('finds every metric it samples registered by the metrics service, by name', () => {
    const metrics = new MetricsService(new LocalSessions(), new PasswordHasher({ auth: { hashConcurrency: 4 } } as AppConfig));
    expect(new StatsSampler(metrics.registry).missing()).toEqual([]);
  });

  it('samples the connections and the counts of each interval from the counters, and publishes each sample', async () => {
    const registry = new MemoryRegistry();
    const a = instance('a', registry);
    a.metrics.directStored.inc(3);
    a.metrics.groupStored.inc(2);
    a.metrics.logins.labels('ok').inc(4);
    a.metrics.logins.labels('bad_credentials').inc();
    a.metrics.refusals.labels('5').inc(2);
    const ignore = () => undefined;
    a.local.add({ sessionId: 's1', username: 'ann', isOpen: true, moving: false, deliver: ignore, kick: ignore, move: ignore });
    const first = await a.stats.sample(1000);
    expect(first).toEqual({ at: 1000, connections: 1, messages: 5, logins: 4, refusals: 3, moves: 0, moved: [] });

    a.metrics.directStored.inc();
    a.metrics.movedRebalance.inc(2);
    a.stats.recordMove({ id: 'b', host: '127.0.0.1:2' }, 2, 1500);
    a.stats.recordMove({ id: 'b', host: '127.0.0.1:2' }, 0, 1600);
    const second = await a.stats.sample(2000);
    const moved = [{ at: 1500, to: 'b', toHost: '127.0.0.1:2', count: 2 }];
    expect(second).toEqual({ at: 2000, connections: 1, messages: 1, logins: 0, refusals: 0, moves: 2, moved });
    expect((await a.stats.sample(3000)).moved).toEqual([]);
    expect((await registry.samplesOf(['a'])).get('a')).toEqual([first, second, expect.objectContaining({ at: 3000 })]);
  });

  it('keeps 15 minutes of samples, in memory and in the registry', async () => {
    const registry = new MemoryRegistry();
    const a = await liveInstance('a', registry, 1, 60_000);
    const now = Date.now();
    for (let i = 0; i < 40; i++) await a.stats.sample(now - (39 - i) * 1000);
    const newest15 = Array.from({ length: 15 }, (_, i) => now - (14 - i) * 1000);
    expect((await registry.samplesOf(['a'])).get('a')!.map((s) => s.at)).toEqual(newest15);
    const answer = await a.stats.clusterStats(now);
    expect(answer.instances[0].samples.map((s) => s.at)).toEqual(newest15);
    expect(answer).toMatchObject({ now, sampleMs: 60_000, windowMs: STATS_WINDOW_MS });
  });

  it('drops samples older than the window from the answer', async () => {
    const registry = new MemoryRegistry();
    const a = await liveInstance('a', registry, 1);
    const now = Date.now();
    await a.stats.sample(now - STATS_WINDOW_MS - 1);
    await a.stats.sample(now - 1000);
    expect((await a.stats.clusterStats(now)).instances[0].samples.map((s) => s.at)).toEqual([now - 1000]);
  });

  it('answers for every live instance from what each published, oldest instance first, with the moves they made', async () => {
    const registry = new MemoryRegistry();
    const b = await liveInstance('b', registry, 2);
    const a = await liveInstance('a', registry, 1);
    const now = Date.now();
    b.metrics.directStored.inc(7);
    b.stats.recordMove({ id: 'a', host: '127.0.0.1:1' }, 3, now - 900);
    await b.stats.sample(now - 800);
    a.metrics.logins.labels('ok').inc();
    a.stats.recordMove({ id: 'b', host: '127.0.0.1:2' }, 1, now - 500);
    await a.stats.sample(now - 400);

    for (const answer of [await a.stats.clusterStats(now), await b.stats.clusterStats(now)]) {
      const none = { connections: 0, messages: 0, logins: 0, refusals: 0, moves: 0 };
      expect(answer.instances).toEqual([
        { id: 'a', host: '127.0.0.1:1', url: 'ws://127.0.0.1:1/ws', samples: [{ ...none, at: now - 400, logins: 1 }] },
        { id: 'b', host: '127.0.0.1:2', url: 'ws://127.0.0.1:2/ws', samples: [{ ...none, at: now - 800, messages: 7 }] },
      ]);
      expect(answer.moves).toEqual([
        { at: now - 900, from: 'b', fromHost: '127.0.0.1:2', to: 'a', toHost: '127.0.0.1:1', count: 3 },
        { at: now - 500, from: 'a', fromHost: '127.0.0.1:1', to: 'b', toHost: '127.0.0.1:2', count: 1 },
      ]);
    }
  });

  it('leaves out an instance that died', async () => {
    const registry = new MemoryRegistry();
    const a = instance('a', registry);
    const b = instance('b', registry);
    await registry.heartbeat(info('a', 1));
    await registry.heartbeat({ ...info('b', 2), lastSeen: Date.now() - TTL_MS - 1 });
    await b.stats.sample();
    await a.stats.sample();
    expect((await a.stats.clusterStats()).instances.map((i) => i.id)).toEqual(['a']);
  });

  it('publishes one sample at a time: one taken while the registry still stores the previous stays in memory only', async () => {
    const registry = new MemoryRegistry();
    const a = await liveInstance('a', registry, 1);
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const push = jest.spyOn(registry, 'pushSample').mockImplementationOnce(() => stalled);
    const now = Date.now();
    const first = a.stats.sample(now - 2000);
    await a.stats.sample(now - 1000);
    release();
    await first;
    await a.stats.sample(now);
    expect(push.mock.calls.map(([, sample]) => sample.at)).toEqual([now - 2000, now]);
    expect((await a.stats.clusterStats(now)).instances[0].samples.map((s) => s.at)).toEqual([now - 2000, now - 1000, now]);
  });

  it('keeps sampling while the registry refuses the samples', async () => {
    const registry = new MemoryRegistry();
    const a = await liveInstance('a', registry, 1);
    jest.spyOn(registry, 'pushSample').mockRejectedValue(new Error('Connection is closed.'));
    a.metrics.directStored.inc(2);
    await a.stats.sample();
    expect((await a.stats.clusterStats()).instances[0].samples.map((s) => s.messages)).toEqual([2]);
  });
  it('ends the window once the samples are read, so a sample another instance published meanwhile is inside it', async () => {
    const registry = new MemoryRegistry();
    const a = await liveInstance('a', registry, 1);
    const b = await liveInstance('b', registry, 2);
    const read = registry.samplesOf.bind(registry);
    // b publishes a sample while a reads the registry, a few milliseconds into the answer.
    registry.samplesOf = async (ids) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await b.stats.sample(Date.now());
      return read(ids);
    };
    const answer = await a.stats.clusterStats();
    const [sample] = answer.instances.find((i) => i.id === 'b')!.samples;
    expect(sample.at).toBeLessThanOrEqual(answer.now);
  });
});
