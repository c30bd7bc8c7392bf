import type { Registry } from 'prom-client';
import type { StatsReading } from '../cluster/stats-types';
import { MessageType } from '../protocol';

/** The metrics a sample is read from, by name: the sampler needs no reference to the features that count. */
export const SAMPLED_METRICS = {
  connections: 'chat_sessions',
  messages: 'chat_messages_stored_total',
  logins: 'chat_logins_total',
  refusals: 'chat_refusals_total',
  moves: 'chat_rebalance_moves_total',
} as const;

/** A sample as GET /cluster/stats answers it. */
export type Reading = StatsReading;

/** What a sample counts during its interval. */
type Totals = Omit<StatsReading, 'at' | 'connections'>;

type Values = { value: number; labels: Record<string, string | number | undefined> }[];

/** `chat_refusals_total{type}` of a refused login frame: that login counts in `chat_logins_total` already. */
const LOGIN_TYPE = String(MessageType.LoginRequest);

function sum(values: Values): number {
  return values.reduce((total, entry) => total + entry.value, 0);
}

/**
 * Reads the gauge of logged-in sessions and the counters' totals from the Prometheus registry;
 * each reading counts what the counters grew by since the one before (since the process started
 * for the first), so no event falls between two samples.
 */
export class StatsSampler {
  private previous: Totals = { messages: 0, logins: 0, refusals: 0, moves: 0 };

  constructor(private readonly metrics: Registry) {}

  /** The metrics read that are not registered: they count as 0. */
  missing(): string[] {
    return Object.values(SAMPLED_METRICS).filter((name) => this.metrics.getSingleMetric(name) === undefined);
  }

  async read(at: number): Promise<Reading> {
    const [sessions, messages, logins, refusals, moves] = await Promise.all(
      [SAMPLED_METRICS.connections, SAMPLED_METRICS.messages, SAMPLED_METRICS.logins, SAMPLED_METRICS.refusals, SAMPLED_METRICS.moves].map(
        (name) => this.values(name),
      ),
    );
    // A login that did not succeed is a refusal too, counted once whether it came as a frame or as `?token=`.
    const loginsOk = logins.filter((entry) => entry.labels.outcome === 'ok');
    const loginsRefused = logins.filter((entry) => entry.labels.outcome !== 'ok');
    const otherRefusals = refusals.filter((entry) => String(entry.labels.type) !== LOGIN_TYPE);
    const totals: Totals = {
      messages: sum(messages),
      logins: sum(loginsOk),
      refusals: sum(otherRefusals) + sum(loginsRefused),
      moves: sum(moves),
    };
    const reading: Reading = {
      at,
      connections: sum(sessions),
      messages: this.grown(totals, 'messages'),
      logins: this.grown(totals, 'logins'),
      refusals: this.grown(totals, 'refusals'),
      moves: this.grown(totals, 'moves'),
    };
    this.previous = totals;
    return reading;
  }

  /** A counter never shrinks; one reset meanwhile (a registry cleared) counts from zero again. */
  private grown(totals: Totals, name: keyof Totals): number {
    const now = totals[name];
    return now >= this.previous[name] ? now - this.previous[name] : now;
  }

  private async values(name: string): Promise<Values> {
    const metric = this.metrics.getSingleMetric(name);
    return metric ? (await metric.get()).values : [];
  }
}
