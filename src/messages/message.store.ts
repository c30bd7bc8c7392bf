import { Injectable, Logger } from '@nestjs/common';
import { BatchWriter } from '../database/batch-writer';
import { Database, Queryable, prepared } from '../database/database';
import { camelCased } from '../database/rows';
import { PendingSummary } from '../common/offline-source';

interface NewMessage {
  sender: string;
  content: string;
  clientMessageId?: string;
  /** The sender's sequenceId, carried by every copy of the message, live or replayed. */
  sequenceId: number;
}

export interface DirectMessageInput extends NewMessage {
  recipient: string;
}

export interface GroupMessageInput extends NewMessage {
  groupId: number;
}

export interface StoredMessage {
  id: string;
  createdAt: Date;
  /** A resend of a message already stored (same sender and clientMessageId): the original is returned. */
  duplicate: boolean;
  /** 1:1 only: the recipient has acknowledged it. */
  acked: boolean;
  seq?: string;
  /** For a duplicate: the message as first stored. */
  original?: MessageRecord;
}

/** A 1:1 conversation in a user's list: read positions are decimal message ids, '0' for none. */
export interface DirectConversation {
  peer: string;
  lastMessageId: string;
  read: string;
  peerRead: string;
  unread: number;
}

export interface MessageRecord {
  id: string;
  sender: string;
  recipient: string | null;
  groupId: number | null;
  seq: string | null;
  content: string;
  createdAt: Date;
  sequenceId: number;
  /** When it was last edited or recalled; null (or absent on a message just sent) when never. */
  editedAt?: Date | null;
  recalled?: boolean;
}

/** A message as an edit or recall finds it. */
export interface FoundMessage extends MessageRecord {
  /** Still within the edit window (measured by the database's clock against the stored time). */
  inWindow: boolean;
}

/** What an edit or a recall does: new text, or the recall. */
export type MessageChange = { kind: 'edit'; content: string } | { kind: 'recall' };

interface MessageRow extends Record<string, unknown> {
  id: string;
  sender: string;
  recipient: string | null;
  group_id: number | null;
  seq: string | null;
  content: string;
  created_at: Date;
  sequence_id: string;
  edited_at: Date | null;
  recalled: boolean;
}

interface InsertedRow extends Record<string, unknown> {
  ord: number;
  id: string;
  seq: string | null;
  created_at: Date | null;
  inserted: boolean;
}

/**
 * The groups feature's part of a group message's transaction: the message log passes its query
 * handle, and the groups feature numbers the messages in its own table.
 */
export interface GroupSeqs {
  /** Takes the group's next `count` seqs in `tx`; returns the last of them, or null when the group is gone. */
  advance(tx: Queryable, groupId: number, count: number): Promise<string | null>;
  /** In `tx`: each sender's read position moves to the seq of their newest message of the batch (one's own messages are read). */
  readOwn(tx: Queryable, groupId: number, senders: string[], seqs: string[]): Promise<void>;
}

/** Where the groups feature appends its messages: batched like 1:1 messages, numbered by its `GroupSeqs`. */
export interface GroupLog {
  append(message: GroupMessageInput): Promise<StoredMessage>;
}

export class GroupGoneError extends Error {
  constructor() {
    super('Group does not exist');
  }
}

const MAX_BATCH = 256;
const COLUMNS =
  'm.id::text AS id, m.sender, m.recipient, m.group_id, m.seq::text AS seq, m.content, m.created_at, ' +
  'm.sender_sequence_id::text AS sequence_id, m.edited_at, m.recalled';

/**
 * Allocates `$n` new ids and numbers them 1..n in ascending order, so the sends of a batch get
 * ids in the order they arrived, whatever order the database evaluates nextval in.
 */
const allocateIds = (n: string) => `ids AS (
  SELECT id, row_number() OVER (ORDER BY id) AS ord
  FROM (SELECT nextval('messages_id_seq') AS id FROM generate_series(1, ${n}::int)) allocated
)`;

/**
 * The rows of `input` to insert: all but those whose (sender, clientMessageId) an earlier row of
 * the batch (numbered within the key by a window over the batch, not one scan of it per row) or a
 * stored message has. `messages` is partitioned, and a unique index must include
 * the partition key (id), so none spans the partitions: this looks the key up in every partition,
 * and each partition's own unique index on the key catches two writers racing (23505, after which
 * the write runs again and finds the other's row). The partition rollover waits for every insert
 * into the old partition to commit, so two racing writers are always in the same partition.
 */
