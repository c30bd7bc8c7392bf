import { Injectable } from '@nestjs/common';
import { ClusterService } from '../cluster/cluster.service';
import { Registry } from '../cluster/registry';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import type { HealthDto } from './health.controller';

const CHECK_TIMEOUT_MS = 2000;

function within(check: Promise<void>, ms: number): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'down'>((resolve) => (timer = setTimeout(() => resolve('down'), ms)));
  return Promise.race([check.then(() => 'up' as const, () => 'down' as const), timeout]).finally(() => clearTimeout(timer));
}

@Injectable()
export class HealthService {
  constructor(
    private readonly config: AppConfig,
    private readonly database: Database,
    private readonly registry: Registry,
    private readonly cluster: ClusterService,
  ) {}

  /** The registry is up when it answers a ping and this instance's last heartbeat reached it. */
  async check(): Promise<HealthDto> {
    const [database, registry] = await Promise.all([
      within(this.database.ping(), CHECK_TIMEOUT_MS),
      within(this.registry.ping(), CHECK_TIMEOUT_MS),
    ]);
    return {
      database,
      registry: registry === 'up' && this.cluster.registryHealthy ? 'up' : 'down',
      heartbeat: this.cluster.heartbeatHealthy() ? 'up' : 'down',
      draining: this.cluster.isDraining,
      mode: this.config.mode,
    };
  }

  /** Ready to take clients: its dependencies answer, the registry takes its heartbeats, and it is not leaving. */
  static isReady(status: HealthDto): boolean {
    return status.database === 'up' && status.registry === 'up' && status.heartbeat === 'up' && !status.draining;
  }
}
