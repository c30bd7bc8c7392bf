import { Inject, Injectable, Logger } from '@nestjs/common';
import { InstanceIdentity } from '../cluster/instance-identity';
import { AppConfig } from '../config/app-config';
import { newSessionId } from '../cluster/registry';
import { SessionsService } from '../cluster/sessions.service';
import { HasherBusyError } from '../auth/password-hasher';
import { Reasons, normalizeUsername } from '../users/user-rules';
import { AuthResult, UsersService } from '../users/users.service';
import { ChatConnection } from './chat-connection';
import { ClientFrame, FrameRefusal, MessageType, ResponseFields } from './frame';
import { FrameRoute, FrameRoutes } from './frame-route';
import { OFFLINE_SOURCES, OfflineSource } from '../common/offline-source';

const REPLAY_PAGE = 500;
const UNAVAILABLE = 'Service temporarily unavailable, please try again';

/** Ping, Register and Login, and the session a login binds. */
@Injectable()
export class SessionFrames implements FrameRoutes {
  private readonly logger = new Logger('Sessions');

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly identity: InstanceIdentity,
    private readonly config: AppConfig,
    @Inject(OFFLINE_SOURCES) private readonly offline: OfflineSource[],
  ) {}

  routes(): FrameRoute[] {
    return [
      {
        requestType: MessageType.Ping,
        responseType: MessageType.Pong,
        public: true,
        // Echoed only as a number or a string: a structure could be too deep to write back.
        handle: (_connection, frame) => ({ requestTime: typeof frame.requestTime === 'number' || typeof frame.requestTime === 'string' ? frame.requestTime : null }),
      },
      {
        requestType: MessageType.RegisterRequest,
        responseType: MessageType.RegisterResponse,
        public: true,
        handle: async (_connection, frame) => {
          const result = await this.users.register(frame.username, frame.password);
          return result.ok ? { success: true, reason: null } : { success: false, reason: result.reason };
        },
      },
      {
        requestType: MessageType.LoginRequest,
        responseType: MessageType.LoginResponse,
        public: true,
        handle: (connection, frame) => this.login(connection, frame),
      },
    ];
  }

  /** `?token=` at connect: a LoginResponse with sequenceId 0 before anything else. */
  async loginOnConnect(connection: ChatConnection, token: string): Promise<void> {
    try {
      const result = await this.authenticate(connection, () => this.users.loginWithToken(token));
      if (!result.ok) connection.send(this.loginResponse(0, result));
      else await this.establish(connection, result, 0);
    } catch (error) {
      this.logger.error(`Login at connect failed: ${String(error)}`);
      connection.send(this.loginResponse(0, { ok: false, reason: UNAVAILABLE }));
    }
  }

  async disconnected(connection: ChatConnection): Promise<void> {
    if (connection.username === null) return;
    await this.sessions.unbind(connection).catch((error: unknown) => this.logger.warn(`Unbind failed: ${String(error)}`));
  }

  async unbindAll(connections: ChatConnection[]): Promise<void> {
    await Promise.all(connections.map((c) => this.disconnected(c)));
  }

  private async login(connection: ChatConnection, frame: ClientFrame): Promise<ResponseFields | void> {
    const byToken = frame.token !== undefined && frame.username === undefined && frame.password === undefined;
    if (!byToken && connection.username !== null && typeof frame.username === 'string' && normalizeUsername(frame.username) !== connection.username) {
      return this.loginFields({ ok: false, reason: Reasons.alreadyLoggedIn });
    }
    const result = await this.authenticate(connection, () =>
      byToken ? this.users.loginWithToken(frame.token) : this.users.login(frame.username, frame.password),
    );
    if (!result.ok) return this.loginFields(result);
    if (connection.username === result.username) return this.loginFields(result);
    await this.establish(connection, result, frame.sequenceId);
  }

  private async authenticate(connection: ChatConnection, check: () => Promise<AuthResult>): Promise<AuthResult> {
    if (connection.loggingIn) throw new FrameRefusal('A login is already in progress on this connection');
    connection.loggingIn = true;
    try {
      let result: AuthResult;
      try {
        result = await check();
      } catch (error) {
        if (error instanceof HasherBusyError) return { ok: false, reason: error.message };
        throw error;
      }
      if (result.ok && connection.username !== null && connection.username !== result.username) {
        return { ok: false, reason: Reasons.alreadyLoggedIn };
      }
      return result;
    } finally {
      connection.loggingIn = false;
    }
  }

  /** Binds the session, answers, then replays what was stored while the user was away, then goes live. */
  private async establish(connection: ChatConnection, result: AuthResult & { ok: true }, sequenceId: number): Promise<void> {
    connection.username = result.username;
    connection.sessionId = newSessionId(this.identity.id);
    connection.beginReplay();
    try {
      await this.sessions.bind(connection);
    } catch (error) {
      this.logger.error(`Binding a session of ${result.username} failed: ${String(error)}`);
      connection.username = null;
      connection.abortReplay();
      connection.send(this.loginResponse(sequenceId, { ok: false, reason: UNAVAILABLE }));
      return;
    }
    try {
      if (!connection.isOpen) {
        await this.sessions.unbind(connection);
        return;
      }
      // A disable that ran while this login was checked found no session to close: look again.
      if (this.sessions.kickedRecently(result.username) && !(await this.users.isEnabled(result.username))) {
        await this.sessions.unbind(connection);
        connection.username = null;
          connection.abortReplay();
        connection.send(this.loginResponse(sequenceId, { ok: false, reason: Reasons.disabled }));
        return;
      }
      connection.send(this.loginResponse(sequenceId, result));
      await this.replayPending(connection, result.username);
    } catch (error) {
      // What was not replayed stays unacknowledged: the next login sends it.
      this.logger.error(`Offline replay for ${result.username} failed: ${String(error)}`);
    } finally {
      connection.endReplay();
    }
  }

  /**
   * Sends a logged-in connection what is stored for it and not acknowledged, again: after the
   * bus between instances was down, deliveries may have been lost on the way.
   */
  async resync(connection: ChatConnection): Promise<void> {
    const username = connection.username;
    if (username === null || !connection.isOpen) return;
    connection.beginReplay();
    try {
      await this.replayPending(connection, username);
    } catch (error) {
      this.logger.error(`Resync for ${username} failed: ${String(error)}`);
    } finally {
      connection.endReplay();
    }
  }

  private async replayPending(connection: ChatConnection, username: string): Promise<void> {
    const replays = await Promise.all(this.offline.map((source) => source.open(username)));
    for (const replay of replays) for (const [stream, next] of replay.nextSeqs) connection.expectSeq(stream, next);
    for (const replay of replays) {
      let after: string | null = null;
      while (connection.isOpen) {
        const page = await replay.page(after, REPLAY_PAGE);
        for (const message of page) {
          await connection.writable(this.config.wsIdleTimeoutMs);
          connection.replay(message);
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
      : { success: false, reason: result.reason, username: null, token: null };
  }
}