const FRESH = `fresh AS (
    SELECT i.* FROM (SELECT input.*, row_number() OVER (PARTITION BY input.sender, input.cmid ORDER BY input.ord) AS nth FROM input) i
    WHERE i.cmid IS NULL OR (
      i.nth = 1
      AND NOT EXISTS (
        SELECT 1 FROM messages d WHERE d.sender = i.sender AND d.client_message_id = i.cmid AND d.client_message_id IS NOT NULL
      ))
  )`;

/**
 * The conversation index of the stored 1:1 messages of a batch: one upsert per pair, covering both
 * parties (its last message; the recipient's unread counter). In pair order, so that two instances
 * upserting the same pairs cannot deadlock.
 */
const INDEX_DIRECT = `indexed AS (
    INSERT INTO direct_conversations AS c (user_a, user_b, last_message_id, a_unread, b_unread)
    SELECT least(f.sender, f.recipient), greatest(f.sender, f.recipient), max(f.id),
           count(*) FILTER (WHERE f.recipient < f.sender), count(*) FILTER (WHERE f.recipient > f.sender)
    FROM fresh f GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (user_a, user_b) DO UPDATE SET last_message_id = greatest(c.last_message_id, EXCLUDED.last_message_id),
      a_unread = c.a_unread + EXCLUDED.a_unread, b_unread = c.b_unread + EXCLUDED.b_unread
  )`;

/** A 1:1 conversation's key in the pair index and in direct_conversations: (least, greatest) of the two names. */
const PAIR = `least(m.sender, m.recipient) = least($1::text, $2::text) AND greatest(m.sender, m.recipient) = greatest($1::text, $2::text)
         AND m.recipient IS NOT NULL`;

/** The messages a read after a position counts, at most (docs/protocol.md §3.20). */
export const UNREAD_COUNT_MAX = 1000;

/**
 * Every statement of this store, by name. The plan-regression test (test/query-plans.cluster-spec.ts)
 * explains each one on a large database and fails when one is missing from its list.
 */
