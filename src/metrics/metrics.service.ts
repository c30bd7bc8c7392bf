import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MessageType } from '../protocol';
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

  readonly wsConnections = this.gauge('chat_ws_connections', 'Open WebSocket connections, logged in or not');

  readonly wsFrames = this.counter('chat_ws_frames_received_total', 'WebSocket frames received, by outcome', ['outcome']);

  private readonly messagesStored = this.counter('chat_messages_stored_total', 'Messages durably stored, by kind', ['kind']);

  readonly registryUp = this.gauge(
    'chat_registry_up',
    "1 while this instance's heartbeats reach the registry (Redis in cluster mode), 0 while they fail",
  );

  readonly heartbeatFailures = this.counter('chat_registry_heartbeat_failures_total', 'Heartbeats that did not reach the registry');

  readonly registryOutages = this.counter('chat_registry_outages_total', 'Times the registry went from reachable to failing heartbeats');

  readonly registryRecoveries = this.counter(
    'chat_registry_recoveries_total',
    'Reconnections to Redis after an outage (failovers included; after a failover the local sessions are bound again)',
  );

  readonly busResubscriptions = this.counter(
    'chat_bus_resubscriptions_total',
    "Times this instance's bus channel was subscribed again after Redis was lost or failed over",
  );

  /** Counted per message: the labelled children are looked up once. */
  readonly directStored = this.messagesStored.labels('direct');
  readonly groupStored = this.messagesStored.labels('group');

  /** Messages dropped by retention (MESSAGE_RETENTION_DAYS) with their partition. */
  readonly messagesExpired = this.counter('chat_messages_expired_total', 'Messages dropped by retention with their partition');

  /** Of those, the ones some recipient had not acknowledged: 1:1 messages not acked, group messages past a member's cursor. */
  readonly messagesExpiredUnacknowledged = this.counter(
    'chat_messages_expired_unacknowledged_total',
    'Messages dropped by retention that a recipient had not acknowledged',
  );

  /** By outcome: `ok`, or the kind of refusal; the login code looks its children up once. */
  readonly logins = this.counter(
    'chat_logins_total',
    `Logins (type ${MessageType.LoginRequest} and ?token= at connect), by outcome: ok or the kind of refusal`,
    ['outcome'],
  );

  /** By request type (`unknown` for a frame with no known type); the gateway looks its children up once. */
  readonly refusals = this.counter('chat_refusals_total', 'Request frames answered with success:false, by the request messageType', [
    'type',
  ]);

  readonly wsCloses = this.counter(
    'chat_ws_closes_total',
    'WebSocket connections closed, by close code (either side; other: a code the server does not know)',
    ['code'],
  );

  private readonly deliveries = this.counter(
    'chat_deliveries_total',
    'Stored messages handed to a recipient, by path: local, remote (bus), retry, offline (login replay), resync',
    ['path'],
  );

  /** Counted per recipient. */
  readonly deliveredLocal = startedAtZero(this.deliveries, 'local');
  readonly deliveredRemote = startedAtZero(this.deliveries, 'remote');
  readonly deliveredRetry = startedAtZero(this.deliveries, 'retry');
  readonly deliveredOffline = startedAtZero(this.deliveries, 'offline');
  readonly deliveredResync = startedAtZero(this.deliveries, 'resync');

  readonly deliveriesResent = this.counter(
    'chat_deliveries_resent_total',
    'Deliveries sent again to an instance where the recipient logged in after the location cache entry they were sent by',
  );
  readonly deliveriesForwarded = this.counter(
    'chat_deliveries_forwarded_total',
    'Recipients of a bus delivery that held no session here (another instance located them from its cache) and were sent on',
  );

  readonly busPublishFailures = this.counter(
    'chat_bus_publish_failures_total',
    'Publishes to another instance over the bus that failed (deliveries are retried, kicks are not)',
  );

  readonly deliveryRetryQueue = this.gauge('chat_delivery_retry_queue', 'Remote deliveries waiting to be tried again');

  readonly deliveryRetries = this.counter('chat_delivery_retries_total', 'Remote deliveries tried again');

  readonly deliveryRetryDropped = this.counter(
    'chat_delivery_retry_dropped_total',
    'Remote deliveries not queued for a retry because the queue was full (the message stays stored)',
  );

  readonly presenceChanges = this.counter(
    'chat_presence_changes_total',
    'Users this instance found coming online (a first session) or going offline (a last session, a dead instance purged), by state',
    ['state'],
  );

  readonly presenceSubscriptions = this.gauge(
    'chat_presence_subscriptions',
    'Presence subscriptions held by the connections of this instance',
  );

  readonly typing = this.counter('chat_typing_total', 'Typing requests that passed their checks, by outcome: forwarded, or throttled', [
    'outcome',
  ]);
  readonly pushSent = this.counter('chat_push_sent_total', 'Offline pushes the webhook answered with 2xx');

  private readonly pushFailures = this.counter(
    'chat_push_failed_total',
    'Webhook attempts that failed, by reason: timeout, connection, retryable_status (408, 429, 5xx), rejected_status (other)',
    ['reason'],
  );

  readonly pushFailedTimeout = startedAtZero(this.pushFailures, 'timeout');
  readonly pushFailedConnection = startedAtZero(this.pushFailures, 'connection');
  readonly pushFailedRetryable = startedAtZero(this.pushFailures, 'retryable_status');
  readonly pushFailedRejected = startedAtZero(this.pushFailures, 'rejected_status');

  private readonly pushDrops = this.counter(
    'chat_push_dropped_total',
    'Offline pushes given up, by reason: queue_full (PUSH_QUEUE_MAX), expired (PUSH_RETRY_WINDOW_MS), rejected (a 4xx answer), ' +
      'recalled (the message was recalled before it was sent)',
    ['reason'],
  );

  readonly pushDroppedFull = startedAtZero(this.pushDrops, 'queue_full');
  readonly pushDroppedExpired = startedAtZero(this.pushDrops, 'expired');
  readonly pushDroppedRejected = startedAtZero(this.pushDrops, 'rejected');
  readonly pushDroppedRecalled = startedAtZero(this.pushDrops, 'recalled');

  readonly pushQueued = this.gauge('chat_push_queued', 'Offline pushes in the shared queue (all instances), waiting or in flight');

  readonly hasherBusy = this.counter('chat_hasher_busy_total', 'Password hashes refused at once because too many were waiting');

  readonly hasherWait = new Histogram({
    name: 'chat_hasher_wait_seconds',
    help: 'Time a password hash waited for a free hashing slot',
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly rebalanceMoves = this.counter(
    'chat_rebalance_moves_total',
    'Type 21 moves sent to clients of this instance, by reason: rebalance or drain',
    ['reason'],
  );

  readonly movedRebalance = startedAtZero(this.rebalanceMoves, 'rebalance');
  readonly movedDrain = startedAtZero(this.rebalanceMoves, 'drain');

  readonly rebalanceOrders = this.counter('chat_rebalance_orders_total', 'Rebalance orders received on POST /reBalance/handler');

  constructor(local: LocalSessions, hasher: PasswordHasher) {
    collectDefaultMetrics({ register: this.registry, prefix: 'chat_' });
    this.registryUp.set(1);
    this.sampledGauge('chat_sessions', 'Logged-in connections on this instance', () => local.sessionCount);
    this.sampledGauge('chat_hasher_waiting', 'Password hashes waiting for a free hashing slot', () => hasher.waitingCount);
    hasher.observe({ busy: () => this.hasherBusy.inc(), waited: (seconds) => this.hasherWait.observe(seconds) });
    this.sampledGauge('chat_online_users', 'Distinct logged-in users on this instance', () => local.userCount);
  }

  /** A counter in this registry; with `labelNames`, its children are looked up by them. */
  private counter<T extends string = string>(name: string, help: string, labelNames: readonly T[] = []): Counter<T> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A gauge in this registry, set by the code that knows its value. */
  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, registers: [this.registry] });
  }

  /** A gauge in this registry whose value `read` gives at each scrape. */
  private sampledGauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }
}
