import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { Bus, BusMessage } from './bus';
import { DeliveryService } from './delivery.service';
import { InstanceIdentity } from './instance-identity';
import { LocalSessions, MoveTarget } from './local-sessions';
import { PresenceChanges } from './presence-changes';
import { InstanceInfo, Registry } from './registry';
import { SessionsService } from './sessions.service';

/**
 * This instance's membership of the cluster: it announces itself once it listens, heartbeats,
 * answers the bus, purges instances that died (the janitor), and leaves on shutdown.
 */
@Injectable()
export class ClusterService implements OnApplicationShutdown {
  private readonly logger = new Logger(ClusterService.name);
  private heartbeatTimer?: NodeJS.Timeout;
  private janitorTimer?: NodeJS.Timeout;
  private registryDown = false;
  /** The registry came back and may have lost writes: bind the local sessions again at the next heartbeat. */
  private rebindPending = false;
  private announced = false;
  private draining = false;
  /** When the last heartbeat reached the registry (0: none yet). */
  private lastHeartbeatAt = 0;
  private readonly resyncListeners: (() => void)[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly identity: InstanceIdentity,
    private readonly registry: Registry,
    private readonly bus: Bus,
    private readonly local: LocalSessions,
    private readonly sessions: SessionsService,
    private readonly metrics: MetricsService,
    private readonly presence: PresenceChanges,
    private readonly delivery: DeliveryService,
  ) {}

  /** False while heartbeats fail: the others cannot see this instance, nor it them. */
  get registryHealthy(): boolean {
    return !this.registryDown;
  }

