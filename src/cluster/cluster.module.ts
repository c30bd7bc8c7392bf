import { Global, Inject, Logger, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Bus } from './bus';
import { ClusterController } from './cluster.controller';
import { ClusterService } from './cluster.service';
import { DeliveryService } from './delivery.service';
import { InstanceIdentity } from './instance-identity';
import { LocalSessions } from './local-sessions';
import { MemoryBus, MemoryRegistry } from './memory-registry';
import { PresenceChanges } from './presence-changes';
import { RedisClient, createRedisClient } from './redis-client';
import { RedisBus, RedisRegistry } from './redis-registry';
import { RebalanceService } from './rebalance.service';
import { Registry } from './registry';
import { SessionsService } from './sessions.service';
import { StatsService } from './stats.service';

/**
 * The shared Redis client of the cluster mode, for the configured topology (one server, Cluster,
 * Sentinel); null in the embedded mode. Whatever keeps state in Redis takes this one.
 */
export const REDIS = Symbol('REDIS');

/** The cluster's services, provided here and to every module. */
const SERVICES = [
  InstanceIdentity,
  LocalSessions,
  PresenceChanges,
  SessionsService,
  DeliveryService,
  ClusterService,
  RebalanceService,
  StatsService,
];

@Global()
@Module({
  controllers: [ClusterController],
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig): RedisClient | null => {
        if (!config.cluster.redis) return null;
        const redis = createRedisClient(config.cluster.redis, 'registry');
        const logger = new Logger('Redis');
        redis.on('error', (error: Error) => logger.warn(`Redis: ${error.message}`));
        return redis;
      },
    },
    {
      provide: Registry,
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: RedisClient | null): Registry =>
        redis ? new RedisRegistry(redis, config.cluster.redisPrefix) : new MemoryRegistry(),
    },
    {
      provide: Bus,
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: RedisClient | null): Bus =>
        redis && config.cluster.redis ? new RedisBus(redis, config.cluster.redisPrefix, config.cluster.redis) : new MemoryBus(),
    },
    ...SERVICES,
  ],
  exports: [REDIS, Registry, Bus, ...SERVICES],
})
export class ClusterModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(REDIS) private readonly redis: RedisClient | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}
