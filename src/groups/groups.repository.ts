import { Injectable } from '@nestjs/common';
import { BatchWriter } from '../database/batch-writer';
import { Database, Queryable, prepared } from '../database/database';
import { GroupSeqs } from '../messages/message.store';

/** Acknowledgements written in one statement, at most. */
const ACK_BATCH_MAX = 256;

export interface GroupWithMembers {
  id: number;
  name: string;
  memberIds: number[];
}

/** A group in a member's list of conversations. */
export interface GroupConversation {
  groupId: number;
  name: string;
  lastMessageId: string;
  /** The group's seqs after the member's read position. */
  unread: number;
  /** The member's read position as a message id; null: none. */
  readId: string | null;
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

/**
 * Moves `column` of the group_members rows named by the CTE `x` (user_id, group_id, seq) forward
 * to their seq, locking the rows to move in (group_id, user_id) order first: the order every
 * multi-row write of the table takes its locks in, so that two of them cannot deadlock.
 */
const advanceMembers = (column: 'acked_seq' | 'read_seq') => `locked AS (
         SELECT gm.group_id, gm.user_id, x.seq FROM group_members gm JOIN x ON gm.user_id = x.user_id AND gm.group_id = x.group_id
         WHERE gm.${column} < x.seq ORDER BY gm.group_id, gm.user_id FOR UPDATE OF gm
       )
       UPDATE group_members gm SET ${column} = l.seq FROM locked l
       WHERE gm.group_id = l.group_id AND gm.user_id = l.user_id AND gm.${column} < l.seq`;

/**
 * Every statement of this repository, by name. The plan-regression test (test/query-plans.cluster-spec.ts)
 * explains each one on a large database and fails when one is missing from its list.
 */
export const GROUP_SQL = {
  insertGroup: `INSERT INTO groups (name, name_key, created_by) SELECT $1, $2, $3
       WHERE NOT EXISTS (SELECT 1 FROM groups WHERE name_key = $2) RETURNING id`,
  insertMembers: `INSERT INTO group_members (group_id, user_id)
       SELECT $1, m.id FROM unnest($2::int[]) AS m(id)
       WHERE (SELECT count(*) FROM group_members gm WHERE gm.user_id = m.id) < $3
       ON CONFLICT DO NOTHING RETURNING user_id`,
  findWithMembers: `SELECT g.id, g.name, array_remove(array_agg(gm.user_id ORDER BY gm.joined_at, gm.user_id), NULL) AS member_ids
       FROM groups g LEFT JOIN group_members gm ON gm.group_id = g.id
       WHERE g.name = $1 GROUP BY g.id`,
  addMember: `WITH g AS (SELECT id, last_seq FROM groups WHERE name = $1),
       member AS (SELECT EXISTS (SELECT 1 FROM group_members WHERE user_id = $2 AND group_id = (SELECT id FROM g)) AS already),
       room AS (SELECT (SELECT count(*) FROM group_members WHERE user_id = $2) < $3 AS free),
       ins AS (
         INSERT INTO group_members (group_id, user_id, acked_seq, read_seq)
         SELECT id, $2, last_seq, last_seq FROM g WHERE (SELECT free FROM room)
         ON CONFLICT DO NOTHING RETURNING group_id
       )
       SELECT g.id, EXISTS (SELECT 1 FROM ins) AS added, NOT (SELECT already FROM member) AND NOT (SELECT free FROM room) AS full,
              g.last_seq::text AS last_seq FROM g`,
  lockGroup: 'SELECT id FROM groups WHERE name = $1 FOR UPDATE',
  removeMember: 'DELETE FROM group_members WHERE group_id = $1 AND user_id = $2 RETURNING user_id',
  deleteIfEmpty: 'DELETE FROM groups WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1) RETURNING id',
  membershipCount: 'SELECT count(*)::int AS count FROM group_members WHERE user_id = $1',
  /** Run in the message log's transaction, so that a group's seqs follow commit order. */
  advanceSeq: prepared('UPDATE groups SET last_seq = last_seq + $2 WHERE id = $1 RETURNING last_seq::text AS last_seq'),
  /**
   * Cursors moved to the highest seq among acknowledged ids ($1 user ids, $2 message ids). Like
   * every statement that writes several group_members rows, it locks them in (group_id, user_id)
   * order first, so that two of them (a send's readOwn, the Acks of another instance) cannot deadlock.
   */
  ackCursors: prepared(`WITH x AS (
         SELECT a.user_id, m.group_id, max(m.seq) AS seq
         FROM unnest($1::int[], $2::bigint[]) AS a(user_id, id)
         JOIN messages m ON m.id = a.id AND m.group_id IS NOT NULL
         GROUP BY a.user_id, m.group_id
       ), ${advanceMembers('acked_seq')}`),
  /** Cursors moved to seqs the server itself delivered ($1 user ids, $2 group ids, $3 seqs): the highest per member and group. */
  ackSeqs: prepared(`WITH x AS (
         SELECT a.user_id, a.group_id, max(a.seq) AS seq FROM unnest($1::int[], $2::int[], $3::bigint[]) AS a(user_id, group_id, seq)
         GROUP BY a.user_id, a.group_id
       ), ${advanceMembers('acked_seq')}`),
  nameOf: 'SELECT name FROM groups WHERE id = $1',
  /** Moves a member's read position forward to seq `$3`; no row when it was there or beyond (or no such member). */
  readUpTo:
    'UPDATE group_members SET read_seq = $3 WHERE group_id = $1 AND user_id = $2 AND read_seq < $3 RETURNING read_seq::text AS read_seq',
  /** Senders' read positions move forward to their newest message of a batch ($2 usernames, $3 seqs), in its transaction. */
  readOwn: prepared(`WITH x AS (
         SELECT u.id AS user_id, $1::int AS group_id, s.seq FROM unnest($2::text[], $3::bigint[]) AS s(username, seq)
         JOIN users u ON u.username = s.username
       ), ${advanceMembers('read_seq')}`),
  /** A member's read position: its seq and the id of the group's last message at or before it (null: none). */
  readPosition: `SELECT gm.read_seq::text AS read_seq,
         (SELECT m.id FROM messages m WHERE m.group_id = gm.group_id AND m.seq <= gm.read_seq ORDER BY m.seq DESC LIMIT 1)::text AS read_id
       FROM group_members gm WHERE gm.group_id = $1 AND gm.user_id = $2`,
  /**
   * A page of the groups of user `$1` (a username) that have messages, newest last message first, with last message ids
   * below `$2`: each of the user's groups (at most MAX_GROUPS_PER_USER) probes its newest message
   * by (group_id, seq); the page's groups then their read position's message.
   */
  conversationsOf: `SELECT p.group_id, p.name, p.last_id::text AS last_id, p.unread::int AS unread,
         (SELECT r.id FROM messages r WHERE r.group_id = p.group_id AND r.seq <= p.read_seq ORDER BY r.seq DESC LIMIT 1)::text AS read_id
       FROM (
         SELECT gm.group_id, g.name, l.id AS last_id, gm.read_seq, greatest(g.last_seq - gm.read_seq, 0) AS unread
         FROM group_members gm
         JOIN groups g ON g.id = gm.group_id
         CROSS JOIN LATERAL (SELECT m.id FROM messages m WHERE m.group_id = gm.group_id ORDER BY m.seq DESC LIMIT 1) l
         WHERE gm.user_id = (SELECT u.id FROM users u WHERE u.username = $1) AND l.id < coalesce($2::bigint, 9223372036854775807)
         ORDER BY l.id DESC LIMIT $3
       ) p
       ORDER BY p.last_id DESC`,
} as const;

@Injectable()
export class GroupsRepository implements GroupSeqs {
  private readonly ackWriter = new BatchWriter<{ userId: number; ids: string[] }, void>((items) => this.writeAcks(items), ACK_BATCH_MAX);
  private readonly seqWriter = new BatchWriter<{ userId: number; cursors: { groupId: number; seq: number }[] }, void>(
    (items) => this.writeSeqs(items),
    ACK_BATCH_MAX,
  );

