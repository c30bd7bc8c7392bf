import { Injectable } from '@nestjs/common';
import { HasherBusyError, PasswordHasher } from '../auth/password-hasher';
import { TokenService } from '../auth/token.service';
import { ClusterService } from '../cluster/cluster.service';
import { SessionsService } from '../cluster/sessions.service';
import { CloseCode, RefusalCode } from '../protocol';
import { Refused, Result, refused } from '../common/refusal';
import { AppConfig } from '../config/app-config';
import { Reasons, isReserved, normalizeUsername, passwordProblem, usernameProblem } from './user-rules';
import { UserFilter, UserRecord, UsersRepository } from './users.repository';

export type AuthResult = Result<{ username: string; token: string }>;

/** A page of users, newest registration first. */
export interface UserPage {
  records: UserRecord[];
  total: number;
  size: number;
  current: number;
}

const PAGE_SIZE_MAX = 100;
const KNOWN_USERS_MAX = 200_000;

/** A locked account gets its own code, with the same reason whatever the password was (§4.1). */
function wrongOrLocked(verdict: 'wrong' | 'locked'): Refused {
  if (verdict === 'locked') return refused(RefusalCode.AccountLocked, Reasons.locked);
  return refused(RefusalCode.BadCredentials, Reasons.wrongPassword);
}

