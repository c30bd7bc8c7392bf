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

/** Slots in a Redis Cluster. */
const SLOTS = 16384;

/**
 * The connection to each node that owns slots (each master, in a Cluster), as the client's slot
 * map has them. Throws when a slot has no owner or its owner has no connection: the client drops
 * a dead master's connection before a replica replaces it, so the pool's list of masters alone
 * would look whole while a shard is down.
 */
export function slotOwners(client: RedisClient): Redis[] {
  if (!isCluster(client)) return [client];
  const byKey = new Map(client.nodes('all').map((node) => [`${node.options.host}:${node.options.port}`, node]));
  const owners = new Map<string, Redis>();
  for (let slot = 0; slot < SLOTS; slot++) {
    const key = client.slots[slot]?.[0];
    if (key === undefined) throw new Error(`No master known for slot ${slot}`);
    if (owners.has(key)) continue;
    const node = byKey.get(key);
    if (!node) throw new Error(`No connection to ${key}, the master of slot ${slot}`);
    owners.set(key, node);
  }
  return [...owners.values()];
}
