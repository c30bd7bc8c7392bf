import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Database, Queryable } from '../database/database';
import { MetricsService } from '../metrics/metrics.service';

/** Ids per partition: partition k holds ids from k·SPAN to (k+1)·SPAN (the first from the lowest id). */
export const PARTITION_SPAN = 10_000_000_000n;
const MAINTENANCE_LOCK_KEY = 726_100_003;
const DAY_MS = 86_400_000;

export function partitionName(k: number): string {
  return `messages_p${k}`;
}

/**
 * The maintenance statements, by name (listed in the plan-regression test, which runs them on the
 * seeded database; none is reachable by a client, an admin or a sibling).
 */
export const PARTITION_SQL = {
  tryLock: 'SELECT pg_try_advisory_xact_lock($1) AS locked',
  lockTimeout: `SET LOCAL lock_timeout = '5s'`,
  partitions: 'SELECT k, opened_at FROM message_partitions ORDER BY k',
  lastId: 'SELECT last_value::text AS last_value, is_called FROM messages_id_seq',
  open: 'UPDATE message_partitions SET opened_at = $2 WHERE k = $1 AND opened_at IS NULL',
  register: 'INSERT INTO message_partitions (k, opened_at) VALUES ($1, NULL) ON CONFLICT DO NOTHING',
  /** Waits for every insert in flight to commit and holds new ones while the sequence moves on. */
  lockWriters: 'LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE',
  jump: `SELECT setval('messages_id_seq', $1::bigint, false)`,
  forget: 'DELETE FROM message_partitions WHERE k = $1',
} as const;

/** DDL of a new partition, with the indexes each partition has of its own (the unique keys) and its statistics. */
export function createPartitionSql(k: number): string[] {
  const name = partitionName(k);
  const from = BigInt(k) * PARTITION_SPAN;
  return [
    `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF messages FOR VALUES FROM (${from}) TO (${from + PARTITION_SPAN})`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${name}_dedup_key ON ${name} (sender, client_message_id) WHERE client_message_id IS NOT NULL`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${name}_group_seq_key ON ${name} (group_id, seq) WHERE group_id IS NOT NULL`,
    // See the messages-pair-statistics migration.
    `CREATE STATISTICS IF NOT EXISTS ${name}_pair (mcv, ndistinct, dependencies) ` +
      `ON least(sender, recipient), greatest(sender, recipient) FROM ${name}`,
  ];
}

/** The ids of partition k, as SQL: `id >= from AND id < to` for `column`. */
function idRange(k: number, column: string): string {
  const from = BigInt(k) * PARTITION_SPAN;
  return `${column} >= ${from} AND ${column} < ${from + PARTITION_SPAN}`;
}

/**
 * Counts what retention is about to drop with partition k: 1:1 messages not acknowledged (their
 * pending rows, which it deletes: a read of direct_pending, which holds only what is pending), and
 * group messages past some member's cursor.
 */
export function dropUnacknowledgedSql(k: number): string {
  const name = partitionName(k);
  return `WITH pending AS (DELETE FROM direct_pending WHERE ${idRange(k, 'message_id')} RETURNING 1)
    SELECT
      (SELECT count(*) FROM pending)::int AS direct,
      (SELECT count(*) FROM ${name} m JOIN (SELECT group_id, min(acked_seq) AS low FROM group_members GROUP BY group_id) c
         ON c.group_id = m.group_id AND m.seq > c.low WHERE m.group_id IS NOT NULL)::int AS grouped,
      (SELECT count(*) FROM ${name})::int AS total`;
}

export interface PassResult {
  created: number[];
  opened: number[];
  dropped: number[];
}

interface PartitionRow extends Record<string, unknown> {
  k: number;
  opened_at: Date | null;
}

/**
 * Keeps `messages` partitioned by time. Each pass, under a lock (an advisory lock in PostgreSQL;
 * PGlite has one connection): makes sure the partition after the current one exists, so inserts
 * never lack one; when the current partition has been written to for MESSAGE_PARTITION_DAYS,
 * moves the id sequence to the next partition's first id (ids follow time); and, with
 * MESSAGE_RETENTION_DAYS, detaches and drops every partition closed longer than that — never a
 * DELETE. Messages not acknowledged that go with a partition are counted in
 * chat_messages_expired_unacknowledged_total. Embedded mode has no autovacuum, so the pass also
 * analyzes the tables now and then, for the planner, and vacuums the small tables delivery keeps
 * rewriting at every pass.
 */
