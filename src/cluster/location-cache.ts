import { performance } from 'node:perf_hooks';

interface Entry {
  /** The other instances holding sessions of the user (none: the user has no session elsewhere). */
  instances: readonly string[];
  /** When the registry lookup behind it started (monotonic milliseconds). */
  lookedUpAt: number;
}

/**
 * Where other instances hold sessions of users, as a registry lookup last found it, so that a
 * message to a user whose location is known costs no Redis round trip.
 *
 * An entry is used for `ttlMs` after the lookup behind it started, and dropped sooner when a
 * session of the user is bound or ends on another instance (the bus tells) or a delivery through
 * it reaches nobody. Off by default (LOCATION_CACHE_MS=0): see docs/architecture.md for the case it
 * does not close. A stale entry never leaves a user unreached (DeliveryService):
 * - an entry that finds the user nowhere is never taken for the last word: a delivery that reached
 *   no session of the user looks the registry up afresh, after the message was stored, as without
 *   the cache;
 * - an entry naming an instance the user left: that instance holds no session of the user, looks
 *   the registry up afresh and sends the delivery on to where the user is now.
 */
export class LocationCache {
  private readonly entries = new Map<string, Entry>();
  /** Users whose location changed lately: a lookup that started before the change must not be kept. */
  private readonly changedAt = new Map<string, number>();
  private clearedAt = -Infinity;
  private hitCount = 0;
  private missCount = 0;

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get hits(): number {
    return this.hitCount;
  }

  get misses(): number {
    return this.missCount;
  }

  get size(): number {
    return this.entries.size;
  }

  /** A timestamp to pass to `remember` for a lookup about to start. */
  startLookup(): number {
    return this.now();
  }

  /** The other instances holding sessions of the user, or undefined when unknown or too old. */
  instancesOf(username: string): readonly string[] | undefined {
    const entry = this.entries.get(username);
    if (entry === undefined || this.now() - entry.lookedUpAt >= this.ttlMs) {
      this.missCount++;
      return undefined;
    }
    this.hitCount++;
    return entry.instances;
  }

  /** Keeps what a lookup that started at `lookedUpAt` found, unless the user's location changed since. */
  remember(username: string, instances: readonly string[], lookedUpAt: number): void {
    if (!this.enabled || lookedUpAt <= this.clearedAt) return;
    const changed = this.changedAt.get(username);
    if (changed !== undefined && changed >= lookedUpAt) return;
    this.entries.delete(username);
    this.entries.set(username, { instances, lookedUpAt });
    if (this.entries.size > this.maxEntries) this.evictOldest();
  }

  /** A session of these users was bound or ended somewhere, or a delivery through their entry failed. */
  forget(usernames: Iterable<string>): void {
    if (!this.enabled) return;
    const now = this.now();
    for (const username of usernames) {
      this.entries.delete(username);
      this.changedAt.set(username, now);
    }
    this.pruneChanges(now);
  }

  /** Everything may be wrong (the bus or the registry was down): look everyone up again. */
  clear(): void {
    this.entries.clear();
    // Lookups in flight started before this: none of them may fill the cache.
    this.clearedAt = this.now();
  }

  private evictOldest(): void {
    // Maps iterate in insertion order, and `remember` re-inserts: the first entries are the oldest.
    const excess = this.entries.size - this.maxEntries;
    let removed = 0;
    for (const username of this.entries.keys()) {
      if (removed++ >= excess) break;
      this.entries.delete(username);
    }
  }

  /**
   * A change older than `ttlMs` can be forgotten: a lookup that started before it and ends after
   * it leaves an entry too old to be used.
   */
  private pruneChanges(now: number): void {
    if (this.changedAt.size <= this.maxEntries) return;
    for (const [username, at] of this.changedAt) if (now - at >= this.ttlMs) this.changedAt.delete(username);
  }
}
