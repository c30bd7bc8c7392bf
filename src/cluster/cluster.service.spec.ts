import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { Bus } from './bus';
import { ClusterService } from './cluster.service';
import { InstanceIdentity } from './instance-identity';
import { LocalSessions } from './local-sessions';
import { PresenceChanges } from './presence-changes';
import { Registry } from './registry';
import { SessionsService } from './sessions.service';
import { DeliveryService } from './delivery.service';

/** The heartbeat alone, against a registry whose answers each test scripts. */
function service(registry: Partial<Registry>) {
  const counter = { inc: () => undefined, set: () => undefined };
  const metrics = new Proxy({}, { get: () => counter }) as unknown as MetricsService;
  const config = { cluster: { instanceTtlMs: 1500, heartbeatMs: 300 }, mode: 'cluster' } as AppConfig;
  const identity = { id: 'i1', host: '127.0.0.1:1', ip: '127.0.0.1', port: 1, startedAt: 0 } as InstanceIdentity;
  const local = { userCount: 0, sessionCount: 0 } as unknown as LocalSessions;
  const rebindAll = jest.fn(async () => undefined);
  const sessions = { rebindAll } as unknown as SessionsService;
  const bus = { subscribe: async () => undefined, onReconnect: () => undefined } as unknown as Bus;
  const cluster = new ClusterService(
    config,
    identity,
    { onReconnect: () => undefined, ...registry } as Registry,
    bus,
    local,
    sessions,
    metrics,
    new PresenceChanges(),
    { locations: { enabled: false, ttlMs: 0 }, locationsLost: () => undefined } as unknown as DeliveryService,
  );
  const resyncs = jest.fn();
  cluster.onResync(resyncs);
  return { cluster, rebindAll, resyncs, beat: () => (cluster as unknown as { heartbeat(): Promise<void> }).heartbeat() };
}

describe('ClusterService heartbeat', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('re-binds the sessions after a heartbeat that found the instance unlisted, even when that heartbeat failed on the ping', async () => {
    const heartbeat = jest.fn<Promise<boolean>, []>().mockResolvedValueOnce(true).mockResolvedValueOnce(true).mockResolvedValue(false);
    const ping = jest
      .fn<Promise<void>, []>()
      .mockResolvedValueOnce(undefined)
      .mockRejectedValueOnce(new Error('No connection to 127.0.0.1:7002'))
      .mockResolvedValue(undefined);
    const { cluster, rebindAll, resyncs, beat } = service({ heartbeat, ping });
    await cluster.announce(1); // first heartbeat: unlisted, as always at start
    clearInterval((cluster as unknown as { heartbeatTimer: NodeJS.Timeout }).heartbeatTimer);
    clearInterval((cluster as unknown as { janitorTimer: NodeJS.Timeout }).janitorTimer);
    expect(rebindAll).not.toHaveBeenCalled();
    // Purged meanwhile by another instance: this heartbeat re-lists it (true) but a shard is still down.
    await beat();
    expect(cluster.registryHealthy).toBe(false);
    // The next one finds it listed (false) and everything up: the sessions purged with it are bound again.
    await beat();
    expect(cluster.registryHealthy).toBe(true);
    expect(rebindAll).toHaveBeenCalledTimes(1);
    expect(resyncs).toHaveBeenCalledTimes(1);
    await beat();
    expect(rebindAll).toHaveBeenCalledTimes(1);
  });
});
