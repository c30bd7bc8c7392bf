import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { Reading, StatsSampler } from '../metrics/stats-sampler';
import { ClusterService } from './cluster.service';
import { InstanceIdentity } from './instance-identity';
import { MoveEvent, Registry, StatsSample } from './registry';
import { ClusterStats, StatsMove } from './stats-types';

export type { ClusterStats, InstanceStats, StatsMove } from './stats-types';

/** How far back the admin console's charts look. */
export const STATS_WINDOW_MS = 15 * 60_000;
/** Move events kept per sample: a rebalance orders a few; a drain one per other instance. */
const MOVES_PER_SAMPLE = 20;
/** The most recent moves the answer lists. */
const MOVES_LISTED = 50;

function readingOf({ at, connections, messages, logins, refusals, moves }: StatsSample): Reading {
  return { at, connections, messages, logins, refusals, moves };
}

/** The newest `capacity` items, oldest first: memory stays bounded however long the process runs. */
export class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  toArray(): T[] {
    return this.items.length < this.capacity ? [...this.items] : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}

/**
 * Every STATS_SAMPLE_MS this instance samples its connections and what it counted meanwhile
 * (messages, logins, refusals, moves), keeps the last 15 minutes, and publishes each sample to
 * the registry so that any instance answers for the whole cluster.
 */
@Injectable()
export class StatsService implements OnModuleDestroy {
  private readonly logger = new Logger(StatsService.name);
  private readonly sampler: StatsSampler;
  private readonly ring: Ring<StatsSample>;
  private moved: MoveEvent[] = [];
  private timer?: NodeJS.Timeout;
  private publishFailing = false;
  /** One publish at a time: a registry that stalls does not pile samples up in its client. */
  private publishing = false;

  constructor(
    private readonly config: AppConfig,
    private readonly identity: InstanceIdentity,
    private readonly registry: Registry,
    private readonly cluster: ClusterService,
    metrics: MetricsService,
  ) {
    this.sampler = new StatsSampler(metrics.registry);
    this.ring = new Ring(Math.ceil(STATS_WINDOW_MS / config.stats.sampleMs));
  }

  /** Starts sampling; called once the instance joined the cluster. */
  start(): void {
    const missing = this.sampler.missing();
    if (missing.length > 0) this.logger.warn(`Not registered, sampled as 0: ${missing.join(', ')}`);
    this.timer = setInterval(() => void this.sample(), this.config.stats.sampleMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** This instance asked `count` of its connections to move to `to`. */
  recordMove(to: { id: string; host: string }, count: number, at = Date.now()): void {
    if (count <= 0) return;
    this.moved.push({ at, to: to.id, toHost: to.host, count });
    if (this.moved.length > MOVES_PER_SAMPLE) this.moved.shift();
  }

  /**
   * Takes the sample of the interval ending now, keeps it, and publishes it; a registry that is
   * down or still busy with the previous one loses only the published copy.
   */
  async sample(at = Date.now()): Promise<StatsSample> {
    const sample: StatsSample = { ...(await this.sampler.read(at)), moved: this.moved };
    this.moved = [];
    this.ring.push(sample);
    if (!this.publishing) await this.publish(sample);
    return sample;
  }

  private async publish(sample: StatsSample): Promise<void> {
    this.publishing = true;
    try {
      await this.registry.pushSample(this.identity.id, sample, this.ring.capacity, STATS_WINDOW_MS);
      this.publishFailing = false;
    } catch (error) {
      if (!this.publishFailing) this.logger.warn(`Could not publish a stats sample: ${String(error)}`);
      this.publishFailing = true;
    } finally {
      this.publishing = false;
    }
  }

  /**
   * Every live instance's samples of the window, oldest first (this one's from memory), and the moves they made.
   * The window ends when the samples have been read: another instance may publish one while they are.
   */
  async clusterStats(at?: number): Promise<ClusterStats> {
    const live = (await this.cluster.liveInstances()).sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
    const published = await this.registry.samplesOf(live.map((i) => i.id).filter((id) => id !== this.identity.id));
    const now = at ?? Date.now();
    const since = now - STATS_WINDOW_MS;
    const moves: StatsMove[] = [];
    const instances = live.map(({ id, host, url }) => {
      const kept = id === this.identity.id ? this.ring.toArray() : (published.get(id) ?? []);
      const samples = kept.filter((sample) => sample.at > since);
      for (const { moved } of samples) {
        moves.push(...moved.map(({ at, to, toHost, count }) => ({ at, from: id, fromHost: host, to, toHost, count })));
      }
      return { id, host, url, samples: samples.map(readingOf) };
    });
    moves.sort((a, b) => a.at - b.at);
    return { now, sampleMs: this.config.stats.sampleMs, windowMs: STATS_WINDOW_MS, instances, moves: moves.slice(-MOVES_LISTED) };
  }
}
