import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { previewOf } from './push-rules';

/** One recipient's push of one message, as queued. */
export interface PushEntryInput {
  recipient: string;
  sender: string;
  groupName: string | null;
  messageId: string;
  preview: string;
}

/** A queued entry claimed for one attempt. */
export interface ClaimedPush extends PushEntryInput {
  id: string;
  /** This claim's number: a later claim of the same row has a higher one. */
  attempts: number;
  /** How long ago it was queued, by the database's clock. */
  ageMs: number;
  /** The message was recalled since it was queued: the entry is dropped, never POSTed. */
  recalled: boolean;
}

interface ClaimedRow extends Record<string, unknown> {
  id: string;
  recipient: string;
  sender: string;
  group_name: string | null;
  message_id: string;
  preview: string;
  attempts: number;
  age_ms: number;
  recalled: boolean | null;
  content: string | null;
}

/**
 * Every statement of the push queue, by name (checked by test/query-plans.cluster-spec.ts). Times
 * are the database's, so that instances with different clocks agree on what is due.
 */
export const PUSH_SQL = {
  /**
   * Inserts the entries the bound leaves room for, the first ones first; returns how many. The span
   * of ids (two index probes) is an upper bound of the rows: only when it leaves no room are the
   * rows counted, at most $7 of them. Instances inserting at once may each pass the bound by one batch.
   */
  insert: `WITH span AS (SELECT coalesce(max(id) - min(id) + 1, 0) AS n FROM push_queue),
  room AS (
    SELECT $7::bigint - CASE WHEN (SELECT n FROM span) + $6::bigint <= $7::bigint THEN (SELECT n FROM span)
      ELSE (SELECT count(*) FROM (SELECT 1 FROM push_queue LIMIT $7::bigint) q) END AS n
  ), inserted AS (
    INSERT INTO push_queue (recipient, sender, group_name, message_id, preview)
    SELECT e.recipient, e.sender, e.group_name, e.message_id, e.preview
    FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])
      WITH ORDINALITY AS e(recipient, sender, group_name, message_id, preview, ord)
    WHERE e.ord <= (SELECT n FROM room)
    ORDER BY e.ord
    RETURNING 1
  )
  SELECT count(*)::int AS inserted FROM inserted`,
  /**
   * Claims up to $1 due entries for one attempt each: locked rows (another instance claiming them)
   * are skipped, and the claim moves `due_at` past the attempt's lease ($2 ms), so an instance that
   * dies mid-attempt leaves its entries to be claimed again when the lease ends.
   */
  /**
   * Claims up to $1 due entries for one attempt each: locked rows (another instance claiming them)
   * are skipped, and the claim moves `due_at` past the attempt's lease ($2 ms), so an instance that
   * dies mid-attempt leaves its entries to be claimed again when the lease ends. Each comes with its
   * message's state now (by its id, the partition key: one probe), cut to $3 characters: an edit or
   * a recall committed before the claim is what the POST shows, whatever preview the row was
   * written with (an entry still in an instance's memory at the change, or its insert under way).
   */
  claim: `WITH claimed AS (
    UPDATE push_queue q SET due_at = now() + $2::int * interval '1 millisecond', attempts = q.attempts + 1
    FROM (SELECT id FROM push_queue WHERE due_at <= now() ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) c
    WHERE q.id = c.id
    RETURNING q.id, q.recipient, q.sender, q.group_name, q.message_id, q.preview, q.attempts, q.enqueued_at
  )
  SELECT c.id::text AS id, c.recipient, c.sender, c.group_name, c.message_id::text AS message_id, c.preview, c.attempts,
    (extract(epoch FROM now() - c.enqueued_at) * 1000)::float8 AS age_ms, m.recalled, left(m.content, $3::int) AS content
  FROM claimed c LEFT JOIN LATERAL (SELECT p.recalled, p.content FROM messages p WHERE p.id = c.message_id LIMIT 1) m ON true`,
  /**
   * A message recalled: its entries are deleted (the recipient sees the recall at the next login);
   * returns how many.
   */
  removeMessage: `WITH removed AS (DELETE FROM push_queue WHERE message_id = $1::bigint RETURNING 1)
  SELECT count(*)::int AS n FROM removed`,
  /** A message edited: its entries carry the new content's preview ($2). */
  repreview: 'UPDATE push_queue SET preview = $2 WHERE message_id = $1::bigint',
  /** Entries done with: sent, or dropped. */
  remove: 'DELETE FROM push_queue WHERE id = ANY($1::bigint[])',
  /** After a failed attempt: due again in $3 ms, unless another claim took the row since. */
  retryLater: `UPDATE push_queue SET due_at = now() + $3::int * interval '1 millisecond' WHERE id = $1::bigint AND attempts = $2`,
  /** Claims given back at shutdown, due at once (for another instance, or this one after its restart). */
  release: `UPDATE push_queue q SET due_at = now() FROM unnest($1::bigint[], $2::int[]) AS r(id, attempts)
  WHERE q.id = r.id AND q.attempts = r.attempts`,
  /** The rows queued, for the chat_push_queued gauge: at most PUSH_QUEUE_MAX and a batch per instance. */
  count: 'SELECT count(*)::int AS n FROM push_queue',
} as const;

