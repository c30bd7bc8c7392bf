import { performance } from 'node:perf_hooks';
import { Delivery } from '../common/delivery';

interface Entry {
  /** The other instances holding sessions of the user (none: the user has no session elsewhere). */
  instances: readonly string[];
  /** When the registry lookup behind it started (monotonic milliseconds). */
  lookedUpAt: number;
  /** The stored deliveries sent where this entry said, without a lookup of their own. */
  routed: Delivery[] | undefined;
  /** When the last of them was sent. */
  routedAt: number;
}

/**
 * Deliveries to `username` that went to `sentTo` (and this instance) on the word of a cached
 * entry: a lookup that started after the last of them must find no other instance, or they are
 * sent there too.
 */
export interface Unchecked {
  username: string;
  sentTo: readonly string[];
  deliveries: Delivery[];
}

/** Deliveries one entry keeps for its check at most: past that the entry is dropped and checked. */
export const ROUTED_MAX = 64;

/**
 * Where other instances hold sessions of users, as a registry lookup last found it, so that a
 * message to a user whose location is known costs no Redis round trip.
 *
 * An entry is used for `ttlMs` after the lookup behind it started, and dropped sooner when a
 * session of the user is bound or ends on another instance (the bus tells) or a delivery through
 * it reaches nobody. A stale entry never leaves a session unreached (DeliveryService):
 * - an entry that finds the user nowhere is never taken for the last word: a delivery that reached
 *   no session of the user looks the registry up afresh, after the message was stored, as without
 *   the cache;
 * - an entry naming an instance the user left: that instance holds no session of the user, looks
 *   the registry up afresh and sends the delivery on to where the user is now;
 * - an entry missing an instance where the user logged in since its lookup: every stored delivery
 *   sent on an entry's word is kept with it (`routed`), and no entry goes away unchecked. When it
 *   is dropped (the bus's word of the login, its age, the bound on entries, an outage) or replaced,
 *   a registry lookup that started after its last delivery is compared with where they went, and
 *   the instances they missed get them (`onUnchecked` asks DeliveryService for that lookup;
 *   `remember` returns the entry a lookup replaces). So a session bound after the entry's lookup
 *   gets, within about `ttlMs` (at once when the bus's word arrives), every message a lookup of
 *   the message's own would have sent it. Copies are possible and dropped by messageId (§6).
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
    /** Deliveries of a dropped entry: they need a registry lookup that starts after now. */
    private readonly onUnchecked: (unchecked: Unchecked) => void = () => undefined,
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

  /**
   * The other instances holding sessions of the user, or undefined when unknown or too old. An
   * entry naming no other instance answers only for a user `reachedHere`: for one it would leave
   * unreached, the registry is asked after the message was stored, as without the cache.
   * `sending`: a stored delivery about to go where the answer says, kept with the entry for its check.
   */
  instancesOf(username: string, reachedHere: boolean, sending?: Delivery): readonly string[] | undefined {
    const entry = this.entries.get(username);
    const now = this.now();
    if (entry === undefined || now - entry.lookedUpAt >= this.ttlMs || (entry.instances.length === 0 && !reachedHere)) {
      this.missCount++;
      return undefined;
    }
    this.hitCount++;
    if (sending !== undefined) {
      (entry.routed ??= []).push(sending);
      entry.routedAt = now;
      // Checked now rather than holding more: the next delivery looks the user up.
      if (entry.routed.length >= ROUTED_MAX) this.drop(username, entry);
    }
    return entry.instances;
  }

  /**
   * Keeps what a lookup that started at `lookedUpAt` found, unless the user's location changed
   * since. Returns the deliveries of the entry it replaces when this lookup started after them:
   * the caller compares them with `instances`.
   */
  remember(username: string, instances: readonly string[], lookedUpAt: number): Unchecked | undefined {
    if (!this.enabled || lookedUpAt <= this.clearedAt) return undefined;
    const changed = this.changedAt.get(username);
    if (changed !== undefined && changed >= lookedUpAt) return undefined;
    const old = this.entries.get(username);
    let checked: Unchecked | undefined;
    if (old?.routed !== undefined) {
      const unchecked = { username, sentTo: old.instances, deliveries: old.routed };
      // Sent while this lookup was under way: it may not have seen a login it came too late for.
      if (old.routedAt < lookedUpAt) checked = unchecked;
      else this.onUnchecked(unchecked);
    }
    this.entries.delete(username);
    this.entries.set(username, { instances, lookedUpAt, routed: undefined, routedAt: 0 });
    if (this.entries.size > this.maxEntries) this.evictOldest();
    return checked;
  }

  /** A session of these users was bound or ended somewhere, or a delivery through their entry failed. */
  forget(usernames: Iterable<string>): void {
    if (!this.enabled) return;
    const now = this.now();
    for (const username of usernames) {
      const entry = this.entries.get(username);
      if (entry !== undefined) this.drop(username, entry);
      this.changedAt.set(username, now);
    }
    this.pruneChanges(now);
  }

  /** Everything may be wrong (the bus or the registry was down): look everyone up again. */
  clear(): void {
    const entries = [...this.entries];
    this.entries.clear();
    // Lookups in flight started before this: none of them may fill the cache.
    this.clearedAt = this.now();
    for (const [username, entry] of entries) this.check(username, entry);
  }

  /**
   * Drops the entries past their age, so that the deliveries they carry are checked even when no
   * other message to the user comes. Entries are in the order they were remembered, which is the
   * order of their lookups but for lookups that overtook each other: one of those waits for the
   * next sweep.
   */
  sweep(): void {
    const now = this.now();
    for (const [username, entry] of this.entries) {
      if (now - entry.lookedUpAt < this.ttlMs) break;
      this.drop(username, entry);
    }
  }

  private drop(username: string, entry: Entry): void {
    this.entries.delete(username);
    this.check(username, entry);
  }

  private check(username: string, entry: Entry): void {
    if (entry.routed !== undefined) this.onUnchecked({ username, sentTo: entry.instances, deliveries: entry.routed });
  }

  private evictOldest(): void {
    // Maps iterate in insertion order, and `remember` re-inserts: the first entries are the oldest.
    let excess = this.entries.size - this.maxEntries;
    for (const [username, entry] of this.entries) {
      if (excess-- <= 0) break;
      this.drop(username, entry);
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
