import { Injectable } from '@nestjs/common';
import { Database, Queryable } from '../database/database';
import { BatchWriter } from './batch-writer';

export interface DirectMessageInput {
  sender: string;
  recipient: string;
  content: string;
  clientMessageId?: string;
}

export interface GroupMessageInput {
  sender: string;
  groupId: number;
  content: string;
  clientMessageId?: string;
}

export interface StoredMessage {
  id: string;
  createdAt: Date;
  /** A resend of a message already stored (same sender and clientMessageId): the original is returned. */
  duplicate: boolean;
  /** 1:1 only: the recipient has acknowledged it. */
  acked: boolean;
  seq?: string;
}

export interface MessageRecord {
  id: string;
  sender: string;
  recipient: string | null;
  groupId: number | null;
  seq: string | null;
  content: string;
  createdAt: Date;
}

interface MessageRow extends Record<string, unknown> {
  id: string;
  sender: string;
  recipient: string | null;
  group_id: number | null;
  seq: string | null;
  content: string;
  created_at: Date;
}

const MAX_BATCH = 256;
const COLUMNS = 'id::text AS id, sender, recipient, group_id, seq::text AS seq, content, created_at';

function toRecord(row: MessageRow): MessageRecord {
  return {
    id: row.id,
    sender: row.sender,
    recipient: row.recipient,
    groupId: row.group_id,
    seq: row.seq,
    content: row.content,
    createdAt: row.created_at,
  };
}

/** Compares decimal id strings as the 64-bit integers they are. */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The message table, for 1:1 and group messages. Writes are batched (group commit), so a burst
 * of sends becomes a few INSERTs; ids are allocated in the order the sends arrived.
 */
@Injectable()
export class MessageStore {
  private readonly directWriter = new BatchWriter<DirectMessageInput, StoredMessage>((items) => this.writeDirect(items), MAX_BATCH);
  private readonly groupWriter = new BatchWriter<GroupMessageInput, StoredMessage>((items) => this.writeGroup(items), MAX_BATCH);

  constructor(private readonly db: Database) {}

  appendDirect(message: DirectMessageInput): Promise<StoredMessage> {
    return this.directWriter.add(message);
  }

  appendGroup(message: GroupMessageInput): Promise<StoredMessage> {
    return this.groupWriter.add(message);
  }

  private async writeDirect(items: DirectMessageInput[]): Promise<StoredMessage[]> {
    const rows = await this.db.query<{ ord: number; id: string; created_at: Date | null; inserted: boolean }>(
      `WITH input AS (
         SELECT nextval('messages_id_seq') AS id, t.ord, t.sender, t.recipient, t.content, t.cmid
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(sender, recipient, content, cmid, ord)
       ), inserted AS (
         INSERT INTO messages (id, sender, recipient, content, client_message_id)
         SELECT id, sender, recipient, content, cmid FROM input ORDER BY ord
         ON CONFLICT (sender, client_message_id) WHERE client_message_id IS NOT NULL DO NOTHING
         RETURNING id, created_at
       )
       SELECT input.ord::int AS ord, input.id::text AS id, inserted.created_at, inserted.id IS NOT NULL AS inserted
       FROM input LEFT JOIN inserted ON inserted.id = input.id ORDER BY input.ord`,
      [
        items.map((i) => i.sender),
        items.map((i) => i.recipient),
        items.map((i) => i.content),
        items.map((i) => i.clientMessageId ?? null),
      ],
    );
    const results: StoredMessage[] = rows.map((row) => ({ id: row.id, createdAt: row.created_at ?? new Date(), duplicate: false, acked: false }));
    const duplicates = items.map((item, index) => ({ item, index })).filter(({ index }) => !rows[index].inserted);
    if (duplicates.length > 0) await this.resolveDuplicates(this.db, duplicates, results);
    return results;
  }

  /**
   * In one transaction: the group's `last_seq` goes up by the batch's size, and the rows take
   * those numbers, so commit order equals seq order and a member's cursor never skips a late commit.
   */
  private async writeGroup(items: GroupMessageInput[]): Promise<StoredMessage[]> {
    return this.db.transaction(async (tx) => {
      const results: StoredMessage[] = new Array(items.length);
      const byGroup = new Map<number, number[]>();
      items.forEach((item, index) => {
        const indexes = byGroup.get(item.groupId) ?? [];
        indexes.push(index);
        byGroup.set(item.groupId, indexes);
      });
      // Lock the groups in id order, so two instances writing to the same groups cannot deadlock.
      for (const groupId of [...byGroup.keys()].sort((a, b) => a - b)) {
        const indexes = byGroup.get(groupId)!;
        const seqRows = await tx.query<{ last_seq: string }>(
          'UPDATE groups SET last_seq = last_seq + $2 WHERE id = $1 RETURNING last_seq::text AS last_seq',
          [groupId, indexes.length],
        );
        if (seqRows.length === 0) {
          for (const index of indexes) results[index] = { id: '', createdAt: new Date(), duplicate: false, acked: false };
          continue;
        }
        const firstSeq = BigInt(seqRows[0].last_seq) - BigInt(indexes.length) + 1n;
        const batch = indexes.map((index) => items[index]);
        const rows = await tx.query<{ ord: number; id: string; seq: string; created_at: Date | null; inserted: boolean }>(
          `WITH input AS (
             SELECT nextval('messages_id_seq') AS id, t.ord, t.sender, t.content, t.cmid, $5::bigint + t.ord - 1 AS seq
             FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(sender, content, cmid, ord)
           ), inserted AS (
             INSERT INTO messages (id, sender, group_id, seq, content, client_message_id)
             SELECT id, sender, $4, seq, content, cmid FROM input ORDER BY ord
             ON CONFLICT (sender, client_message_id) WHERE client_message_id IS NOT NULL DO NOTHING
             RETURNING id, created_at
           )
           SELECT input.ord::int AS ord, input.id::text AS id, input.seq::text AS seq, inserted.created_at, inserted.id IS NOT NULL AS inserted
           FROM input LEFT JOIN inserted ON inserted.id = input.id ORDER BY input.ord`,
          [batch.map((i) => i.sender), batch.map((i) => i.content), batch.map((i) => i.clientMessageId ?? null), groupId, firstSeq.toString()],
        );
        const duplicates: { item: { sender: string; clientMessageId?: string }; index: number }[] = [];
        rows.forEach((row, position) => {
          const index = indexes[position];
          results[index] = { id: row.id, createdAt: row.created_at ?? new Date(), duplicate: false, acked: false, seq: row.seq };
          if (!row.inserted) duplicates.push({ item: items[index], index });
        });
        if (duplicates.length > 0) await this.resolveDuplicates(tx, duplicates, results);
      }
      return results;
    });
  }

