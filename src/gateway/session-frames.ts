import { Inject, Injectable, Logger } from '@nestjs/common';
import { InstanceIdentity } from '../cluster/instance-identity';
import { AppConfig } from '../config/app-config';
import { newSessionId } from '../cluster/registry';
import { SessionsService } from '../cluster/sessions.service';
import { HasherBusyError } from '../auth/password-hasher';
import { Reasons, normalizeUsername } from '../users/user-rules';
import { AuthResult, UsersService } from '../users/users.service';
import { MetricsService, startedAtZero } from '../metrics/metrics.service';
import { ChatConnection } from './chat-connection';
import { Refused, refused } from '../common/refusal';
import { ClientFrame, FrameRefusal, ResponseFields } from '../handlers/frame';
import { FrameRoute, FrameRoutes } from '../handlers/frame-route';
import { CloseCode, MessageType, RefusalCode } from '../protocol';
import { OFFLINE_SOURCES, OfflineSource, PendingProbe } from '../common/offline-source';
import { LimitOutcome, RateLimitsService } from '../limits/rate-limits.service';

const REPLAY_PAGE = 500;
const UNAVAILABLE = 'Service temporarily unavailable, please try again';

function tooMany(outcome: LimitOutcome & { ok: false }): Refused {
  return refused(RefusalCode.RateLimited, `Too many attempts, please try again in ${outcome.retryAfterSeconds} s`);
}

const unavailable = (): Refused => refused(RefusalCode.ServerBusy, UNAVAILABLE, 'unavailable');

/** What a login ends in, for chat_logins_total: `ok`, or the code of its refusal (`internal` when it failed). */
export const LOGIN_OUTCOMES = [
  'ok',
  RefusalCode.InvalidArgument,
  RefusalCode.BadCredentials,
  RefusalCode.AccountLocked,
  RefusalCode.AccountDisabled,
  RefusalCode.Unauthorized,
  RefusalCode.RateLimited,
  RefusalCode.Conflict,
  RefusalCode.ServerBusy,
  RefusalCode.Internal,
] as const;
type LoginOutcome = (typeof LOGIN_OUTCOMES)[number];

