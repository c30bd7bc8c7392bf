import Redis, { Cluster, RedisOptions } from 'ioredis';
import type { RedisTopology } from '../config/app-config';

/** A connection to the configured topology: every user of Redis takes its client from here. */
export type RedisClient = Redis | Cluster;

const retryStrategy = (attempt: number): number => Math.min(100 * 2 ** attempt, 2000);

function connectionOptions(name: string): RedisOptions {
  return {
    connectionName: name,
    // Commands issued in the same tick (one lookup per delivery) go out as one pipeline per node.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
    enableReadyCheck: true,
    retryStrategy,
  };
}

/** Opens a client of the topology; `name` shows in CLIENT LIST. */
export function createRedisClient(topology: RedisTopology, name: string): RedisClient {
  switch (topology.kind) {
    case 'single':
      return new Redis(topology.url, connectionOptions(name));
    case 'sentinel':
      return new Redis({
        ...connectionOptions(name),
        sentinels: topology.sentinels,
        name: topology.name,
        sentinelRetryStrategy: retryStrategy,
      });
    case 'cluster':
      return new Cluster(topology.nodes, {
        redisOptions: { connectionName: name, maxRetriesPerRequest: 2 },
        enableAutoPipelining: true,
        enableReadyCheck: true,
        scaleReads: 'master',
        clusterRetryStrategy: retryStrategy,
        // A failover takes a few seconds: commands for the lost shard wait for it instead of failing at once.
        retryDelayOnClusterDown: 300,
        retryDelayOnFailover: 300,
        retryDelayOnTryAgain: 300,
        slotsRefreshInterval: 2000,
      });
  }
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** One connection per master: where a SCAN must run to see every key. */
export function masters(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}
