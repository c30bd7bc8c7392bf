import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { camelCased } from '../database/rows';

export interface UserRecord {
  id: number;
  username: string;
  passwordHash: string;
  status: boolean;
  registerTime: Date;
  lastLoginTime: Date | null;
  passwordErrorNum: number;
  passwordErrorLastTime: Date | null;
  tokenEpoch: number;
}

interface UserRow extends Record<string, unknown> {
  id: number;
  username: string;
  password_hash: string;
  status: boolean;
  register_time: Date;
  last_login_time: Date | null;
  password_error_num: number;
  password_error_last_time: Date | null;
  token_epoch: number;
}

const COLUMNS =
  'id, username, password_hash, status, register_time, last_login_time, password_error_num, password_error_last_time, token_epoch';

function toRecord(row: UserRow): UserRecord {
  return camelCased(row);
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

export interface UserFilter {
  username?: string;
  status?: boolean;
}

/**
 * Every statement of this repository, by name (the page query is built from its filter, see
 * `pageSql`). The plan-regression test (test/query-plans.cluster-spec.ts) explains each one on a
 * large database and fails when one is missing from its list.
 */
export const USER_SQL = {
  insert: 'INSERT INTO users (username, password_hash) VALUES ($1, $2)',
  findByUsername: `SELECT ${COLUMNS} FROM users WHERE username = $1`,
  reserveAttempt: `UPDATE users SET
         password_error_num = CASE
           WHEN password_error_last_time IS NULL OR password_error_last_time <= now() - make_interval(secs => $3::double precision / 1000)
           THEN 1 ELSE password_error_num + 1 END,
         password_error_last_time = now()
       WHERE id = $1
         AND NOT (password_error_num > $2 AND password_error_last_time > now() - make_interval(secs => $3::double precision / 1000))
       RETURNING password_error_num`,
  releaseAttempt: `UPDATE users SET
         last_login_time = CASE WHEN $3 THEN now() ELSE last_login_time END,
         password_error_last_time = CASE WHEN password_error_num = $2 THEN NULL ELSE password_error_last_time END,
         password_error_num = CASE WHEN password_error_num = $2 THEN 0 ELSE greatest(password_error_num - 1, 0) END
       WHERE id = $1`,
  recordTokenLogin: 'UPDATE users SET last_login_time = now() WHERE id = $1',
  isEnabled: 'SELECT status FROM users WHERE username = $1',
  setStatus: 'UPDATE users SET status = $2, token_epoch = token_epoch + CASE WHEN $2 THEN 0 ELSE 1 END WHERE username = $1 RETURNING id',
  bumpTokenEpoch: 'UPDATE users SET token_epoch = token_epoch + 1 WHERE id = $1 RETURNING token_epoch',
  changePassword: 'UPDATE users SET password_hash = $2, token_epoch = token_epoch + 1 WHERE id = $1 RETURNING token_epoch',
  idsOf: 'SELECT id, username FROM users WHERE username = ANY($1::text[])',
  namesOf: 'SELECT id, username FROM users WHERE id = ANY($1::int[])',
  lastSeenOf: 'SELECT username, last_seen FROM users WHERE username = ANY($1::text[])',
  /** Never moves back: instances may record the same user's offline times out of order. */
  recordLastSeen: 'UPDATE users SET last_seen = greatest(last_seen, $2::timestamptz) WHERE username = ANY($1::text[])',
} as const;

/**
 * The count and the page of /user/page for a filter, with their parameters. Unfiltered, both go by
 * the registration number (see the users-registration-number migration): the count is its highest
 * value and a page an index range, whatever the page's depth. A filter by status or username
 * substring counts and skips the matching rows (no index finds a substring).
 */
export function pageSql(
  filter: UserFilter,
  offset: number,
  limit: number,
): { count: string; page: string; params: unknown[]; pageParams: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.username) {
    params.push(`%${filter.username.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    conditions.push(`lower(username) LIKE $${params.length}`);
  }
  if (filter.status !== undefined) {
    params.push(filter.status);
    conditions.push(`status = $${params.length}`);
  }
  if (conditions.length === 0) {
    return {
      count: 'SELECT coalesce(max(reg_no), 0)::int AS total FROM users',
      page:
        `SELECT ${COLUMNS} FROM users ` +
        'WHERE reg_no <= (SELECT coalesce(max(reg_no), 0) FROM users) - $2::int ORDER BY reg_no DESC LIMIT $1',
      params: [],
      pageParams: [limit, offset],
    };
  }
  const where = `WHERE ${conditions.join(' AND ')}`;
  return {
    count: `SELECT count(*)::int AS total FROM users ${where}`,
    page: `SELECT ${COLUMNS} FROM users ${where} ORDER BY reg_no DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    params,
    pageParams: [...params, limit, offset],
  };
}

@Injectable()
export class UsersRepository {
  constructor(private readonly db: Database) {}

  /** Returns false when the name (in any letter case) is taken. */
  async insert(username: string, passwordHash: string): Promise<boolean> {
    try {
      await this.db.query(USER_SQL.insert, [username, passwordHash]);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const rows = await this.db.query<UserRow>(USER_SQL.findByUsername, [username]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Reserves a password attempt before the password is checked: counted in the same statement
   * that checks the lock, so parallel guesses past the limit are never judged. Returns the count
   * with this attempt, or null when the account is locked. A count older than the window restarts at 1.
   */
  async reserveAttempt(id: number, maxErrors: number, windowMs: number): Promise<number | null> {
    const rows = await this.db.query<{ password_error_num: number }>(USER_SQL.reserveAttempt, [id, maxErrors, windowMs]);
    return rows[0]?.password_error_num ?? null;
  }

  /**
   * Gives back an attempt that was not a wrong password (`loggedIn`: it was the right one). The
   * count restarts when nobody reserved one after it; otherwise only this attempt is taken off,
   * so a right password among parallel guesses does not reopen the door to them.
   */
  async releaseAttempt(id: number, reserved: number, loggedIn: boolean): Promise<void> {
    await this.db.query(USER_SQL.releaseAttempt, [id, reserved, loggedIn]);
  }

  async recordTokenLogin(id: number): Promise<void> {
    await this.db.query(USER_SQL.recordTokenLogin, [id]);
  }

  async isEnabled(username: string): Promise<boolean> {
    const rows = await this.db.query<{ status: boolean }>(USER_SQL.isEnabled, [username]);
    return rows[0]?.status === true;
  }

  /** A disable also revokes every token issued so far: enabling the user again does not revive them. */
  async setStatus(username: string, status: boolean): Promise<boolean> {
    const rows = await this.db.query(USER_SQL.setStatus, [username, status]);
    return rows.length > 0;
  }

  /** Revokes every token of the user; returns the new epoch. */
  async bumpTokenEpoch(id: number): Promise<number> {
    const rows = await this.db.query<{ token_epoch: number }>(USER_SQL.bumpTokenEpoch, [id]);
    return rows[0]?.token_epoch ?? 0;
  }

  /** Sets a new password and revokes every token issued before; returns the new epoch. */
  async changePassword(id: number, passwordHash: string): Promise<number> {
    const rows = await this.db.query<{ token_epoch: number }>(USER_SQL.changePassword, [id, passwordHash]);
    return rows[0]?.token_epoch ?? 0;
  }

  async page(filter: UserFilter, offset: number, limit: number): Promise<{ records: UserRecord[]; total: number }> {
    const sql = pageSql(filter, offset, limit);
    const [{ total }] = await this.db.query<{ total: number }>(sql.count, sql.params);
    const rows = await this.db.query<UserRow>(sql.page, sql.pageParams);
    return { records: rows.map(toRecord), total };
  }

  /** Ids of the registered users among `usernames`. */
  async idsOf(usernames: string[]): Promise<{ id: number; username: string }[]> {
    if (usernames.length === 0) return [];
    return this.db.query<{ id: number; username: string }>(USER_SQL.idsOf, [usernames]);
  }

  /** The registered users among `usernames`, with when each was last seen (null: not since this was recorded). */
  async lastSeenOf(usernames: string[]): Promise<{ username: string; lastSeen: Date | null }[]> {
    const rows = await this.db.query<{ username: string; last_seen: Date | string | null }>(USER_SQL.lastSeenOf, [usernames]);
    return rows.map((row) => ({ username: row.username, lastSeen: row.last_seen === null ? null : new Date(row.last_seen) }));
  }

  async recordLastSeen(usernames: string[], at: Date): Promise<void> {
    if (usernames.length === 0) return;
    await this.db.query(USER_SQL.recordLastSeen, [usernames, at.toISOString()]);
  }

  async namesOf(ids: number[]): Promise<{ id: number; username: string }[]> {
    if (ids.length === 0) return [];
    return this.db.query<{ id: number; username: string }>(USER_SQL.namesOf, [ids]);
  }
}