/** Ping, Register and Login, and the session a login binds. */
@Injectable()
export class SessionFrames implements FrameRoutes<ChatConnection> {
  private readonly logger = new Logger('Sessions');
  /** Counters by login outcome, looked up once rather than per login. */
  private readonly logins: Record<LoginOutcome, { inc(): void }>;

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly identity: InstanceIdentity,
    private readonly config: AppConfig,
    @Inject(OFFLINE_SOURCES) private readonly offline: OfflineSource[],
    private readonly probe: PendingProbe,
    private readonly limits: RateLimitsService,
    private readonly metrics: MetricsService,
  ) {
    const children = LOGIN_OUTCOMES.map((outcome) => [outcome, startedAtZero(this.metrics.logins, outcome)]);
    this.logins = Object.fromEntries(children) as Record<LoginOutcome, { inc(): void }>;
  }

  routes(): FrameRoute<ChatConnection>[] {
    return [
      {
        requestType: MessageType.Ping,
        public: true,
        // Echoed only as a number or a string: a structure could be too deep to write back.
        handle: (_connection, frame) => ({
          requestTime: typeof frame.requestTime === 'number' || typeof frame.requestTime === 'string' ? frame.requestTime : null,
        }),
      },
      {
        requestType: MessageType.RegisterRequest,
        public: true,
        handle: async (connection, frame) => {
          const limited = await this.limits.consume('registerPerAddress', connection.remoteAddress);
          if (!limited.ok) throw FrameRefusal.of(tooMany(limited));
          const result = await this.users.register(frame.username, frame.password);
          if (!result.ok) throw FrameRefusal.of(result);
          return { success: true, reason: null };
        },
      },
      {
        requestType: MessageType.LoginRequest,
        public: true,
        handle: (connection, frame) => this.login(connection, frame),
      },
      {
        requestType: MessageType.LogoutRequest,
        handle: (connection, frame) => this.logout(connection, frame),
      },
      {
        requestType: MessageType.ChangePasswordRequest,
        handle: (connection, frame) => this.changePassword(connection, frame),
      },
    ];
  }

  /**
   * Revokes every token of the user (a per-user epoch), ends this session and, with
   * `everywhere`, closes the user's other sessions with a Notice and CloseCode.Disabled. The connection stays
   * open, logged out.
   */
  private async logout(connection: ChatConnection, frame: ClientFrame): Promise<ResponseFields> {
    if (frame.everywhere !== undefined && frame.everywhere !== null && typeof frame.everywhere !== 'boolean') {
      throw new FrameRefusal(RefusalCode.InvalidArgument, 'everywhere must be true or false');
    }
    const username = connection.username!;
    await this.users.logout(username);
    if (frame.everywhere === true)
      await this.sessions.kickOthers(username, connection.sessionId, CloseCode.Disabled, Reasons.loggedOutEverywhere);
    await this.sessions.unbind(connection);
    connection.loggedOut(this.config.ws.loginTimeoutMs);
    return { success: true, reason: null };
  }

  /** A new password and a token of the new epoch for this session; the user's other sessions get a Notice and CloseCode.Disabled. */
  private async changePassword(connection: ChatConnection, frame: ClientFrame): Promise<ResponseFields> {
    const username = connection.username!;
    const limited = await this.limits.consume('loginPerUsername', username.toLowerCase());
    if (!limited.ok) throw FrameRefusal.of(tooMany(limited));
    let result: AuthResult;
    try {
      result = await this.users.changePassword(username, frame.oldPassword, frame.newPassword);
    } catch (error) {
      if (error instanceof HasherBusyError) throw new FrameRefusal(RefusalCode.ServerBusy, error.message);
      throw error;
    }
    if (!result.ok) throw FrameRefusal.of(result);
    await this.sessions.kickOthers(username, connection.sessionId, CloseCode.Disabled, Reasons.passwordChanged);
    return { success: true, reason: null, token: result.token };
  }

  /** `?token=` at connect: a LoginResponse with sequenceId 0 before anything else. */
  async loginOnConnect(connection: ChatConnection, token: string): Promise<void> {
    let refusal: Refused | null;
    try {
      const result = await this.authenticate(connection, () => this.users.loginWithToken(token));
      refusal = result.ok ? await this.establish(connection, result, 0) : result;
    } catch (error) {
      this.logger.error(`Login at connect failed: ${String(error)}`);
      refusal = unavailable();
    }
    this.countLogin(refusal);
    if (refusal) connection.send(this.loginResponse(0, refusal));
  }

  async disconnected(connection: ChatConnection): Promise<void> {
    if (connection.username === null) return;
    await this.sessions.unbind(connection).catch((error: unknown) => this.logger.warn(`Unbind failed: ${String(error)}`));
  }

  async unbindAll(connections: ChatConnection[]): Promise<void> {
    await Promise.all(connections.map((c) => this.disconnected(c)));
  }

  /** Counts every login by its outcome; the gateway answers a refusal returned here and an error thrown. */
  private async login(connection: ChatConnection, frame: ClientFrame): Promise<ResponseFields | void> {
    let refusal: Refused | null;
    try {
      refusal = await this.tryLogin(connection, frame);
    } catch (error) {
      this.logins[RefusalCode.Internal].inc();
      throw error;
    }
    this.countLogin(refusal);
    if (refusal) return this.loginFields(refusal);
  }

  private countLogin(refusal: Refused | null): void {
    const outcome = (refusal?.code ?? 'ok') as LoginOutcome;
    (this.logins[outcome] ?? this.logins[RefusalCode.Internal]).inc();
  }

  /** Returns the refusal, or null once the LoginResponse is sent. */
  private async tryLogin(connection: ChatConnection, frame: ClientFrame): Promise<Refused | null> {
    const byToken = frame.token !== undefined && frame.username === undefined && frame.password === undefined;
    if (
      !byToken &&
      connection.username !== null &&
      typeof frame.username === 'string' &&
      normalizeUsername(frame.username) !== connection.username
    ) {
      return refused(RefusalCode.Conflict, Reasons.alreadyLoggedIn);
    }
    if (!byToken) {
      // Password guesses are limited per address and per account; a token cannot be guessed.
      const limited = await this.limitPasswordLogin(connection, frame.username);
      if (limited) return limited;
    }
    const result = await this.authenticate(connection, () =>
      byToken ? this.users.loginWithToken(frame.token) : this.users.login(frame.username, frame.password),
    );
    if (!result.ok) return result;
    if (connection.username !== result.username) return this.establish(connection, result, frame.sequenceId);
    connection.send(this.loginResponse(frame.sequenceId, result));
    return null;
  }

  private async limitPasswordLogin(connection: ChatConnection, username: unknown): Promise<Refused | null> {
    const byAddress = await this.limits.consume('loginPerAddress', connection.remoteAddress);
    if (!byAddress.ok) return tooMany(byAddress);
    if (typeof username !== 'string' || username === '') return null;
    const byName = await this.limits.consume('loginPerUsername', normalizeUsername(username).toLowerCase().slice(0, 64));
    return byName.ok ? null : tooMany(byName);
  }

  private async authenticate(connection: ChatConnection, check: () => Promise<AuthResult>): Promise<AuthResult> {
    if (!connection.beginLogin()) return refused(RefusalCode.Conflict, 'A login is already in progress on this connection');
    try {
      let result: AuthResult;
      try {
        result = await check();
      } catch (error) {
        if (error instanceof HasherBusyError) return refused(RefusalCode.ServerBusy, error.message, 'unavailable');
        throw error;
      }
      if (result.ok && connection.username !== null && connection.username !== result.username) {
        return refused(RefusalCode.Conflict, Reasons.alreadyLoggedIn);
      }
      return result;
    } finally {
      connection.endLogin();
    }
  }

  /**
   * Binds the session, answers, then replays what was stored while the user was away, then goes
   * live. Returns the refusal the caller answers when the session could not be bound, else null.
   */
  private async establish(connection: ChatConnection, result: AuthResult & { ok: true }, sequenceId: number): Promise<Refused | null> {
    connection.loggedIn(result.username, newSessionId(this.identity.id));
    const replay = connection.beginReplay();
    let again: boolean;
    try {
      await this.sessions.bind(connection);
    } catch (error) {
      this.logger.error(`Binding a session of ${result.username} failed: ${String(error)}`);
      connection.loginUndone();
      return unavailable();
    }
    try {
      if (!connection.isOpen) {
        await this.sessions.unbind(connection);
        return null;
      }
      // A disable that ran while this login was checked found no session to close: look again.
      if (this.sessions.kickedRecently(result.username) && !(await this.users.isEnabled(result.username))) {
        await this.sessions.unbind(connection);
        connection.loginUndone();
        return refused(RefusalCode.AccountDisabled, Reasons.disabled);
      }
      connection.send(this.loginResponse(sequenceId, result));
      await this.replayPending(connection, result.username, this.metrics.deliveredOffline);
    } catch (error) {
      // What was not replayed stays unacknowledged: the next login sends it.
      this.logger.error(`Offline replay for ${result.username} failed: ${String(error)}`);
    } finally {
      again = connection.endReplay(replay);
    }
    if (again) await this.resync(connection);
    return null;
  }

  /**
   * Sends a logged-in connection what is stored for it and not acknowledged, again: after the
   * bus between instances was down, deliveries may have been lost on the way.
   */
  async resync(connection: ChatConnection): Promise<void> {
    const username = connection.username;
    if (username === null || !connection.isOpen) return;
    // A replay running (a login's, or another resync) holds the live deliveries: it runs this one after it.
    const replay = connection.beginReplay();
    if (replay === 0) return;
    try {
      await this.replayPending(connection, username, this.metrics.deliveredResync);
    } catch (error) {
      this.logger.error(`Resync for ${username} failed: ${String(error)}`);
    }
    if (connection.endReplay(replay)) await this.resync(connection);
  }

  /** `delivered`: counts each message written, by the path it took (a login's replay or a resync). */
  private async replayPending(connection: ChatConnection, username: string, delivered: { inc(): void }): Promise<void> {
    // One statement says what is pending; a source with nothing reads no page.
    const pending = await this.probe.pendingOf(username);
    const replays = await Promise.all(this.offline.map((source) => source.open(username, pending)));
    for (const replay of replays) for (const [stream, next] of replay.nextSeqs) connection.expectSeq(stream, next);
    for (const replay of replays) {
      let after: string | null = null;
      while (connection.isOpen && connection.username === username) {
        const page = await replay.page(after, REPLAY_PAGE);
        for (const message of page) {
          await connection.writable(this.config.ws.idleTimeoutMs);
          connection.replay(message);
          delivered.inc();
        }
        if (page.length < REPLAY_PAGE) break;
        after = page[page.length - 1].messageId;
      }
    }
  }

  private loginResponse(sequenceId: number, result: AuthResult): ResponseFields {
    return { messageType: MessageType.LoginResponse, sequenceId, ...this.loginFields(result) };
  }

  private loginFields(result: AuthResult): ResponseFields {
    return result.ok
      ? { success: true, reason: null, username: result.username, token: result.token }
      : { success: false, reason: result.reason, code: result.code, username: null, token: null };
  }
}