export const MESSAGE_SQL = {
  insertDirect: prepared(`WITH ${allocateIds('$6')}, input AS (
    SELECT ids.id, t.ord, t.sender, t.recipient, t.content, t.cmid, t.seqid
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
      WITH ORDINALITY AS t(sender, recipient, content, cmid, seqid, ord)
    JOIN ids ON ids.ord = t.ord
  ), ${FRESH}, inserted AS (
    INSERT INTO messages (id, sender, recipient, content, client_message_id, sender_sequence_id)
    SELECT id, sender, recipient, content, cmid, seqid FROM fresh ORDER BY ord
    RETURNING id, created_at
  ), pending AS (
    INSERT INTO direct_pending (recipient, message_id) SELECT recipient, id FROM fresh
  ), ${INDEX_DIRECT}
  SELECT input.ord::int AS ord, input.id::text AS id, NULL AS seq, inserted.created_at, inserted.id IS NOT NULL AS inserted
  FROM input LEFT JOIN inserted ON inserted.id = input.id ORDER BY input.ord`),
  insertGroup: prepared(`WITH ${allocateIds('$7')}, input AS (
    SELECT ids.id, t.ord, t.sender, t.content, t.cmid, t.seqid, $5::bigint + t.ord - 1 AS seq
    FROM unnest($1::text[], $2::text[], $3::text[], $6::bigint[]) WITH ORDINALITY AS t(sender, content, cmid, seqid, ord)
    JOIN ids ON ids.ord = t.ord
  ), ${FRESH}, inserted AS (
    INSERT INTO messages (id, sender, group_id, seq, content, client_message_id, sender_sequence_id)
    SELECT id, sender, $4, seq, content, cmid, seqid FROM fresh ORDER BY ord
    RETURNING id, created_at
  )
  SELECT input.ord::int AS ord, input.id::text AS id, input.seq::text AS seq, inserted.created_at, inserted.id IS NOT NULL AS inserted
  FROM input LEFT JOIN inserted ON inserted.id = input.id ORDER BY input.ord`),
  storedKeys: `SELECT m.sender, m.client_message_id FROM messages m
       JOIN unnest($1::text[], $2::text[]) AS d(sender, cmid) ON m.sender = d.sender AND m.client_message_id = d.cmid`,
  /** The stored originals of resends, with whether their recipient acknowledged them (false for a group message). */
  originals: `SELECT ${COLUMNS}, m.client_message_id,
         m.recipient IS NOT NULL AND NOT EXISTS (SELECT 1 FROM direct_pending p WHERE p.recipient = m.recipient AND p.message_id = m.id) AS acked
       FROM messages m JOIN unnest($1::text[], $2::text[]) AS d(sender, cmid) ON m.sender = d.sender AND m.client_message_id = d.cmid`,
  /** Acknowledgements: each deletes its message's pending row (none when already acknowledged or addressed to someone else). */
  ackDirect: prepared(`DELETE FROM direct_pending p USING unnest($1::bigint[], $2::text[]) AS a(id, recipient)
       WHERE p.recipient = a.recipient AND p.message_id = a.id RETURNING p.recipient`),
  /**
   * What a login has to replay, in one statement: whether `$1` has 1:1 messages not acknowledged
   * (one probe of direct_pending's key), whether changes are recorded for them (one probe of the
   * primary key), and their groups' cursors with each group's last seq (`[group_id, acked_seq, last_seq]`).
   */
  pendingOf: `SELECT EXISTS (SELECT 1 FROM direct_pending p WHERE p.recipient = $1) AS direct,
         EXISTS (SELECT 1 FROM message_changes c WHERE c.username = $1) AS changes,
         coalesce((SELECT json_agg(json_build_array(gm.group_id, gm.acked_seq::text, g.last_seq::text))
           FROM group_members gm JOIN groups g ON g.id = gm.group_id
           WHERE gm.user_id = (SELECT u.id FROM users u WHERE u.username = $1)), '[]'::json) AS groups`,
  /** A page of `$1`'s pending messages after `$2`: a range of direct_pending's key, each message by its id (one partition's key). */
  unackedDirect: `SELECT ${COLUMNS} FROM direct_pending p JOIN messages m ON m.id = p.message_id
       WHERE p.recipient = $1 AND ($2::bigint IS NULL OR p.message_id > $2::bigint)
       ORDER BY p.message_id LIMIT $3`,
  directHistory: `SELECT ${COLUMNS} FROM messages m
       WHERE least(m.sender, m.recipient) = least($1::text, $2::text) AND greatest(m.sender, m.recipient) = greatest($1::text, $2::text)
         AND m.recipient IS NOT NULL AND ($3::bigint IS NULL OR m.id < $3::bigint)
       ORDER BY m.id DESC LIMIT $4`,
  /** Messages by id (the last messages of a page of conversations): one probe of each partition's primary key per id. */
  byIds: `SELECT ${COLUMNS} FROM messages m WHERE m.id = ANY($1::bigint[])`,
  /** The message `$3` if it is one of the conversation between `$1` and `$2`. */
  directMessageIn: `SELECT m.id::text AS id FROM messages m WHERE m.id = $3::bigint AND ${PAIR}`,
  /**
   * Moves `$1`'s read position in the conversation with `$2` forward to `$3`; its unread counter
   * becomes the count of `$2`'s messages after `$3`, counted over at most `$4` messages of the
   * conversation (never more than it was). No row when the position was already there or beyond.
   */
  readDirect: `WITH after AS (
    SELECT count(*) FILTER (WHERE t.sender = $2::text)::int AS n
    FROM (SELECT m.sender FROM messages m WHERE ${PAIR} AND m.id > $3::bigint ORDER BY m.id LIMIT $4) t
  )
  UPDATE direct_conversations c SET
    a_read = CASE WHEN c.user_a = $1::text THEN $3::bigint ELSE c.a_read END,
    b_read = CASE WHEN c.user_b = $1::text THEN $3::bigint ELSE c.b_read END,
    a_unread = CASE WHEN c.user_a = $1::text THEN least(c.a_unread, (SELECT n FROM after)) ELSE c.a_unread END,
    b_unread = CASE WHEN c.user_b = $1::text THEN least(c.b_unread, (SELECT n FROM after)) ELSE c.b_unread END
  WHERE c.user_a = least($1::text, $2::text) AND c.user_b = greatest($1::text, $2::text)
    AND CASE WHEN c.user_a = $1::text THEN c.a_read ELSE c.b_read END < $3::bigint
  RETURNING $3::text AS read`,
  /** `$1`'s read position in the conversation with `$2` ('0': none). */
  directReadPosition: `SELECT (CASE WHEN c.user_a = $1::text THEN c.a_read ELSE c.b_read END)::text AS read
       FROM direct_conversations c WHERE c.user_a = least($1::text, $2::text) AND c.user_b = greatest($1::text, $2::text)`,
  /**
   * A page of `$1`'s 1:1 conversations, newest last message first, older than `$2`: the newest
   * entries of each of the two (user, last_message_id) indexes, merged.
   */
  directConversations: `SELECT CASE WHEN c.user_a = $1::text THEN c.user_b ELSE c.user_a END AS peer,
         c.last_message_id::text AS last_message_id,
         (CASE WHEN c.user_a = $1::text THEN c.a_read ELSE c.b_read END)::text AS read,
         (CASE WHEN c.user_a = $1::text THEN c.b_read ELSE c.a_read END)::text AS peer_read,
         CASE WHEN c.user_a = $1::text THEN c.a_unread ELSE c.b_unread END AS unread
       FROM (
         (SELECT * FROM direct_conversations WHERE user_a = $1::text AND last_message_id < coalesce($2::bigint, 9223372036854775807)
           ORDER BY last_message_id DESC LIMIT $3)
         UNION ALL
         (SELECT * FROM direct_conversations WHERE user_b = $1::text AND last_message_id < coalesce($2::bigint, 9223372036854775807)
           ORDER BY last_message_id DESC LIMIT $3)
       ) c
       ORDER BY c.last_message_id DESC LIMIT $3`,
  /** The seq of a group's message, found by its id (one partition). */
  groupSeqOf: 'SELECT m.seq::text AS seq FROM messages m WHERE m.id = $1::bigint AND m.group_id = $2',
  /**
   * For a `beforeId` that is not a message of the group: the seq after the group's newest message
   * older than it. Read along the group's own messages (`id + 0`: an id range over the whole table
   * is not the way), so bounded by the group.
   */
  groupSeqBefore: 'SELECT m.seq::text AS seq FROM messages m WHERE m.group_id = $1 AND m.id + 0 < $2::bigint ORDER BY m.seq DESC LIMIT 1',
  /** A page of a group's history by (group_id, seq): a group's seqs follow its ids. */
  groupHistory: `SELECT ${COLUMNS} FROM messages m
       WHERE m.group_id = $1 AND m.seq < $2::bigint
       ORDER BY m.seq DESC LIMIT $3`,
  /**
   * For each group, the messages in a window of `$3` seqs from the first one past its cursor
   * (min() finds it by the index, past any gap retention left): index ranges on (group_id, seq),
   * so at most groups × window rows whatever plan the planner picks and whatever the size of the
   * table. The server merges them by id (see `groupMessagesAfter`).
   */
  groupReplay: `SELECT ${COLUMNS}
       FROM unnest($1::int[], $2::bigint[]) AS c(group_id, after_seq)
       CROSS JOIN LATERAL (SELECT min(f.seq) AS first FROM messages f WHERE f.group_id = c.group_id AND f.seq > c.after_seq) f
       CROSS JOIN LATERAL (
         SELECT * FROM messages p WHERE p.group_id = c.group_id AND p.seq >= f.first AND p.seq < f.first + $3::bigint
       ) m`,
  /** A message by its id: the id is the partition key, so one partition's primary key. */
  messageById: `SELECT ${COLUMNS}, m.created_at > now() - make_interval(secs => $2::int) AS in_window
       FROM messages m WHERE m.id = $1::bigint`,
  /**
   * An edit by the sender within the window, of a message not recalled; the time is kept to the
   * millisecond, as it travels. Nothing is returned when another change came first.
   */
  editMessage: `UPDATE messages m SET content = $3, edited_at = date_trunc('milliseconds', now())
       WHERE m.id = $1::bigint AND m.sender = $2 AND NOT m.recalled AND m.created_at > now() - make_interval(secs => $4::int)
       RETURNING ${COLUMNS}`,
  /** A recall: the text is gone for good (stored as ''), the row keeps its id and place. */
  recallMessage: `UPDATE messages m SET content = '', recalled = true, edited_at = date_trunc('milliseconds', now())
       WHERE m.id = $1::bigint AND m.sender = $2 AND NOT m.recalled AND m.created_at > now() - make_interval(secs => $3::int)
       RETURNING ${COLUMNS}`,
  /** Records the change for each user of the conversation, one row per user and message. */
  recordChange: `INSERT INTO message_changes (username, message_id, changed_at)
       SELECT u, $2::bigint, $3::timestamptz FROM unnest($1::text[]) AS u
       ON CONFLICT (username, message_id) DO UPDATE SET changed_at = EXCLUDED.changed_at`,
  /** The users a live session was handed the change for need no row (a later change keeps its own). */
  changeDelivered: `DELETE FROM message_changes
       WHERE username = ANY($1::text[]) AND message_id = $2::bigint AND changed_at <= $3::timestamptz`,
  /**
   * Takes (deletes and returns) a page of a user's recorded changes, oldest message first, with the
   * messages' latest state: each message by its id (LIMIT 1 keeps the planner from merging all of `messages` with the page).
   */
  takeChanges: `WITH taken AS (
    DELETE FROM message_changes c
    WHERE c.username = $1 AND c.message_id IN (SELECT message_id FROM message_changes WHERE username = $1 ORDER BY message_id LIMIT $2)
    RETURNING c.message_id
  )
  SELECT ${COLUMNS} FROM taken t
  CROSS JOIN LATERAL (SELECT * FROM messages p WHERE p.id = t.message_id LIMIT 1) m
  ORDER BY m.id`,
} as const;

