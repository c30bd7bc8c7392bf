import { Logger } from '@nestjs/common';
import { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimits } from '../config/app-config';

/** What a limit counts, and by which key (an address, a username). */
export type LimitKind = 'loginPerAddress' | 'loginPerUsername' | 'registerPerAddress' | 'httpPerAddress' | 'groupCreatePerUser';

export type LimitOutcome = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Makes the limiter of one kind: in memory (embedded) or in Redis (cluster, shared by every instance). */
export type LimiterFactory = (kind: LimitKind, points: number, durationSeconds: number) => RateLimiterAbstract;

/**
 * Request limits per client address and per username, over RATE_LIMIT_WINDOW_SECONDS. A store
 * that fails lets the request through: the limits are a defence, not something a request needs.
 */
export class RateLimitsService {
  private readonly logger = new Logger('RateLimits');
  private readonly limiters = new Map<LimitKind, RateLimiterAbstract>();
  private storeDown = false;

  constructor(limits: RateLimits, factory: LimiterFactory) {
    for (const kind of ['loginPerAddress', 'loginPerUsername', 'registerPerAddress', 'httpPerAddress', 'groupCreatePerUser'] as const) {
      if (limits[kind] > 0) this.limiters.set(kind, factory(kind, limits[kind], limits.windowSeconds));
    }
  }

  async consume(kind: LimitKind, key: string): Promise<LimitOutcome> {
    const limiter = this.limiters.get(kind);
    if (!limiter) return { ok: true };
    try {
      await limiter.consume(key);
      this.storeDown = false;
      return { ok: true };
    } catch (error) {
      if (error instanceof RateLimiterRes) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
      if (!this.storeDown) this.logger.warn(`Rate limit store failed; letting requests through: ${String(error)}`);
      this.storeDown = true;
      return { ok: true };
    }
  }
}
