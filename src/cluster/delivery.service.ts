import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Delivery } from '../common/delivery';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { Bus, BusMessage } from './bus';
import { InstanceIdentity } from './instance-identity';
import { LocalSessions } from './local-sessions';
import { LocationCache, Unchecked } from './location-cache';
import { Registry, SessionRef } from './registry';

interface Retry {
  usernames: string[];
  delivery: Delivery;
  attempt: number;
  dueAt: number;
}

/** Waits before the attempts that follow a failed remote delivery (a registry or bus outage). */
const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 15000, 30000];
const RETRY_QUEUE_MAX = 100_000;
const RETRY_TICK_MS = 250;
/** Users whose location is kept at most (about 100 bytes each). */
const LOCATION_CACHE_MAX = 200_000;
/** Users named in one `located` bus message at most. */
const LOCATED_PER_MESSAGE = 1000;

const NOBODY: ReadonlySet<string> = new Set();

/** One registry lookup shared by the deliveries of a tick. */
interface Lookup {
  usernames: Set<string>;
  result: Promise<Map<string, SessionRef[]>>;
}

/** A stored message (it has an id), as opposed to a push such as a group's new member list. */
function isStored(delivery: Delivery): boolean {
  return delivery.messageId !== undefined;
}

/**
 * Hands a frame to every live connection of some users, wherever they are: local sockets
 * directly, and one bus publish per remote instance that holds any of them. A remote delivery
 * that fails (Redis down, a subscriber reconnecting) is tried again for a while; the message is
 * stored and unacknowledged meanwhile, so the next login delivers it in any case.
 */