function toRecord(row: MessageRow): MessageRecord {
  return { ...camelCased(row), sequenceId: Number(row.sequence_id) };
}

function toFound(row: MessageRow & { in_window: boolean }): FoundMessage {
  const { in_window: inWindow, ...message } = row;
  return { ...toRecord(message as MessageRow), inWindow };
}

/** An error about one row's data (SQLSTATE class 22), not about the database. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}

/**
 * The message table, for 1:1 and group messages. Writes are batched (group commit), so a burst
 * of sends becomes a few INSERTs, and so are acknowledgements.
 */
@Injectable()
export class MessageStore {
  private readonly logger = new Logger(MessageStore.name);
  private readonly directWriter = new BatchWriter<DirectMessageInput, StoredMessage>(
    (items) => this.isolating(items, (batch) => this.racing(() => this.writeDirect(batch))),
    MAX_BATCH,
  );
  private readonly ackWriter = new BatchWriter<{ recipient: string; ids: string[] }, number>((items) => this.writeAcks(items), MAX_BATCH);

  constructor(private readonly db: Database) {}

  appendDirect(message: DirectMessageInput): Promise<StoredMessage> {
    return this.directWriter.add(message);
  }

  /** The log of group messages, numbered in each write's transaction by `seqs`. */
  groupLog(seqs: GroupSeqs): GroupLog {
    const writer = new BatchWriter<GroupMessageInput, StoredMessage>(
      (items) => this.isolating(items, (batch) => this.racing(() => this.writeGroup(batch, seqs))),
      MAX_BATCH,
    );
    return { append: (message) => writer.add(message) };
  }

