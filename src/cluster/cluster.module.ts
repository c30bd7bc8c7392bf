import { Global, Inject, Logger, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { Bus } from './bus';
import { ClusterController } from './cluster.controller';
import { ClusterService } from './cluster.service';
import { DeliveryService } from './delivery.service';
import { InstanceIdentity } from './instance-identity';
import { LocalSessions } from './local-sessions';
import { MemoryBus, MemoryRegistry } from './memory-registry';
import { RedisBus, RedisRegistry, createRedis } from './redis-registry';
import { RebalanceService } from './rebalance.service';
import { Registry } from './registry';
import { SessionsService } from './sessions.service';

/** The shared Redis connection of the cluster mode; absent in the embedded mode. */
export const REDIS = Symbol('REDIS');

@Global()
@Module({
  controllers: [ClusterController],
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Redis | null => {
        if (!config.redisUrl) return null;
        const redis = createRedis(config.redisUrl, 'registry');
        const logger = new Logger('Redis');
        redis.on('error', (error: Error) => logger.warn(`Redis: ${error.message}`));
        return redis;
      },
    },
    {
      provide: Registry,
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: Redis | null): Registry =>
        redis ? new RedisRegistry(redis, config.redisPrefix) : new MemoryRegistry(),
    },
    {
      provide: Bus,
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: Redis | null): Bus =>
        redis && config.redisUrl ? new RedisBus(redis, config.redisPrefix, config.redisUrl) : new MemoryBus(),
    },
    InstanceIdentity,
    LocalSessions,
    SessionsService,
    DeliveryService,
    ClusterService,
    RebalanceService,
  ],
  exports: [REDIS, Registry, Bus, InstanceIdentity, LocalSessions, SessionsService, DeliveryService, ClusterService, RebalanceService],
})
export class ClusterModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(REDIS) private readonly redis: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}
