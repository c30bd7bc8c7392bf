import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Delivery } from '../common/delivery';
import { MetricsService } from '../metrics/metrics.service';
import { Bus } from './bus';
import { InstanceIdentity } from './instance-identity';
import { LocalSessions } from './local-sessions';
import { Registry } from './registry';

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

  constructor(
    private readonly identity: InstanceIdentity,
    private readonly registry: Registry,
    private readonly bus: Bus,
    private readonly local: LocalSessions,
    private readonly metrics: MetricsService,
  ) {}

  /** After the drain (before-shutdown hooks run first): retries queued while draining still ran. */
  onApplicationShutdown(): void {
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Returns the users that at least one live connection was handed the frame for. */
  async deliver(usernames: string[], delivery: Delivery): Promise<Set<string>> {
    const reached = this.local.deliver(usernames, delivery);
    const remote = await this.deliverRemote(usernames, delivery);
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
   * so a user found nowhere is tried again rather than taken for offline.
   */
  private async deliverRemote(usernames: string[], delivery: Delivery, retry = false): Promise<{ reached: string[]; failed: string[] }> {
    let sessions: Map<string, { instanceId: string }[]>;
    try {
      sessions = await this.registry.sessionsOf(usernames);
    } catch (error) {
      this.logger.warn(`Registry lookup failed; remote delivery will be retried: ${String(error)}`);
      return { reached: [], failed: usernames };
    }
    const byInstance = new Map<string, string[]>();
    for (const [username, refs] of sessions) {
      for (const { instanceId } of refs) {
        if (instanceId === this.identity.id) continue;
        let users = byInstance.get(instanceId);
        if (!users) byInstance.set(instanceId, (users = []));
        if (users[users.length - 1] !== username) users.push(username);
      }
    }
    const reached: string[] = [];
    const failed: string[] = retry ? [...sessions].filter(([, refs]) => refs.length === 0).map(([username]) => username) : [];
    await Promise.all(
      [...byInstance].map(async ([instanceId, users]) => {
        try {
          const receivers = await this.bus.publish(instanceId, { kind: 'deliver', usernames: users, delivery });
          // Nobody listening: the instance is reconnecting to Redis, or dead (then the janitor soon drops its sessions).
          (receivers > 0 ? reached : failed).push(...users);
        } catch (error) {
          this.metrics.busPublishFailures.inc();
          this.logger.warn(`Delivery to instance ${instanceId} failed; will retry: ${String(error)}`);
          failed.push(...users);
        }
      }),
    );
    return { reached, failed };
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
