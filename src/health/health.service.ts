import { Injectable } from '@nestjs/common';
import { ClusterService } from '../cluster/cluster.service';
import { Registry } from '../cluster/registry';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';

/** What the readiness check found; the controller's HealthDto documents it. */
export interface HealthStatus {
  database: 'up' | 'down';
  registry: 'up' | 'down';
  heartbeat: 'up' | 'down';
  draining: boolean;
  mode: 'embedded' | 'cluster';
}

const CHECK_TIMEOUT_MS = 2000;

function within(check: Promise<void>, ms: number): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'down'>((resolve) => (timer = setTimeout(() => resolve('down'), ms)));
  return Promise.race([
    check.then(
      () => 'up' as const,
      () => 'down' as const,
    ),
    timeout,
  ]).finally(() => clearTimeout(timer));
}

@Injectable()
export class HealthService {
  constructor(
    private readonly config: AppConfig,
    private readonly database: Database,
    private readonly registry: Registry,
    private readonly cluster: ClusterService,
  ) {}

  /**
   * `registry`: Redis answers a ping (on every master of a Cluster). `heartbeat`: this instance's
   * heartbeats land (the last one did not fail, and one landed within two intervals); a Redis that
   * answers PING but refuses the heartbeat (MOVED, no write access) is up and its heartbeat down.
   */
  async check(): Promise<HealthStatus> {
    const [database, registry] = await Promise.all([
      within(this.database.ping(), CHECK_TIMEOUT_MS),
      within(this.registry.ping(), CHECK_TIMEOUT_MS),
    ]);
    return {
      database,
      registry,
      heartbeat: this.cluster.heartbeatHealthy() && this.cluster.registryHealthy ? 'up' : 'down',
      draining: this.cluster.isDraining,
      mode: this.config.mode,
    };
  }

  /** Ready to take clients: its dependencies answer, the registry takes its heartbeats, and it is not leaving. */
  static isReady(status: HealthStatus): boolean {
    return status.database === 'up' && status.registry === 'up' && status.heartbeat === 'up' && !status.draining;
  }
}
