import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';

export interface GroupWithMembers {
  id: number;
  name: string;
  memberIds: number[];
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

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
         INSERT INTO group_members (group_id, user_id, acked_seq) SELECT id, $2, last_seq FROM g WHERE (SELECT free FROM room)
         ON CONFLICT DO NOTHING RETURNING group_id
       )
       SELECT g.id, EXISTS (SELECT 1 FROM ins) AS added, NOT (SELECT already FROM member) AND NOT (SELECT free FROM room) AS full,
              g.last_seq::text AS last_seq FROM g`,
  lockGroup: 'SELECT id FROM groups WHERE name = $1 FOR UPDATE',
  removeMember: 'DELETE FROM group_members WHERE group_id = $1 AND user_id = $2 RETURNING user_id',
  deleteIfEmpty: 'DELETE FROM groups WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1) RETURNING id',
  membershipCount: 'SELECT count(*)::int AS count FROM group_members WHERE user_id = $1',
  nameOf: 'SELECT name FROM groups WHERE id = $1',
  cursorsOf: `SELECT gm.group_id, gm.acked_seq::text AS acked_seq, g.last_seq::text AS last_seq
       FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE gm.user_id = $1`,
} as const;

@Injectable()
export class GroupsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Creates the group with its members in one transaction; null when the name is taken (by any
   * name with the same key). Members already in `maxGroups` groups are left out; returns who was added.
   */
  async create(name: string, key: string, createdBy: string, memberIds: number[], maxGroups: number): Promise<{ groupId: number; memberIds: number[] } | null> {
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
  async addMember(name: string, userId: number, maxGroups: number): Promise<{ groupId: number; added: boolean; full: boolean; lastSeq: string } | null> {
    let rows: { id: number; added: boolean; full: boolean; last_seq: string }[];
    try {
      rows = await this.db.query<{ id: number; added: boolean; full: boolean; last_seq: string }>(GROUP_SQL.addMember, [name, userId, maxGroups]);
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

  /** The groups of a user with the user's cursor in each and the group's last seq. */
  async cursorsOf(userId: number): Promise<{ groupId: number; ackedSeq: string; lastSeq: string }[]> {
    const rows = await this.db.query<{ group_id: number; acked_seq: string; last_seq: string }>(GROUP_SQL.cursorsOf, [userId]);
    return rows.map((r) => ({ groupId: r.group_id, ackedSeq: r.acked_seq, lastSeq: r.last_seq }));
  }
}