/** The `push_queue` table: the offline pushes waiting for the webhook, shared by the instances. */
@Injectable()
export class PushQueueRepository {
  constructor(private readonly db: Database) {}

  /** Returns how many of `entries` were queued (the first ones); the rest found the queue full. */
  async insert(entries: PushEntryInput[], max: number): Promise<number> {
    const rows = await this.db.query<{ inserted: number }>(PUSH_SQL.insert, [
      entries.map((e) => e.recipient),
      entries.map((e) => e.sender),
      entries.map((e) => e.groupName),
      entries.map((e) => e.messageId),
      entries.map((e) => e.preview),
      entries.length,
      max,
    ]);
    return rows[0]?.inserted ?? 0;
  }

  /** `previewChars`: the preview's length, PUSH_PREVIEW_CHARS (the caller cuts it again by code points). */
  async claim(limit: number, leaseMs: number, previewChars: number): Promise<ClaimedPush[]> {
    const rows = await this.db.query<ClaimedRow>(PUSH_SQL.claim, [limit, leaseMs, previewChars]);
    return rows.map((row) => ({
      id: row.id,
      recipient: row.recipient,
      sender: row.sender,
      groupName: row.group_name,
      messageId: row.message_id,
      // Cut by the database by characters, then by the rule (by code points: the same). A message no
      // longer stored (retention) keeps the preview it was queued with.
      preview: row.content === null ? row.preview : previewOf(row.content, previewChars),
      attempts: row.attempts,
      ageMs: Number(row.age_ms),
      recalled: row.recalled === true,
    }));
  }

  /** Deletes the entries of a recalled message; returns how many. */
  async removeMessage(messageId: string): Promise<number> {
    const rows = await this.db.query<{ n: number }>(PUSH_SQL.removeMessage, [messageId]);
    return rows[0]?.n ?? 0;
  }

  /** Gives the entries of an edited message its new preview. */
  async repreview(messageId: string, preview: string): Promise<void> {
    await this.db.query(PUSH_SQL.repreview, [messageId, preview]);
  }

  async remove(ids: string[]): Promise<void> {
    await this.db.query(PUSH_SQL.remove, [ids]);
  }

  async retryLater(entry: ClaimedPush, delayMs: number): Promise<void> {
    await this.db.query(PUSH_SQL.retryLater, [entry.id, entry.attempts, delayMs]);
  }

  async release(entries: ClaimedPush[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.query(PUSH_SQL.release, [entries.map((e) => e.id), entries.map((e) => e.attempts)]);
  }

  async count(): Promise<number> {
    const rows = await this.db.query<{ n: number }>(PUSH_SQL.count);
    return rows[0]?.n ?? 0;
  }
}
