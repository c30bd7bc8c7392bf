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
  insertGroup: 'INSERT INTO groups (name, created_by) VALUES ($1, $2) RETURNING id',
  insertMembers: 'INSERT INTO group_members (group_id, user_id) SELECT $1, unnest($2::int[]) ON CONFLICT DO NOTHING',
  findWithMembers: `SELECT g.id, g.name, array_remove(array_agg(gm.user_id ORDER BY gm.joined_at, gm.user_id), NULL) AS member_ids
       FROM groups g LEFT JOIN group_members gm ON gm.group_id = g.id
       WHERE g.name = $1 GROUP BY g.id`,
  addMember: `WITH g AS (SELECT id, last_seq FROM groups WHERE name = $1),
       ins AS (
         INSERT INTO group_members (group_id, user_id, acked_seq) SELECT id, $2, last_seq FROM g
         ON CONFLICT DO NOTHING RETURNING group_id
       )
       SELECT g.id, EXISTS (SELECT 1 FROM ins) AS added, g.last_seq::text AS last_seq FROM g`,
  lockGroup: 'SELECT id FROM groups WHERE name = $1 FOR UPDATE',
  removeMember: 'DELETE FROM group_members WHERE group_id = $1 AND user_id = $2 RETURNING user_id',
  deleteIfEmpty: 'DELETE FROM groups WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1)',
  nameOf: 'SELECT name FROM groups WHERE id = $1',
  cursorsOf: `SELECT gm.group_id, gm.acked_seq::text AS acked_seq, g.last_seq::text AS last_seq
       FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE gm.user_id = $1`,
} as const;

@Injectable()
export class GroupsRepository {
  constructor(private readonly db: Database) {}

  /** Creates the group with its members in one transaction; null when the name is taken. */
  async create(name: string, createdBy: string, memberIds: number[]): Promise<number | null> {
    try {
      return await this.db.transaction(async (tx) => {
        const [group] = await tx.query<{ id: number }>(GROUP_SQL.insertGroup, [name, createdBy]);
        await tx.query(GROUP_SQL.insertMembers, [group.id, memberIds]);
        return group.id;
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
  async addMember(name: string, userId: number): Promise<{ groupId: number; added: boolean; lastSeq: string } | null> {
    let rows: { id: number; added: boolean; last_seq: string }[];
    try {
      rows = await this.db.query<{ id: number; added: boolean; last_seq: string }>(GROUP_SQL.addMember, [name, userId]);
    } catch (error) {
      // The group was deleted by its last member leaving while this join ran.
      if ((error as { code?: unknown } | null)?.code === '23503') return null;
      throw error;
    }
    return rows[0] ? { groupId: rows[0].id, added: rows[0].added, lastSeq: rows[0].last_seq } : null;
  }

  /**
   * Removes a member; the group goes when its last member leaves. In one transaction that locks
   * the group row, so a join cannot slip in between the removal and the emptiness check.
   */
  async removeMember(name: string, userId: number): Promise<'removed' | 'not-member' | 'no-group'> {
    return this.db.transaction(async (tx) => {
      const groups = await tx.query<{ id: number }>(GROUP_SQL.lockGroup, [name]);
      if (groups.length === 0) return 'no-group';
      const groupId = groups[0].id;
      const removed = await tx.query(GROUP_SQL.removeMember, [groupId, userId]);
      if (removed.length === 0) return 'not-member';
      await tx.query(GROUP_SQL.deleteIfEmpty, [groupId]);
      return 'removed';
    });
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