@Injectable()
export class DeliveryService implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryService.name);
  private retries: Retry[] = [];
  private retryTimer?: NodeJS.Timeout;
  private retrying = false;
  /** The lookup the deliveries of this tick join; null once it has started. */
  private nextLookup: Lookup | null = null;
  /** Users whose sessions here were bound or ended in this tick: the other instances are told at its end. */
  private located: Set<string> | null = null;
  private instances = { ids: [] as string[], at: -Infinity };
  readonly locations: LocationCache;
  private sweepTimer?: NodeJS.Timeout;
  /** Checks of dropped cache entries under way (awaited at shutdown). */
  private readonly checks = new Set<Promise<void>>();

  constructor(
    private readonly config: AppConfig,
    private readonly identity: InstanceIdentity,
    private readonly registry: Registry,
    private readonly bus: Bus,
    private readonly local: LocalSessions,
    private readonly metrics: MetricsService,
  ) {
    // The in-process registry of the embedded mode answers without a round trip: nothing to save there.
    this.locations = new LocationCache(
      config.mode === 'cluster' ? config.cluster.locationCacheMs : 0,
      LOCATION_CACHE_MAX,
      undefined,
      (unchecked) => this.check(unchecked),
    );
    if (this.locations.enabled) {
      this.sweepTimer = setInterval(() => this.locations.sweep(), this.locations.ttlMs);
      this.sweepTimer.unref();
    }
  }

  /**
   * After the drain (before-shutdown hooks run first): retries queued while draining still ran.
   * What the location cache sent on its word is checked one last time, for up to a second.
   */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.locations.clear();
    if (this.checks.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.checks]), new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))]);
      clearTimeout(timer);
    }
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Returns the users that at least one live connection was handed the frame for. */
  async deliver(usernames: string[], delivery: Delivery): Promise<Set<string>> {
    const reached = this.local.deliver(usernames, delivery);
    const remote = await this.deliverRemote(usernames, delivery, false, reached);
    if (isStored(delivery)) {
      this.metrics.deliveredLocal.inc(reached.size);
      this.metrics.deliveredRemote.inc(remote.reached.length);
    }
    for (const user of remote.reached) reached.add(user);
    if (remote.failed.length > 0) this.retryLater(remote.failed, delivery, 0);
    return reached;
  }

  /**
   * `retry`: after an outage the registry may be empty until instances re-bind their sessions,
   * so a user found nowhere is tried again rather than taken for offline. A retry looks up the
   * registry afresh; a first try takes what the location cache knows.
   */
  private async deliverRemote(
    usernames: string[],
    delivery: Delivery,
    retry = false,
    reachedHere: ReadonlySet<string> = NOBODY,
    forwarded = false,
  ): Promise<{ reached: string[]; failed: string[] }> {
    let located: Map<string, readonly string[]>;
    const nowhere: string[] = [];
    try {
      located = await this.remoteInstancesOf(usernames, retry ? nowhere : null, reachedHere, isStored(delivery) ? delivery : undefined);
    } catch (error) {
      this.logger.warn(`Registry lookup failed; remote delivery will be retried: ${String(error)}`);
      return { reached: [], failed: usernames };
    }
    const byInstance = new Map<string, string[]>();
    for (const [username, instanceIds] of located) {
      for (const instanceId of instanceIds) {
        let users = byInstance.get(instanceId);
        if (!users) byInstance.set(instanceId, (users = []));
        if (users[users.length - 1] !== username) users.push(username);
      }
    }
    const reached: string[] = [];
    const failed: string[] = nowhere;
    await Promise.all(
      [...byInstance].map(async ([instanceId, users]) => {
        if (await this.publishDelivery(instanceId, users, delivery, forwarded)) reached.push(...users);
        else this.unreached(users, failed);
      }),
    );
    return { reached, failed };
  }

  /**
   * Publishes a delivery for these users to one instance; false when nobody received it (the
   * instance is reconnecting to Redis, or dead, and the janitor soon drops its sessions) or the
   * publish failed.
   */
  private async publishDelivery(instanceId: string, users: string[], delivery: Delivery, forwarded = false): Promise<boolean> {
    try {
      const message: BusMessage = { kind: 'deliver', usernames: users, delivery, ...(forwarded && { forwarded: true as const }) };
      return (await this.bus.publish(instanceId, message)) > 0;
    } catch (error) {
      this.metrics.busPublishFailures.inc();
      this.logger.warn(`Delivery to instance ${instanceId} failed; will retry: ${String(error)}`);
      return false;
    }
  }

  /**
   * A delivery that another instance's location cache sent here for users with no session here
   * (they left since its lookup): sent on, once, to where the registry, asked now, finds them.
   * Asked after the message was stored, it finds any session bound before; one bound after
   * gets the message with its login's replay.
   */
  async forward(usernames: string[], delivery: Delivery): Promise<void> {
    this.metrics.deliveriesForwarded.inc(usernames.length);
    // What this instance cached of them is no fresher than the sender's entry.
    this.locations.forget(usernames);
    const remote = await this.deliverRemote(usernames, delivery, false, NOBODY, true);
    if (remote.failed.length > 0) this.retryLater(remote.failed, delivery, 0);
  }

  /** Their entries led nowhere: the retry, and the next message, look them up afresh. */
  private unreached(users: string[], failed: string[]): void {
    this.locations.forget(users);
    failed.push(...users);
  }

  /**
   * The other instances holding sessions of each user: from the cache where it knows, else from
   * the registry. With `nowhere`, everyone is looked up afresh, and the users with no session on
   * any instance, this one included, are added to it.
   *
   * An entry that names no other instance is taken only for users `reachedHere`: for a user it
   * would leave unreached, the registry is asked after the message was stored, as without the
   * cache. A stored delivery sent on an entry's word is kept with the entry until a later lookup
   * checks where it went (`check`).
   */
  private async remoteInstancesOf(
    usernames: string[],
    nowhere: string[] | null,
    reachedHere: ReadonlySet<string>,
    stored: Delivery | undefined,
  ): Promise<Map<string, readonly string[]>> {
    const located = new Map<string, readonly string[]>();
    let unknown: string[] | undefined;
    const cached = nowhere === null && this.locations.enabled;
    for (const username of usernames) {
      const known = cached ? this.locations.instancesOf(username, reachedHere.has(username), stored) : undefined;
      if (known) located.set(username, known);
      else (unknown ??= []).push(username);
    }
    if (unknown === undefined) return located;
    const sessions = await this.lookup(unknown);
    for (const username of unknown) {
      const refs = sessions.get(username) ?? [];
      if (refs.length === 0) nowhere?.push(username);
      located.set(username, this.otherInstances(refs));
    }
    return located;
  }

  private otherInstances(refs: SessionRef[]): string[] {
    const ids: string[] = [];
    for (const { instanceId } of refs) if (instanceId !== this.identity.id && !ids.includes(instanceId)) ids.push(instanceId);
    return ids;
  }

  /**
   * Looks users up in the registry, together with every other delivery of this tick: a large
   * group's members are looked up once for the messages of one stored batch, not once per message.
   * Each caller stored its message before asking, and the lookup starts after every caller asked,
   * so it sees any session bound before the message was stored, as a lookup of its own would.
   */
  private lookup(usernames: string[]): Promise<Map<string, SessionRef[]>> {
    let next = this.nextLookup;
    if (next === null) {
      const batch = new Set<string>();
      const result = new Promise<Map<string, SessionRef[]>>((resolve, reject) => {
        process.nextTick(() => {
          this.nextLookup = null;
          const startedAt = this.locations.startLookup();
          this.registry.sessionsOf([...batch]).then((found) => {
            for (const [username, refs] of found) {
              const instances = this.otherInstances(refs);
              const replaced = this.locations.remember(username, instances, startedAt);
              if (replaced) this.sendMissed(replaced, instances);
            }
            resolve(found);
          }, reject);
        });
      });
      this.nextLookup = next = { usernames: batch, result };
    }
    for (const username of usernames) next.usernames.add(username);
    return next.result;
  }

  /**
   * Deliveries a dropped cache entry sent on its word: a registry lookup that starts now (after
   * every one of them) finds the instances they should have gone to, and the ones they missed
   * get them. When the lookup fails they are delivered again later, everywhere, as a failed
   * delivery is.
   */
  private check(unchecked: Unchecked): void {
    const checking = this.lookup([unchecked.username]).then(
      (found) => this.sendMissed(unchecked, this.otherInstances(found.get(unchecked.username) ?? [])),
      () => {
        for (const delivery of unchecked.deliveries) this.retryLater([unchecked.username], delivery, 0);
      },
    );
    this.checks.add(checking);
    void checking.finally(() => this.checks.delete(checking));
  }

  /** Sends the deliveries of an entry to the instances of `instances` it did not name: sessions bound there since its lookup. */
  private sendMissed({ username, sentTo, deliveries }: Unchecked, instances: readonly string[]): void {
    for (const instanceId of instances) {
      if (sentTo.includes(instanceId)) continue;
      this.metrics.deliveriesResent.inc(deliveries.length);
      for (const delivery of deliveries) {
        // Not marked forwarded: should the user have left that instance too, it sends the delivery on once.
        void this.publishDelivery(instanceId, [username], delivery).then((reached) => {
          if (!reached) this.retryLater([username], delivery, 0);
        });
      }
    }
  }

  /**
   * A session of the user was bound or ended here: the other instances drop what they cached of
   * where the user is, told in one bus message per instance at the end of the tick.
   */
  sessionChanged(username: string): void {
    if (this.config.mode !== 'cluster') return;
    if (this.located === null) {
      this.located = new Set();
      process.nextTick(() => void this.announceLocated());
    }
    this.located.add(username);
  }

  /** What the bus says another instance bound or ended. */
  locatedElsewhere(usernames: string[]): void {
    this.locations.forget(usernames);
  }

  /** The bus or the registry was down: the changes of that time never arrived. */
  locationsLost(): void {
    this.locations.clear();
  }

  private announceLocated(): Promise<void> {
    const usernames = [...(this.located ?? [])];
    this.located = null;
    const messages: BusMessage[] = [];
    for (let i = 0; i < usernames.length; i += LOCATED_PER_MESSAGE) {
      messages.push({ kind: 'located', usernames: usernames.slice(i, i + LOCATED_PER_MESSAGE) });
    }
    // A change that does not arrive costs its receiver a lookup or a forward, never a message (LocationCache).
    return this.toOthers(messages, 'Session changes');
  }

  /** Publishes the messages, in order, to every other live instance; what fails is logged as `what`, not thrown. */
  async toOthers(messages: BusMessage[], what: string): Promise<void> {
    try {
      const others = (await this.liveInstanceIds()).filter((id) => id !== this.identity.id);
      for (const message of messages) {
        await Promise.all(
          others.map((id) =>
            this.bus.publish(id, message).catch((error: unknown) => {
              this.metrics.busPublishFailures.inc();
              this.logger.warn(`${what} to instance ${id} failed: ${String(error)}`);
            }),
          ),
        );
      }
    } catch (error) {
      this.logger.warn(`${what} not sent to the other instances: ${String(error)}`);
    }
  }

  /** The live instances, looked up at most once per heartbeat interval. */
  private async liveInstanceIds(): Promise<string[]> {
    const now = Date.now();
    if (now - this.instances.at >= this.config.cluster.heartbeatMs) {
      this.instances = { ids: (await this.registry.liveInstances(this.config.cluster.instanceTtlMs)).map((i) => i.id), at: now };
    }
    return this.instances.ids;
  }

  private retryLater(usernames: string[], delivery: Delivery, attempt: number): void {
    if (attempt >= RETRY_DELAYS_MS.length) return;
    if (this.retries.length >= RETRY_QUEUE_MAX) {
      this.metrics.deliveryRetryDropped.inc();
      this.logger.warn('Delivery retry queue full: the message stays stored for the next login');
      return;
    }
    this.retries.push({ usernames, delivery, attempt, dueAt: Date.now() + RETRY_DELAYS_MS[attempt] });
    this.metrics.deliveryRetryQueue.set(this.retries.length);
    if (!this.retryTimer) {
      this.retryTimer = setInterval(() => void this.retryDue(), RETRY_TICK_MS);
      this.retryTimer.unref();
    }
  }

  private async retryDue(): Promise<void> {
    if (this.retrying) return;
    const now = Date.now();
    const due = this.retries.filter((r) => r.dueAt <= now);
    if (due.length === 0) return;
    this.retrying = true;
    this.retries = this.retries.filter((r) => r.dueAt > now);
    this.metrics.deliveryRetryQueue.set(this.retries.length);
    try {
      for (const retry of due) {
        this.metrics.deliveryRetries.inc();
        const { reached, failed } = await this.deliverRemote(retry.usernames, retry.delivery, true);
        if (isStored(retry.delivery)) this.metrics.deliveredRetry.inc(reached.length);
        if (failed.length > 0) this.retryLater(failed, retry.delivery, retry.attempt + 1);
      }
    } finally {
      this.retrying = false;
    }
    if (this.retries.length === 0) {
      clearInterval(this.retryTimer);
      this.retryTimer = undefined;
    }
  }
}
