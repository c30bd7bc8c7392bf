import { Global, Module } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { REDIS } from '../cluster/cluster.module';
import { RedisClient } from '../cluster/redis-client';
import { AppConfig } from '../config/app-config';
import { RateLimitsService } from './rate-limits.service';

/** Rate limits; in cluster mode on the registry's Redis connection, with single-key commands only. */
@Global()
@Module({
  providers: [
    {
      provide: RateLimitsService,
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: RedisClient | null) =>
        new RateLimitsService(config.rateLimits, (kind, points, duration) => {
          const keyPrefix = `${config.cluster.redisPrefix}limit:${kind}`;
          return redis
            ? new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, rejectIfRedisNotReady: true })
            : new RateLimiterMemory({ keyPrefix, points, duration });
        }),
    },
  ],
  exports: [RateLimitsService],
})
export class LimitsModule {}