  constructor(private readonly db: Database) {}

  async advance(tx: Queryable, groupId: number, count: number): Promise<string | null> {
    const rows = await tx.query<{ last_seq: string }>(GROUP_SQL.advanceSeq, [groupId, count]);
    return rows[0]?.last_seq ?? null;
  }

  async readOwn(tx: Queryable, groupId: number, senders: string[], seqs: string[]): Promise<void> {
    await tx.query(GROUP_SQL.readOwn, [groupId, senders, seqs]);
  }

  /** Moves the member's cursor in each group to at least the given seq (batched). */
  ackSeqs(userId: number, cursors: { groupId: number; seq: number }[]): Promise<void> {
    return this.seqWriter.add({ userId, cursors });
  }

  private async writeSeqs(items: { userId: number; cursors: { groupId: number; seq: number }[] }[]): Promise<void[]> {
    const all = items.flatMap((item) => item.cursors.map((c) => ({ userId: item.userId, ...c })));
    await this.db.query(GROUP_SQL.ackSeqs, [all.map((c) => c.userId), all.map((c) => c.groupId), all.map((c) => c.seq)]);
    return items.map(() => undefined);
  }

  /** Moves the member's cursor in each group to the highest seq among these acknowledged ids (batched). */
  ackCursors(userId: number, ids: string[]): Promise<void> {
    return this.ackWriter.add({ userId, ids });
  }