  /** Joins the cluster; called once the server listens on `port`. */
  async announce(port: number): Promise<void> {
    this.identity.port = port;
    await this.bus.subscribe(this.identity.id, (message) => this.onBusMessage(message));
    this.registry.onReconnect((failover) => void this.recover(failover));
    this.bus.onReconnect(() => {
      this.logger.warn('Bus reconnected: sending local sessions what they may have missed');
      this.metrics.busResubscriptions.inc();
      // The session changes published meanwhile are lost too.
      this.delivery.locationsLost();
      this.resync();
    });
    await this.heartbeat();
    this.announced = true;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.config.cluster.heartbeatMs);
    this.janitorTimer = setInterval(() => void this.purgeDeadInstances(), this.config.cluster.heartbeatMs);
    this.heartbeatTimer.unref();
    this.janitorTimer.unref();
    this.logger.log(`Instance ${this.identity.id} joined as ${this.identity.host} (${this.config.mode} mode)`);
  }

  /** `listener` runs when deliveries to this instance may have been lost (the bus was down, our sessions unlisted). */
  onResync(listener: () => void): void {
    this.resyncListeners.push(listener);
  }

  private resync(): void {
    for (const listener of this.resyncListeners) listener();
  }

  /** Leaves the registry: this instance and its sessions disappear at once for the others. */
  async leave(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.janitorTimer);
    if (!this.announced) return;
    this.announced = false;
    try {
      await this.registry.purgeInstance(this.identity.id);
    } catch (error) {
      this.logger.warn(`Could not leave the registry: ${String(error)}`);
    }
    await this.bus.close();
  }

  /** After the gateway drained (before-shutdown hooks all ran first). */
  async onApplicationShutdown(): Promise<void> {
    await this.leave();
  }

  liveInstances(): Promise<InstanceInfo[]> {
    return this.registry.liveInstances(this.config.cluster.instanceTtlMs);
  }

  /** The live instance with the fewest connections (this one when the registry is empty). */
  async leastLoaded(): Promise<InstanceInfo> {
    const live = await this.activeInstances();
    if (live.length === 0) return this.selfInfo();
    return live.reduce((best, candidate) => (candidate.connections < best.connections ? candidate : best));
  }

  selfInfo(): InstanceInfo {
    return {
      id: this.identity.id,
      host: this.identity.host,
      ip: this.identity.ip,
      port: this.identity.port,
      url: this.identity.url,
      users: this.local.userCount,
      connections: this.local.sessionCount,
      startedAt: this.identity.startedAt,
      lastSeen: Date.now(),
      draining: this.draining,
    };
  }

  /** Marks this instance as leaving: the others stop sending clients here. */
  async startDraining(): Promise<void> {
    this.draining = true;
    await this.heartbeat();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Whether the registry takes this instance's heartbeats: the last one succeeded within two
   * intervals. A registry that answers pings but refuses writes (a cluster node answering MOVED) is down.
   */
  heartbeatHealthy(now = Date.now()): boolean {
    return this.lastHeartbeatAt > 0 && now - this.lastHeartbeatAt <= 2 * this.config.cluster.heartbeatMs;
  }

  /** Live instances that take clients: not draining. */
  async activeInstances(): Promise<InstanceInfo[]> {
    return (await this.liveInstances()).filter((i) => !i.draining);
  }

  private async heartbeat(): Promise<void> {
    const write = this.registry.heartbeat(this.selfInfo(), this.config.cluster.instanceTtlMs);
    // A heartbeat that landed and found this instance unlisted means its sessions were purged:
    // re-bind them at the next heartbeat that succeeds, whatever else fails with this one (the
    // ping of a shard still down, the deadline). Not before the instance announced itself: its
    // first heartbeat always finds it unlisted.
    write.then(
      (rejoined) => (this.rebindPending ||= rejoined && this.announced),
      () => undefined,
    );
    try {
      // With the ping, a Cluster with any master down counts as failing: some users' sessions are out of reach.
      const [rejoined] = await this.landedInTime(Promise.all([write, this.registry.ping()]));
      this.lastHeartbeatAt = Date.now();
      if (this.registryDown) this.logger.log('Registry reachable again');
      this.setRegistryDown(false);
      if (this.rebindPending && this.announced) {
        // Taken for dead (a stall, a clock step, a lost registry): our sessions were purged with us.
        if (rejoined) this.logger.warn('This instance was missing from the registry: re-binding its sessions');
        this.rebindPending = false;
        await this.sessions.rebindAll().catch((error: unknown) => {
          this.logger.error(`Re-binding sessions failed, trying again at the next heartbeat: ${String(error)}`);
          this.rebindPending = true;
        });
        // Until now others found no session of our users and took them for offline: send what they stored meanwhile.
        this.resync();
      }
    } catch (error) {
      if (!this.registryDown) this.logger.error(`Heartbeat failed: ${String(error)}`);
      this.metrics.heartbeatFailures.inc();
      this.setRegistryDown(true);
    }
  }

  /**
   * A heartbeat still pending when the others would take this instance for dead (a Cluster
   * failover holds commands for the lost shard while the replica is promoted) counts as failed.
   */
  private landedInTime<T>(heartbeat: Promise<T>): Promise<T> {
    const limitMs = this.config.cluster.instanceTtlMs - this.config.cluster.heartbeatMs;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Heartbeat not acknowledged within ${limitMs} ms`)), limitMs);
    });
    return Promise.race([heartbeat, late]).finally(() => clearTimeout(timer));
  }

  private setRegistryDown(down: boolean): void {
    if (down && !this.registryDown) this.metrics.registryOutages.inc();
    this.registryDown = down;
    this.metrics.registryUp.set(down ? 0 : 1);
  }

  /**
   * After an outage the registry may have lost some writes: restarted empty (the heartbeat finds
   * this instance unlisted), or failed over to a replica that lacked the latest ones. Then this
   * instance binds its sessions again and sends them what others stored for them meanwhile.
   */
  private async recover(failover: boolean): Promise<void> {
    this.logger.warn(
      failover ? 'Registry failed over: binding local sessions again' : 'Registry reconnected: checking this instance is still registered',
    );
    this.metrics.registryRecoveries.inc();
    if (failover) this.rebindPending = true;
    this.delivery.locationsLost();
    await this.heartbeat();
  }

  private async purgeDeadInstances(): Promise<void> {
    try {
      for (const deadId of await this.registry.deadInstanceIds(this.config.cluster.instanceTtlMs)) {
        if (deadId === this.identity.id) continue;
        const lock = `janitor:${deadId}`;
        const token = await this.registry.acquireLock(lock, this.config.cluster.instanceTtlMs);
        if (!token) continue;
        try {
          const { removed, wentOffline } = await this.registry.purge(deadId);
          this.logger.warn(`Instance ${deadId} stopped heartbeating: purged it and ${removed} sessions`);
          this.presence.foundHere(wentOffline);
        } finally {
          await this.registry.releaseLock(lock, token);
        }
      }
    } catch (error) {
      this.logger.warn(`Janitor pass failed: ${String(error)}`);
    }
  }

  private onBusMessage(message: BusMessage): void {
    switch (message.kind) {
      case 'deliver': {
        const reached = this.local.deliver(message.usernames, message.delivery);
        // Sent here from a location cache that did not know yet that some of them left: they may be elsewhere.
        if (reached.size < message.usernames.length && !message.forwarded) {
          void this.delivery.forward(
            message.usernames.filter((username) => !reached.has(username)),
            message.delivery,
          );
        }
        break;
      }
      case 'kick':
        this.sessions.kickLocal(message.username, message.code, message.reason, message.sessionId);
        break;
      case 'presence':
        for (const change of message.changes) this.presence.arrivedFromBus(change);
        break;
      case 'located':
        this.delivery.locatedElsewhere(message.usernames);
        break;
    }
  }

  /** Pushes a ReBalance to `count` random sessions not already moving; returns how many were asked to move. */
  moveRandomSessions(count: number, target: MoveTarget, graceMs: number | null): number {
    const candidates = [...this.local.all()].filter((session) => !session.moving);
    const moving = Math.min(count, candidates.length);
    for (let i = 0; i < moving; i++) {
      const pick = i + Math.floor(Math.random() * (candidates.length - i));
      [candidates[i], candidates[pick]] = [candidates[pick], candidates[i]];
      candidates[i].move(target, graceMs);
    }
    return moving;
  }
}