@Injectable()
export class MessagePartitions implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MessagePartitions.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private lastAnalyze = 0;

  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.run();
    this.timer = setInterval(() => void this.run(), this.config.messages.maintenanceMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass, not overlapping another; failures are logged and the next pass tries again. */
  run(now: Date = new Date()): Promise<PassResult | undefined> {
    if (this.running) return this.running as Promise<PassResult | undefined>;
    const pass = this.pass(now)
      .catch((error: unknown) => {
        this.logger.warn(`Partition maintenance failed: ${String(error)}`);
        return undefined;
      })
      .finally(() => (this.running = undefined));
    this.running = pass;
    return pass;
  }

  private async pass(now: Date): Promise<PassResult> {
    const result: PassResult = { created: [], opened: [], dropped: [] };
    // Ahead and rollover: repeated, since a rollover needs the next partition ahead again.
    for (let step = 0; step < 4; step++) {
      const changed = await this.locked(async (tx) => this.advance(tx, now, result));
      if (!changed) break;
    }
    if (this.config.messages.retentionDays !== undefined) await this.expire(now, this.config.messages.retentionDays, result);
    if (this.db.driver === 'pglite') {
      // The tables every delivery writes again and again (an acknowledgement deletes a pending row,
      // moves a group cursor, a send moves its conversation's row): without it their dead rows pile up.
      await this.db.query('VACUUM direct_pending, group_members, direct_conversations');
      if (now.getTime() - this.lastAnalyze >= 3_600_000) {
        this.lastAnalyze = now.getTime();
        await this.db.query('ANALYZE users, groups, group_members, messages, direct_pending');
      }
    }
    return result;
  }

  /** Runs `work` in a transaction holding the maintenance lock; false when another instance holds it. */
  private async locked(work: (tx: Queryable) => Promise<boolean>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [{ locked }] = await tx.query<{ locked: boolean }>(PARTITION_SQL.tryLock, [MAINTENANCE_LOCK_KEY]);
      if (!locked) return false;
      await tx.query(PARTITION_SQL.lockTimeout);
      return work(tx);
    });
  }

  private async current(tx: Queryable): Promise<number> {
    const [seq] = await tx.query<{ last_value: string; is_called: boolean }>(PARTITION_SQL.lastId);
    const next = seq.is_called ? BigInt(seq.last_value) + 1n : BigInt(seq.last_value);
    return next < PARTITION_SPAN ? 0 : Number(next / PARTITION_SPAN);
  }

  /** One change at most: the partition ahead created, or the current one opened, or the rollover. True when something changed. */
  private async advance(tx: Queryable, now: Date, result: PassResult): Promise<boolean> {
    const rows = await tx.query<PartitionRow>(PARTITION_SQL.partitions);
    const known = new Map(rows.map((r) => [r.k, r]));
    const current = await this.current(tx);
    if (!known.has(current + 1)) {
      for (const sql of createPartitionSql(current + 1)) await tx.query(sql);
      await tx.query(PARTITION_SQL.register, [current + 1]);
      result.created.push(current + 1);
      return true;
    }
    const row = known.get(current);
    if (!row || row.opened_at === null) {
      // The sequence moved on but the record did not (a rollover that failed after setval, which no transaction undoes).
      await tx.query(PARTITION_SQL.register, [current]);
      await tx.query(PARTITION_SQL.open, [current, now]);
      result.opened.push(current);
      return true;
    }
    if (now.getTime() - new Date(row.opened_at).getTime() < this.config.messages.partitionDays * DAY_MS) return false;
    await tx.query(PARTITION_SQL.lockWriters);
    await tx.query(PARTITION_SQL.jump, [(BigInt(current + 1) * PARTITION_SPAN).toString()]);
    await tx.query(PARTITION_SQL.open, [current + 1, now]);
    result.opened.push(current + 1);
    this.logger.log(`Messages roll over to partition ${partitionName(current + 1)}`);
    return true;
  }

  /** Drops, one transaction each, the partitions closed (the next one opened) more than `days` ago. */
  private async expire(now: Date, days: number, result: PassResult): Promise<void> {
    const rows = await this.db.query<PartitionRow>(PARTITION_SQL.partitions);
    const current = await this.current(this.db);
    for (let i = 0; i + 1 < rows.length; i++) {
      const { k } = rows[i];
      const closedAt = rows[i + 1].opened_at;
      if (k >= current || closedAt === null || now.getTime() - new Date(closedAt).getTime() < days * DAY_MS) continue;
      let counts = { direct: 0, grouped: 0, total: 0 };
      const dropped = await this.locked(async (tx) => {
        [counts] = await tx.query<{ direct: number; grouped: number; total: number }>(dropUnacknowledgedSql(k));
        await tx.query(`ALTER TABLE messages DETACH PARTITION ${partitionName(k)}`);
        await tx.query(`DROP TABLE ${partitionName(k)}`);
        await tx.query(PARTITION_SQL.forget, [k]);
        return true;
      });
      if (!dropped) continue;
      this.metrics.messagesExpired.inc(counts.total);
      this.metrics.messagesExpiredUnacknowledged.inc(counts.direct + counts.grouped);
      this.logger.warn(
        `Retention dropped partition ${partitionName(k)}: ${counts.total} messages, ` +
          `of which ${counts.direct + counts.grouped} not acknowledged by every recipient`,
      );
      result.dropped.push(k);
    }
  }
}
