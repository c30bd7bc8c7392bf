import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { RefusalCode } from '../protocol';
import { Result, refused } from '../common/refusal';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { ClusterService } from './cluster.service';
import { InstanceIdentity } from './instance-identity';
import { LocalSessions } from './local-sessions';
import { RebalanceMove, planDrain, planRebalance } from './rebalance-planner';
import { Registry } from './registry';
import { StatsService } from './stats.service';

const LOCK = 'rebalance:lock';
const LAST_RUN = 'rebalance:last';
const LOCK_TTL_MS = 30_000;
const HANDLER_TIMEOUT_MS = 5_000;

export interface ExecutedMove extends RebalanceMove {
  /** The busy instance accepted the order. */
  ok: boolean;
}

/**
 * Keeps live connections spread evenly: a coordinator (any instance, one at a time under a lock
 * in the registry) plans moves and orders busy instances to push some of their clients to
 * quieter ones (a ReBalance push). On shutdown an instance moves all of its clients the same way.
 */
@Injectable()
export class RebalanceService implements OnModuleDestroy {
  private readonly logger = new Logger(RebalanceService.name);
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly identity: InstanceIdentity,
    private readonly registry: Registry,
    private readonly cluster: ClusterService,
    private readonly local: LocalSessions,
    private readonly metrics: MetricsService,
    private readonly stats: StatsService,
  ) {}

  /** Starts the coordinator: a check after this instance joined, then one every interval. */
  start(): void {
    const joined = setTimeout(() => void this.rebalance(false), this.config.rebalance.delayMs);
    const periodic = setInterval(() => void this.rebalance(false), this.config.rebalance.intervalMs);
    joined.unref();
    periodic.unref();
    this.timers = [joined, periodic];
  }

  onModuleDestroy(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }

  /**
   * Plans and orders the moves, under the cluster-wide lock; `force` (POST /reBalance) skips the
   * cooldown. Returns the moves ordered, empty when the cluster is balanced enough or busy.
   */
  async rebalance(force: boolean): Promise<ExecutedMove[]> {
    const token = await this.registry.acquireLock(LOCK, LOCK_TTL_MS).catch(() => null);
    if (!token) return [];
    try {
      if (!force) {
        const last = Number((await this.registry.getValue(LAST_RUN)) ?? 0);
        if (Date.now() - last < this.config.rebalance.cooldownMs) return [];
      }
      const instances = await this.cluster.activeInstances();
      const plan = planRebalance(
        instances.map((i) => ({ id: i.id, host: i.host, connections: i.connections })),
        { minUsers: this.config.rebalance.minUsers, tolerance: this.config.rebalance.tolerance },
      );
      if (plan.length === 0) return [];
      await this.registry.setValue(LAST_RUN, String(Date.now()));
      this.logger.log(`Rebalancing: ${plan.map((m) => `${m.count} ${m.fromHost} → ${m.toHost}`).join(', ')}`);
      return await Promise.all(plan.map(async (move) => ({ ...move, ok: await this.order(move) })));
    } catch (error) {
      this.logger.error(`Rebalance failed: ${String(error)}`);
      return [];
    } finally {
      await this.registry.releaseLock(LOCK, token).catch(() => undefined);
    }
  }

  /** `POST /reBalance/handler`: an order from the coordinator, counted, then carried out. */
  acceptOrder(host: string, count: number): Promise<Result<{ moved: number }>> {
    this.metrics.rebalanceOrders.inc();
    return this.moveTo(host, count);
  }

  /** Asks `count` random sessions of this instance to move to `host`. */
  private async moveTo(host: string, count: number): Promise<Result<{ moved: number }>> {
    if (host === this.identity.host) return refused(RefusalCode.InvalidArgument, 'host is this instance');
    const target = (await this.cluster.activeInstances()).find((i) => i.host === host);
    if (!target) return refused(RefusalCode.NotFound, 'host is not a live instance');
    const moved = this.cluster.moveRandomSessions(count, target, this.config.rebalance.graceMs);
    this.metrics.movedRebalance.inc(moved);
    this.stats.recordMove(target, moved);
    return { ok: true, moved };
  }

  /**
   * On shutdown: tells the others not to send clients here, and pushes every session a move to
   * another instance, in proportion to their room. Returns how many were asked to move.
   */
  async drain(): Promise<number> {
    await this.cluster
      .startDraining()
      .catch((error: unknown) => this.logger.warn(`Could not mark this instance draining: ${String(error)}`));
    let others;
    try {
      others = (await this.cluster.activeInstances()).filter((i) => i.id !== this.identity.id);
    } catch (error) {
      this.logger.warn(`No registry to drain through: ${String(error)}`);
      return 0;
    }
    const plan = planDrain(
      { id: this.identity.id, host: this.identity.host, connections: this.local.sessionCount },
      others.map((i) => ({ id: i.id, host: i.host, connections: i.connections })),
    );
    const byId = new Map(others.map((i) => [i.id, i]));
    let moved = 0;
    for (const move of plan) {
      const target = byId.get(move.to)!;
      const asked = this.cluster.moveRandomSessions(move.count, target, null);
      this.stats.recordMove(target, asked);
      moved += asked;
    }
    this.metrics.movedDrain.inc(moved);
    if (moved > 0) this.logger.log(`Draining: asked ${moved} sessions to move to ${plan.map((m) => m.toHost).join(', ')}`);
    return moved;
  }

  private async order(move: RebalanceMove): Promise<boolean> {
    if (move.from === this.identity.id) return (await this.moveTo(move.toHost, move.count)).ok;
    const url = `http://${move.fromHost}/reBalance/handler?host=${encodeURIComponent(move.toHost)}&reBalanceNumber=${move.count}`;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'x-cluster-token': this.config.auth.clusterToken },
        signal: AbortSignal.timeout(HANDLER_TIMEOUT_MS),
      });
      const body = (await response.json()) as { code?: number };
      return response.ok && body.code === 0;
    } catch (error) {
      this.logger.warn(`Move order to ${move.fromHost} failed: ${String(error)}`);
      return false;
    }
  }
}