  private async writeAcks(items: { userId: number; ids: string[] }[]): Promise<void[]> {
    await this.db.query(GROUP_SQL.ackCursors, [
      items.flatMap((item) => item.ids.map(() => item.userId)),
      items.flatMap((item) => item.ids),
    ]);
    return items.map(() => undefined);
  }

  /**
   * Creates the group with its members in one transaction; null when the name is taken (by any
   * name with the same key). Members already in `maxGroups` groups are left out; returns who was added.
   */
  async create(
    name: string,
    key: string,
    createdBy: string,
    memberIds: number[],
    maxGroups: number,
  ): Promise<{ groupId: number; memberIds: number[] } | null> {
    try {
      return await this.db.transaction(async (tx) => {
        const inserted = await tx.query<{ id: number }>(GROUP_SQL.insertGroup, [name, key, createdBy]);
        if (inserted.length === 0) return null;
        const groupId = inserted[0].id;
        const added = await tx.query<{ user_id: number }>(GROUP_SQL.insertMembers, [groupId, memberIds, maxGroups]);
        return { groupId, memberIds: added.map((row) => row.user_id) };
      });
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  async findWithMembers(name: string): Promise<GroupWithMembers | null> {
    const rows = await this.db.query<{ id: number; name: string; member_ids: number[] | null }>(GROUP_SQL.findWithMembers, [name]);
    if (rows.length === 0) return null;
    return { id: rows[0].id, name: rows[0].name, memberIds: rows[0].member_ids ?? [] };
  }

  /**
   * Adds a member whose cursor starts at the group's last message: the group's past is in its
   * history, not in their offline messages. False when the group does not exist.
   */
  async addMember(
    name: string,
    userId: number,
    maxGroups: number,
  ): Promise<{ groupId: number; added: boolean; full: boolean; lastSeq: string } | null> {
    let rows: { id: number; added: boolean; full: boolean; last_seq: string }[];
    try {
      rows = await this.db.query<{ id: number; added: boolean; full: boolean; last_seq: string }>(GROUP_SQL.addMember, [
        name,
        userId,
        maxGroups,
      ]);
    } catch (error) {
      // The group was deleted by its last member leaving while this join ran.
      if ((error as { code?: unknown } | null)?.code === '23503') return null;
      throw error;
    }
    return rows[0] ? { groupId: rows[0].id, added: rows[0].added, full: rows[0].full, lastSeq: rows[0].last_seq } : null;
  }

  /**
   * Removes a member; the group goes when its last member leaves. In one transaction that locks
   * the group row, so a join cannot slip in between the removal and the emptiness check.
   */
  async removeMember(name: string, userId: number): Promise<{ status: 'removed' | 'not-member' | 'no-group'; deletedGroupId?: number }> {
    return this.db.transaction(async (tx) => {
      const groups = await tx.query<{ id: number }>(GROUP_SQL.lockGroup, [name]);
      if (groups.length === 0) return { status: 'no-group' };
      const groupId = groups[0].id;
      const removed = await tx.query(GROUP_SQL.removeMember, [groupId, userId]);
      if (removed.length === 0) return { status: 'not-member' };
      const deleted = await tx.query(GROUP_SQL.deleteIfEmpty, [groupId]);
      return { status: 'removed', deletedGroupId: deleted.length > 0 ? groupId : undefined };
    });
  }

  /** How many groups the user is a member of. */
  async membershipCount(userId: number): Promise<number> {
    const rows = await this.db.query<{ count: number }>(GROUP_SQL.membershipCount, [userId]);
    return rows[0]?.count ?? 0;
  }

  async nameOf(groupId: number): Promise<string | null> {
    const rows = await this.db.query<{ name: string }>(GROUP_SQL.nameOf, [groupId]);
    return rows[0]?.name ?? null;
  }

  /** Moves a member's read position forward to `seq`; returns whether it moved. */
  async readUpTo(groupId: number, userId: number, seq: string): Promise<boolean> {
    return (await this.db.query(GROUP_SQL.readUpTo, [groupId, userId, seq])).length > 0;
  }

  /** A member's read position as a message id (null: none); null when not a member. */
  async readPosition(groupId: number, userId: number): Promise<{ readId: string | null } | null> {
    const [row] = await this.db.query<{ read_seq: string; read_id: string | null }>(GROUP_SQL.readPosition, [groupId, userId]);
    return row ? { readId: row.read_id } : null;
  }

  /** A page of the user's groups that have messages, newest last message first (see GROUP_SQL.conversationsOf). */
  async conversationsOf(username: string, beforeId: string | null, limit: number): Promise<GroupConversation[]> {
    const rows = await this.db.query<{ group_id: number; name: string; last_id: string; unread: number; read_id: string | null }>(
      GROUP_SQL.conversationsOf,
      [username, beforeId, limit],
    );
    return rows.map((r) => ({ groupId: r.group_id, name: r.name, lastMessageId: r.last_id, unread: r.unread, readId: r.read_id }));
  }
}
