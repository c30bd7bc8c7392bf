import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LocalSessions } from '../cluster/local-sessions';

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

  constructor(local: LocalSessions) {
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
      name: 'chat_online_users',
      help: 'Distinct logged-in users on this instance',
      registers: [this.registry],
      collect() {
        this.set(local.userCount);
      },
    });
  }
}