  /** Marks 1:1 messages to `recipient` acknowledged; ids addressed to someone else are ignored. */
  ackDirect(recipient: string, ids: string[]): Promise<number> {
    return this.ackWriter.add({ recipient, ids });
  }

  /** A batch that fails on one row's data is written again row by row, so one bad row fails alone. */
  private async isolating<I>(items: I[], write: (batch: I[]) => Promise<(StoredMessage | Error)[]>): Promise<(StoredMessage | Error)[]> {
    try {
      return await write(items);
    } catch (error) {
      if (items.length === 1 || !isDataError(error)) throw error;
      this.logger.warn(`A batch of ${items.length} failed on its data; writing its rows one by one`);
      const results: (StoredMessage | Error)[] = [];
      for (const item of items) {
        try {
          results.push((await write([item]))[0]);
        } catch (rowError) {
          results.push(rowError instanceof Error ? rowError : new Error(String(rowError)));
        }
      }
      return results;
    }
  }

  /**
   * Another writer stored the same (sender, clientMessageId) between this write's lookup and its
   * insert (the partition's unique index refused the row): written again, it finds the other's row.
   */
  private async racing<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (attempt >= 3 || (error as { code?: unknown } | null)?.code !== '23505') throw error;
      }
    }
  }

  private async writeDirect(items: DirectMessageInput[]): Promise<StoredMessage[]> {
    const rows = await this.db.query<InsertedRow>(MESSAGE_SQL.insertDirect, [
      items.map((i) => i.sender),
      items.map((i) => i.recipient),
      items.map((i) => i.content),
      items.map((i) => i.clientMessageId ?? null),
      items.map((i) => i.sequenceId),
      items.length,
    ]);
    const results = rows.map((row) => this.result(row));
    const duplicates = items.map((item, index) => ({ item, index })).filter(({ index }) => !rows[index].inserted);
    if (duplicates.length > 0) await this.resolveDuplicates(this.db, duplicates, results);
    return results;
  }

  /**
   * In one transaction: the group's `last_seq` goes up by the batch's size (written by `seqs`), and
   * the rows take those numbers, so commit order equals seq order and a member's cursor never skips a late commit.
   */
  private writeGroup(items: GroupMessageInput[], seqs: GroupSeqs): Promise<(StoredMessage | Error)[]> {
    return this.db.transaction(async (tx) => {
      const results: (StoredMessage | Error)[] = new Array(items.length);
      // Resends take no seq: a group's seqs stay gapless, so members' connections can tell a late message from a lost one.
      const resends = await this.resends(tx, items);
      const byGroup = new Map<number, number[]>();
      items.forEach((item, index) => {
        if (!resends.has(index)) byGroup.set(item.groupId, [...(byGroup.get(item.groupId) ?? []), index]);
      });
      // Lock the groups in id order, so two instances writing to the same groups cannot deadlock.
      for (const groupId of [...byGroup.keys()].sort((a, b) => a - b)) {
        const indexes = byGroup.get(groupId)!;
        const lastSeq = await seqs.advance(tx, groupId, indexes.length);
        if (lastSeq === null) {
          for (const index of indexes) results[index] = new GroupGoneError();
          continue;
        }
        const batch = indexes.map((index) => items[index]);
        const firstSeq = BigInt(lastSeq) - BigInt(batch.length) + 1n;
        const rows = await tx.query<InsertedRow>(MESSAGE_SQL.insertGroup, [
          batch.map((i) => i.sender),
          batch.map((i) => i.content),
          batch.map((i) => i.clientMessageId ?? null),
          groupId,
          firstSeq.toString(),
          batch.map((i) => i.sequenceId),
          batch.length,
        ]);
        const newestOwn = new Map<string, string>();
        rows.forEach((row, position) => {
          const index = indexes[position];
          results[index] = this.result(row);
          // Stored by another instance in the meantime: this seq stays a gap, which members skip after a wait.
          if (!row.inserted) resends.add(index);
          else newestOwn.set(batch[position].sender, row.seq!);
        });
        if (newestOwn.size > 0) await seqs.readOwn(tx, groupId, [...newestOwn.keys()], [...newestOwn.values()]);
      }
      const duplicates = [...resends]
        .filter((index) => !(results[index] instanceof GroupGoneError))
        .map((index) => ({ item: items[index], index }));
      if (duplicates.length > 0) await this.resolveDuplicates(tx, duplicates, results);
      return results;
    });
  }

  /** Indexes of items that repeat a stored message or an earlier item of the batch (same sender and clientMessageId). */
  private async resends(db: Queryable, items: NewMessage[]): Promise<Set<number>> {
    const resends = new Set<number>();
    const firstOfKey = new Map<string, number>();
    items.forEach((item, index) => {
      if (item.clientMessageId === undefined) return;
      const key = `${item.sender}\u0000${item.clientMessageId}`;
      if (firstOfKey.has(key)) resends.add(index);
      else firstOfKey.set(key, index);
    });
    if (firstOfKey.size === 0) return resends;
    const keyed = [...firstOfKey.entries()];
    const stored = await db.query<{ sender: string; client_message_id: string }>(MESSAGE_SQL.storedKeys, [
      keyed.map(([, index]) => items[index].sender),
      keyed.map(([, index]) => items[index].clientMessageId),
    ]);
    for (const row of stored) resends.add(firstOfKey.get(`${row.sender}\u0000${row.client_message_id}`)!);
    return resends;
  }

  private result(row: InsertedRow): StoredMessage {
    return { id: row.id, createdAt: row.created_at ?? new Date(), duplicate: false, acked: false, seq: row.seq ?? undefined };
  }

  /** A resend returns the original message's id: the sender gets the original acknowledgement. */
  private async resolveDuplicates(
    db: Queryable,
    duplicates: { item: NewMessage; index: number }[],
    results: (StoredMessage | Error)[],
  ): Promise<void> {
    const originals = await db.query<MessageRow & { client_message_id: string; acked: boolean }>(MESSAGE_SQL.originals, [
      duplicates.map((d) => d.item.sender),
      duplicates.map((d) => d.item.clientMessageId ?? ''),
    ]);
    const byKey = new Map(originals.map((o) => [`${o.sender}\u0000${o.client_message_id}`, o]));
    for (const { item, index } of duplicates) {
      const original = byKey.get(`${item.sender}\u0000${item.clientMessageId}`);
      if (!original) {
        results[index] = new Error('A deduplicated message has no original');
        continue;
      }
      // The record is the message's columns only: the key and the ack state are answered beside it.
      const { client_message_id: _key, acked, ...row } = original;
      results[index] = {
        id: original.id,
        createdAt: original.created_at,
        duplicate: true,
        acked,
        seq: original.seq ?? undefined,
        original: toRecord(row),
      };
    }
  }

  private async writeAcks(items: { recipient: string; ids: string[] }[]): Promise<number[]> {
    const recipients = items.flatMap((item) => item.ids.map(() => item.recipient));
    const ids = items.flatMap((item) => item.ids);
    const rows = await this.db.query<{ recipient: string }>(MESSAGE_SQL.ackDirect, [ids, recipients]);
    return items.map((item) => rows.filter((r) => r.recipient === item.recipient).length);
  }

  /** What is stored for `username` to replay at login (see `pendingOf`). */
  async pendingOf(username: string): Promise<PendingSummary> {
    const [row] = await this.db.query<{ direct: boolean; changes: boolean; groups: [number, string, string][] }>(MESSAGE_SQL.pendingOf, [
      username,
    ]);
    const groups = row.groups.map(([groupId, ackedSeq, lastSeq]) => ({ groupId, ackedSeq, lastSeq }));
    return { direct: row.direct, changes: row.changes, groups };
  }

  /** 1:1 messages to `recipient` not yet acknowledged, oldest first. */
  async unackedDirect(recipient: string, afterId: string | null, limit: number): Promise<MessageRecord[]> {
    const rows = await this.db.query<MessageRow>(MESSAGE_SQL.unackedDirect, [recipient, afterId, limit]);
    return rows.map(toRecord);
  }

  /** The newest `limit` messages between two users older than `beforeId`, oldest first. */
  async directHistory(a: string, b: string, beforeId: string | null, limit: number): Promise<MessageRecord[]> {
    const rows = await this.db.query<MessageRow>(MESSAGE_SQL.directHistory, [a, b, beforeId, limit]);
    return rows.map(toRecord).reverse();
  }

  /** Stored messages by id, in no order; ids that are not stored are left out. */
  async byIds(ids: string[]): Promise<MessageRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<MessageRow>(MESSAGE_SQL.byIds, [ids]);
    return rows.map(toRecord);
  }

  /** The seq of a group's message, or null when `id` is not one of that group's. */
  async seqOf(groupId: number, id: string): Promise<string | null> {
    const [row] = await this.db.query<{ seq: string }>(MESSAGE_SQL.groupSeqOf, [id, groupId]);
    return row?.seq ?? null;
  }

  /** Whether message `id` is one of the 1:1 conversation between `a` and `b`. */
  async isDirectBetween(a: string, b: string, id: string): Promise<boolean> {
    return (await this.db.query(MESSAGE_SQL.directMessageIn, [a, b, id])).length > 0;
  }

  /**
   * Moves `reader`'s read position with `peer` forward to `id`; returns the position after
   * (a decimal id, '0' for none) and whether it moved.
   */
  async readDirect(reader: string, peer: string, id: string): Promise<{ read: string; moved: boolean }> {
    const [moved] = await this.db.query<{ read: string }>(MESSAGE_SQL.readDirect, [reader, peer, id, UNREAD_COUNT_MAX]);
    if (moved) return { read: moved.read, moved: true };
    const [current] = await this.db.query<{ read: string }>(MESSAGE_SQL.directReadPosition, [reader, peer]);
    return { read: current?.read ?? '0', moved: false };
  }

  /** A page of `username`'s 1:1 conversations, newest last message first, with last message ids below `beforeId`. */
  async directConversations(username: string, beforeId: string | null, limit: number): Promise<DirectConversation[]> {
    const rows = await this.db.query<{ peer: string; last_message_id: string; read: string; peer_read: string; unread: number }>(
      MESSAGE_SQL.directConversations,
      [username, beforeId, limit],
    );
    return rows.map((r) => ({ peer: r.peer, lastMessageId: r.last_message_id, read: r.read, peerRead: r.peer_read, unread: r.unread }));
  }

  /** History before `beforeId` is history below this seq of the group. */
  private async seqBoundary(groupId: number, beforeId: string | null): Promise<string> {
    if (beforeId === null) return '9223372036854775807';
    const [own] = await this.db.query<{ seq: string }>(MESSAGE_SQL.groupSeqOf, [beforeId, groupId]);
    if (own) return own.seq;
    const [older] = await this.db.query<{ seq: string }>(MESSAGE_SQL.groupSeqBefore, [groupId, beforeId]);
    return older ? (BigInt(older.seq) + 1n).toString() : '0';
  }

  /** The newest `limit` messages of a group older than `beforeId`, oldest first. */
  async groupHistory(groupId: number, beforeId: string | null, limit: number): Promise<MessageRecord[]> {
    const rows = await this.db.query<MessageRow>(MESSAGE_SQL.groupHistory, [groupId, await this.seqBoundary(groupId, beforeId), limit]);
    return rows.map(toRecord).reverse();
  }

  /**
   * The next `limit` group messages past the cursors (the seq after which to read, per group),
   * by id; the caller moves the cursors past them (see `advanceCursors`). Each read takes a window
   * of `limit` seqs of every group; one that a gap cut short is read on from where it ended.
   */
  async groupMessagesAfter(cursors: { groupId: number; ackedSeq: string }[], limit: number): Promise<MessageRecord[]> {
    const page: MessageRecord[] = [];
    let reading = cursors;
    while (reading.length > 0 && page.length < limit) {
      const rows = await this.db.query<MessageRow>(MESSAGE_SQL.groupReplay, [
        reading.map((c) => c.groupId),
        reading.map((c) => c.ackedSeq),
        limit - page.length,
      ]);
      if (rows.length === 0) break;
      const taken = rows
        .map(toRecord)
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
        .slice(0, limit - page.length);
      page.push(...taken);
      reading = advanceCursors(reading, taken);
    }
    return page.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  /** The message with this id, whoever it belongs to (the caller decides who may see it); null when there is none. */
  async findMessage(id: string, windowSeconds: number): Promise<FoundMessage | null> {
    const [row] = await this.db.query<MessageRow & { in_window: boolean }>(MESSAGE_SQL.messageById, [id, windowSeconds]);
    return row ? toFound(row) : null;
  }

  /**
   * Edits or recalls the sender's message, if still allowed, and records the change for `audience`
   * in the same transaction (see `changeDelivered`). Null when the message could not be changed
   * (recalled, or out of the window, meanwhile).
   */
  async change(
    id: string,
    sender: string,
    change: MessageChange,
    windowSeconds: number,
    audience: string[],
  ): Promise<MessageRecord | null> {
    return this.db.transaction(async (tx) => {
      const rows =
        change.kind === 'edit'
          ? await tx.query<MessageRow>(MESSAGE_SQL.editMessage, [id, sender, change.content, windowSeconds])
          : await tx.query<MessageRow>(MESSAGE_SQL.recallMessage, [id, sender, windowSeconds]);
      if (rows.length === 0) return null;
      const record = toRecord(rows[0]);
      await tx.query(MESSAGE_SQL.recordChange, [audience, id, record.editedAt]);
      return record;
    });
  }

  /** The change of message `id` at `editedAt` reached these users live: their rows go. */
  async changeDelivered(usernames: string[], id: string, editedAt: Date): Promise<void> {
    if (usernames.length > 0) await this.db.query(MESSAGE_SQL.changeDelivered, [usernames, id, editedAt]);
  }

  /** Takes up to `limit` of the changes recorded for `username` (deleted as they are read), with the messages' latest state. */
  async takeChanges(username: string, limit: number): Promise<MessageRecord[]> {
    const rows = await this.db.query<MessageRow>(MESSAGE_SQL.takeChanges, [username, limit]);
    return rows.map(toRecord);
  }
}

/** The cursors moved past the messages of a page, so the next page starts where this one ended in each group. */
export function advanceCursors(
  cursors: { groupId: number; ackedSeq: string }[],
  page: MessageRecord[],
): { groupId: number; ackedSeq: string }[] {
  const reached = new Map<number, bigint>();
  for (const message of page) {
    if (message.groupId === null || message.seq === null) continue;
    const seq = BigInt(message.seq);
    if (seq > (reached.get(message.groupId) ?? -1n)) reached.set(message.groupId, seq);
  }
  return cursors.map((c) => {
    const seq = reached.get(c.groupId);
    return seq !== undefined && seq > BigInt(c.ackedSeq) ? { groupId: c.groupId, ackedSeq: seq.toString() } : c;
  });
}
