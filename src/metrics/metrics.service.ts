import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PasswordHasher } from '../auth/password-hasher';
import { LocalSessions } from '../cluster/local-sessions';

/**
 * A labelled child, looked up once, at 0 before its first event: rate() and increase() see the
 * first event only from a series that existed before it.
 */
export function startedAtZero<T extends string>(counter: Counter<T>, ...values: string[]): { inc(value?: number): void } {
  const child = counter.labels(...values);
  child.inc(0);
  return child;
}

/** Prometheus metrics of this process; features count their events here. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'chat_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly wsConnections = new Gauge({
    name: 'chat_ws_connections',
    help: 'Open WebSocket connections, logged in or not',
    registers: [this.registry],
  });

  readonly wsFrames = new Counter({
    name: 'chat_ws_frames_received_total',
    help: 'WebSocket frames received, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly messagesStored = new Counter({
    name: 'chat_messages_stored_total',
    help: 'Messages durably stored, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly registryUp = new Gauge({
    name: 'chat_registry_up',
    help: "1 while this instance's heartbeats reach the registry (Redis in cluster mode), 0 while they fail",
    registers: [this.registry],
  });

  readonly heartbeatFailures = new Counter({
    name: 'chat_registry_heartbeat_failures_total',
    help: 'Heartbeats that did not reach the registry',
    registers: [this.registry],
  });

  readonly registryOutages = new Counter({
    name: 'chat_registry_outages_total',
    help: 'Times the registry went from reachable to failing heartbeats',
    registers: [this.registry],
  });

  readonly registryRecoveries = new Counter({
    name: 'chat_registry_recoveries_total',
    help: 'Reconnections to Redis after an outage (failovers included; after a failover the local sessions are bound again)',
    registers: [this.registry],
  });

  readonly busResubscriptions = new Counter({
    name: 'chat_bus_resubscriptions_total',
    help: "Times this instance's bus channel was subscribed again after Redis was lost or failed over",
    registers: [this.registry],
  });

  /** Counted per message: the labelled children are looked up once. */
  readonly directStored = this.messagesStored.labels('direct');
  readonly groupStored = this.messagesStored.labels('group');

  /** Messages dropped by retention (MESSAGE_RETENTION_DAYS) with their partition. */
  readonly messagesExpired = new Counter({
    name: 'chat_messages_expired_total',
    help: 'Messages dropped by retention with their partition',
    registers: [this.registry],
  });

  /** Of those, the ones some recipient had not acknowledged: 1:1 messages not acked, group messages past a member's cursor. */
  readonly messagesExpiredUnacknowledged = new Counter({
    name: 'chat_messages_expired_unacknowledged_total',
    help: 'Messages dropped by retention that a recipient had not acknowledged',
    registers: [this.registry],
  });

  /** By outcome: `ok`, or the kind of refusal; the login code looks its children up once. */
  readonly logins = new Counter({
    name: 'chat_logins_total',
    help: 'Logins (type 17 and ?token= at connect), by outcome: ok or the kind of refusal',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** By request type (`unknown` for a frame with no known type); the gateway looks its children up once. */
  readonly refusals = new Counter({
    name: 'chat_refusals_total',
    help: 'Request frames answered with success:false, by the request messageType',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly wsCloses = new Counter({
    name: 'chat_ws_closes_total',
    help: 'WebSocket connections closed, by close code (either side; other: a code the server does not know)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  private readonly deliveries = new Counter({
    name: 'chat_deliveries_total',
    help: 'Stored messages handed to a recipient, by path: local, remote (bus), retry, offline (login replay), resync',
    labelNames: ['path'] as const,
    registers: [this.registry],
  });

  /** Counted per recipient. */
  readonly deliveredLocal = startedAtZero(this.deliveries, 'local');
  readonly deliveredRemote = startedAtZero(this.deliveries, 'remote');
  readonly deliveredRetry = startedAtZero(this.deliveries, 'retry');
  readonly deliveredOffline = startedAtZero(this.deliveries, 'offline');
  readonly deliveredResync = startedAtZero(this.deliveries, 'resync');

  readonly busPublishFailures = new Counter({
    name: 'chat_bus_publish_failures_total',
    help: 'Publishes to another instance over the bus that failed (deliveries are retried, kicks are not)',
    registers: [this.registry],
  });

  readonly deliveryRetryQueue = new Gauge({
    name: 'chat_delivery_retry_queue',
    help: 'Remote deliveries waiting to be tried again',
    registers: [this.registry],
  });

  readonly deliveryRetries = new Counter({
    name: 'chat_delivery_retries_total',
    help: 'Remote deliveries tried again',
    registers: [this.registry],
  });

  readonly deliveryRetryDropped = new Counter({
    name: 'chat_delivery_retry_dropped_total',
    help: 'Remote deliveries not queued for a retry because the queue was full (the message stays stored)',
    registers: [this.registry],
  });

  readonly hasherBusy = new Counter({
    name: 'chat_hasher_busy_total',
    help: 'Password hashes refused at once because too many were waiting',
    registers: [this.registry],
  });

  readonly hasherWait = new Histogram({
    name: 'chat_hasher_wait_seconds',
    help: 'Time a password hash waited for a free hashing slot',
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly rebalanceMoves = new Counter({
    name: 'chat_rebalance_moves_total',
    help: 'Type 21 moves sent to clients of this instance, by reason: rebalance or drain',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly movedRebalance = startedAtZero(this.rebalanceMoves, 'rebalance');
  readonly movedDrain = startedAtZero(this.rebalanceMoves, 'drain');

  readonly rebalanceOrders = new Counter({
    name: 'chat_rebalance_orders_total',
    help: 'Rebalance orders received on POST /reBalance/handler',
    registers: [this.registry],
  });

  constructor(local: LocalSessions, hasher: PasswordHasher) {
    collectDefaultMetrics({ register: this.registry, prefix: 'chat_' });
    this.registryUp.set(1);
    new Gauge({
      name: 'chat_sessions',
      help: 'Logged-in connections on this instance',
      registers: [this.registry],
      collect() {
        this.set(local.sessionCount);
      },
    });
    new Gauge({
      name: 'chat_hasher_waiting',
      help: 'Password hashes waiting for a free hashing slot',
      registers: [this.registry],
      collect() {
        this.set(hasher.waitingCount);
      },
    });
    hasher.observe({ busy: () => this.hasherBusy.inc(), waited: (seconds) => this.hasherWait.observe(seconds) });
    new Gauge({
      name: 'chat_online_users',
      help: 'Distinct logged-in users on this instance',
      registers: [this.registry],
      collect() {
        this.set(local.userCount);
      },
    });
  }
}