  /** A resend returns the original message's id: the sender gets the original acknowledgement. */
  private async resolveDuplicates(
    db: Queryable,
    duplicates: { item: { sender: string; clientMessageId?: string }; index: number }[],
    results: StoredMessage[],
  ): Promise<void> {
    const originals = await db.query<{ id: string; sender: string; client_message_id: string; created_at: Date; acked: boolean; seq: string | null }>(
      `SELECT m.id::text AS id, m.sender, m.client_message_id, m.created_at, m.acked, m.seq::text AS seq
       FROM messages m JOIN unnest($1::text[], $2::text[]) AS d(sender, cmid) ON m.sender = d.sender AND m.client_message_id = d.cmid`,
      [duplicates.map((d) => d.item.sender), duplicates.map((d) => d.item.clientMessageId ?? '')],
    );
    const byKey = new Map(originals.map((o) => [`${o.sender}\u0000${o.client_message_id}`, o]));
    for (const { item, index } of duplicates) {
      const original = byKey.get(`${item.sender}\u0000${item.clientMessageId}`);
      if (!original) throw new Error('A deduplicated message has no original');
      results[index] = { id: original.id, createdAt: original.created_at, duplicate: true, acked: original.acked, seq: original.seq ?? undefined };
    }
  }

  /** 1:1 messages to `recipient` not yet acknowledged, oldest first. */
  async unackedDirect(recipient: string, afterId: string | null, limit: number): Promise<MessageRecord[]> {
    const rows = await this.db.query<MessageRow>(
      `SELECT ${COLUMNS} FROM messages
       WHERE recipient = $1 AND NOT acked AND ($2::bigint IS NULL OR id > $2::bigint)
       ORDER BY id LIMIT $3`,
      [recipient, afterId, limit],
    );
    return rows.map(toRecord);
  }

  async ackDirect(recipient: string, ids: string[]): Promise<number> {
    const rows = await this.db.query(
      'UPDATE messages SET acked = true WHERE id = ANY($1::bigint[]) AND recipient = $2 AND NOT acked RETURNING id',
      [ids, recipient],
    );
    return rows.length;
  }

  /** The newest `limit` messages between two users older than `beforeId`, oldest first. */
  async directHistory(a: string, b: string, beforeId: string | null, limit: number): Promise<MessageRecord[]> {
    const rows = await this.db.query<MessageRow>(
      `SELECT ${COLUMNS} FROM messages
       WHERE least(sender, recipient) = least($1::text, $2::text) AND greatest(sender, recipient) = greatest($1::text, $2::text)
         AND recipient IS NOT NULL AND ($3::bigint IS NULL OR id < $3::bigint)
       ORDER BY id DESC LIMIT $4`,
      [a, b, beforeId, limit],
    );
    return rows.map(toRecord).reverse();
  }

  /** The newest `limit` messages of a group older than `beforeId`, oldest first. */
  async groupHistory(groupId: number, beforeId: string | null, limit: number): Promise<MessageRecord[]> {
    const rows = await this.db.query<MessageRow>(
      `SELECT ${COLUMNS} FROM messages
       WHERE group_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
       ORDER BY id DESC LIMIT $3`,
      [groupId, beforeId, limit],
    );
    return rows.map(toRecord).reverse();
  }

  /** Group messages after each cursor, for the groups given with their cursors; oldest first. */
  async groupMessagesAfter(cursors: { groupId: number; ackedSeq: string }[], afterId: string | null, limit: number): Promise<MessageRecord[]> {
    if (cursors.length === 0) return [];
    const rows = await this.db.query<MessageRow>(
      `SELECT m.id::text AS id, m.sender, m.recipient, m.group_id, m.seq::text AS seq, m.content, m.created_at
       FROM messages m JOIN unnest($1::int[], $2::bigint[]) AS c(group_id, acked_seq) ON m.group_id = c.group_id AND m.seq > c.acked_seq
       WHERE ($3::bigint IS NULL OR m.id > $3::bigint)
       ORDER BY m.id LIMIT $4`,
      [cursors.map((c) => c.groupId), cursors.map((c) => c.ackedSeq), afterId, limit],
    );
    return rows.map(toRecord);
  }

  /** The highest seq per group among these message ids (for moving members' cursors on Ack). */
  async groupSeqs(ids: string[]): Promise<{ groupId: number; seq: string }[]> {
    const rows = await this.db.query<{ group_id: number; seq: string }>(
      'SELECT group_id, max(seq)::text AS seq FROM messages WHERE id = ANY($1::bigint[]) AND group_id IS NOT NULL GROUP BY group_id',
      [ids],
    );
    return rows.map((r) => ({ groupId: r.group_id, seq: r.seq }));
  }
}