@Injectable()
export class UsersService {
  /** Users are never deleted nor renamed, so a name and id once seen stay true. */
  private readonly idByName = new Map<string, number>();
  private readonly nameById = new Map<number, string>();

  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly sessions: SessionsService,
    private readonly cluster: ClusterService,
  ) {}

  async register(username: unknown, password: unknown): Promise<Result> {
    if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
      return refused(RefusalCode.InvalidArgument, Reasons.usernameAndPasswordRequired);
    }
    const name = normalizeUsername(username);
    const problem = usernameProblem(name) ?? passwordProblem(password);
    if (problem) return refused(RefusalCode.InvalidArgument, problem);
    if (isReserved(name)) return refused(RefusalCode.InvalidArgument, Reasons.usernameReserved);
    // A cheap look first: hashing is the expensive part, and a taken name needs none.
    if (await this.users.findByUsername(name)) return refused(RefusalCode.Conflict, Reasons.usernameTaken);
    let hash: string;
    try {
      hash = await this.hasher.hash(password);
    } catch (error) {
      if (error instanceof HasherBusyError) return refused(RefusalCode.ServerBusy, error.message, 'unavailable');
      throw error;
    }
    const inserted = await this.users.insert(name, hash);
    return inserted ? { ok: true } : refused(RefusalCode.Conflict, Reasons.usernameTaken);
  }

  /** Password login, checked in the order of docs/protocol.md §4.1. */
  async login(username: unknown, password: unknown): Promise<AuthResult> {
    if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
      return refused(RefusalCode.InvalidArgument, Reasons.usernameAndPasswordRequired);
    }
    const name = normalizeUsername(username);
    const lengthProblem = usernameProblem(name) === Reasons.usernameLength ? Reasons.usernameLength : passwordProblem(password);
    if (lengthProblem) return refused(RefusalCode.InvalidArgument, lengthProblem);
    const user = await this.findByUsername(name);
    if (!user) return refused(RefusalCode.BadCredentials, Reasons.userNotFound);
    const verdict = await this.judge(user, password, user.status);
    if (verdict !== 'right') return wrongOrLocked(verdict);
    if (!user.status) return refused(RefusalCode.AccountDisabled, Reasons.disabled);
    return { ok: true, username: user.username, token: this.tokens.sign(user.username, user.tokenEpoch) };
  }

  /**
   * Checks a password. The attempt is reserved before hashing, in the statement that checks the
   * lock: a guess that finds the account locked is never judged, and its answer does not depend
   * on the password. `loggedIn`: a right password records a login.
   */
  private async judge(user: UserRecord, password: string, loggedIn: boolean): Promise<'right' | 'wrong' | 'locked'> {
    const reserved = await this.users.reserveAttempt(user.id, this.config.auth.lockoutMaxErrors, this.lockoutWindowMs);
    if (reserved === null) return 'locked';
    let right: boolean;
    try {
      right = await this.hasher.verify(user.passwordHash, password);
    } catch (error) {
      await this.users.releaseAttempt(user.id, reserved, false);
      throw error;
    }
    if (!right) return 'wrong';
    await this.users.releaseAttempt(user.id, reserved, loggedIn);
    return 'right';
  }

  /** Ends the user's sessions' tokens: every token issued so far is refused from now on. */
  async logout(username: string): Promise<void> {
    const user = await this.findByUsername(username);
    if (user) await this.users.bumpTokenEpoch(user.id);
  }

  /** Checks the old password (it counts towards the lockout), sets the new one and returns a token of the new epoch. */
  async changePassword(username: string, oldPassword: unknown, newPassword: unknown): Promise<AuthResult> {
    if (typeof oldPassword !== 'string' || typeof newPassword !== 'string' || !oldPassword || !newPassword) {
      return refused(RefusalCode.InvalidArgument, Reasons.passwordsRequired);
    }
    const problem = passwordProblem(newPassword);
    if (problem) return refused(RefusalCode.InvalidArgument, problem);
    if (oldPassword === newPassword) return refused(RefusalCode.InvalidArgument, Reasons.samePassword);
    const user = await this.findByUsername(username);
    if (!user) return refused(RefusalCode.NotFound, Reasons.userNotFound);
    const verdict = await this.judge(user, oldPassword, false);
    if (verdict !== 'right') return wrongOrLocked(verdict);
    const epoch = await this.users.changePassword(user.id, await this.hasher.hash(newPassword));
    return { ok: true, username: user.username, token: this.tokens.sign(user.username, epoch) };
  }

  /** Token login: refused for a user who no longer exists or is disabled. */
  async loginWithToken(token: unknown): Promise<AuthResult> {
    const check = this.tokens.verify(token);
    if (!check.ok) return check;
    const user = await this.findByUsername(check.username);
    if (!user) return refused(RefusalCode.Unauthorized, Reasons.tokenUserGone);
    if (!user.status) return refused(RefusalCode.AccountDisabled, Reasons.disabled);
    if (check.epoch !== user.tokenEpoch) return refused(RefusalCode.Unauthorized, Reasons.tokenRevoked);
    // Only a record for the admin: the login does not wait for it.
    void this.users.recordTokenLogin(user.id).catch(() => undefined);
    return { ok: true, username: user.username, token: this.tokens.sign(user.username, user.tokenEpoch) };
  }

  async isEnabled(username: string): Promise<boolean> {
    return this.users.isEnabled(username);
  }

  async getUser(username: string): Promise<Result<{ user: UserRecord }>> {
    const user = await this.findByUsername(normalizeUsername(username));
    if (!user) return refused(RefusalCode.NotFound, Reasons.userNotFound);
    return { ok: true, user };
  }

  async page(filter: UserFilter, current = 1, size = 20): Promise<UserPage> {
    const pageSize = Math.min(size, PAGE_SIZE_MAX);
    const { records, total } = await this.users.page(filter, (current - 1) * pageSize, pageSize);
    return { records, total, size: pageSize, current };
  }

  /** Enables or disables; a disable closes the user's live connections on every instance. */
  async setStatus(username: string, enabled: boolean): Promise<Result> {
    const name = normalizeUsername(username);
    if (usernameProblem(name) || !(await this.users.setStatus(name, enabled))) return refused(RefusalCode.NotFound, Reasons.userNotFound);
    if (!enabled) {
      const live = await this.cluster.liveInstances();
      await this.sessions.kickUser(
        name,
        CloseCode.Disabled,
        Reasons.disabled,
        live.map((i) => i.id),
      );
    }
    return { ok: true };
  }

  async exists(username: string): Promise<boolean> {
    // Every send asks this about its recipient: a name seen before needs no lookup.
    if (this.idByName.has(username)) return true;
    return (await this.existing([username])).has(username);
  }

  /** The subset of `usernames` that are registered. */
  async existing(usernames: string[]): Promise<Set<string>> {
    return new Set((await this.idsOf(usernames)).keys());
  }

  /** Ids of the registered users among `usernames`. */
  async idsOf(usernames: string[]): Promise<Map<string, number>> {
    // A name that breaks the rules was never registered; the database need not be asked (nor see a NUL).
    const unknown = usernames.filter((u) => !this.idByName.has(u) && usernameProblem(u) === null);
    if (unknown.length > 0) this.remember(await this.users.idsOf([...new Set(unknown)]));
    return known(usernames, this.idByName);
  }

  /** When each registered user among `usernames` was last seen offline (ISO-8601, or null); names of nobody are left out. */
  async lastSeenOf(usernames: string[]): Promise<Map<string, string | null>> {
    const valid = usernames.filter((u) => usernameProblem(u) === null);
    if (valid.length === 0) return new Map();
    const rows = await this.users.lastSeenOf(valid);
    return new Map(rows.map((row) => [row.username, row.lastSeen?.toISOString() ?? null]));
  }

  /** Records that these users' last sessions ended at `at`. */
  async recordLastSeen(usernames: string[], at: Date): Promise<void> {
    if (usernames.length > 0) await this.users.recordLastSeen(usernames, at);
  }

  /** Usernames of these user ids (ids of no user are left out). */
  async namesOf(ids: number[]): Promise<Map<number, string>> {
    const unknown = ids.filter((id) => !this.nameById.has(id));
    if (unknown.length > 0) this.remember(await this.users.namesOf([...new Set(unknown)]));
    return known(ids, this.nameById);
  }

  private remember(users: { id: number; username: string }[]): void {
    if (this.idByName.size > KNOWN_USERS_MAX) {
      this.idByName.clear();
      this.nameById.clear();
    }
    for (const { id, username } of users) {
      this.idByName.set(username, id);
      this.nameById.set(id, username);
    }
  }

  private findByUsername(username: string): Promise<UserRecord | null> {
    return usernameProblem(username) === null ? this.users.findByUsername(username) : Promise.resolve(null);
  }

  private get lockoutWindowMs(): number {
    return this.config.auth.lockoutMinutes * 60_000;
  }
}

/** The entries of `cache` for those of `keys` it holds, in the order of `keys`. */
function known<K, V>(keys: K[], cache: Map<K, V>): Map<K, V> {
  const found = new Map<K, V>();
  for (const key of keys) {
    const value = cache.get(key);
    if (value !== undefined) found.set(key, value);
  }
  return found;
}
