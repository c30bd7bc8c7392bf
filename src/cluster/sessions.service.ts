import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { CloseCode } from '../protocol';
import { Bus } from './bus';
import { DeliveryService } from './delivery.service';
import { InstanceIdentity } from './instance-identity';
import { LocalSessions, SessionSocket } from './local-sessions';
import { PresenceChanges } from './presence-changes';
import { BindResult, Registry, SessionRef } from './registry';

/** Longer than any login takes between its account check and its session bind. */
const RECENT_KICK_MS = 60_000;

/** Binds logged-in connections in the registry and closes sessions anywhere in the cluster. */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);
  private readonly recentKicks = new Map<string, number>();

  /** The sessions here, the sessions everywhere, and the way to the instances that hold the others. */
  constructor(
    private readonly local: LocalSessions,
    private readonly registry: Registry,
    private readonly bus: Bus,
    private readonly identity: InstanceIdentity,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly presence: PresenceChanges,
    private readonly delivery: DeliveryService,
  ) {}

  /** Binds a new session; the oldest ones past MAX_SESSIONS_PER_USER get a Notice and CloseCode.Replaced. */
  async bind(socket: SessionSocket): Promise<void> {
    this.local.add(socket);
    let bound: BindResult;
    try {
      bound = await this.registry.bind(this.ref(socket), this.config.limits.maxSessionsPerUser);
    } catch (error) {
      this.local.remove(socket);
      throw error;
    }
    this.delivery.sessionChanged(socket.username ?? '');
    if (bound.cameOnline) this.presence.foundHere([bound.cameOnline]);
    for (const session of bound.evicted) {
      void this.kickSession(session, CloseCode.Replaced, 'Signed in on too many devices: this older session was closed');
    }
  }

  /** Ends a session (a close, a logout); the user goes offline when it was their last one anywhere. */
  async unbind(socket: SessionSocket): Promise<void> {
    if (!this.local.remove(socket)) return;
    this.presence.sessionEnded(socket);
    const wentOffline = await this.registry.unbind(this.ref(socket));
    this.delivery.sessionChanged(socket.username ?? '');
    if (wentOffline) this.presence.foundHere([wentOffline]);
  }

  /**
   * Re-binds every local session, after the registry lost its state (a Redis restart) or purged
   * this instance as dead: users found nowhere meanwhile come online again.
   */
  async rebindAll(): Promise<void> {
    for (const socket of this.local.all()) {
      const bound = await this.registry.bind(this.ref(socket), this.config.limits.maxSessionsPerUser);
      this.delivery.sessionChanged(socket.username ?? '');
      if (bound.cameOnline) this.presence.foundHere([bound.cameOnline]);
    }
  }

  async kickSession(session: SessionRef, code: number, reason: string): Promise<void> {
    if (session.instanceId === this.identity.id) {
      this.local.session(session.sessionId)?.kick(code, reason);
      return;
    }
    await this.bus
      .publish(session.instanceId, { kind: 'kick', username: session.username, sessionId: session.sessionId, code, reason })
      .catch((error: unknown) => this.unreachable(session.instanceId, error));
  }

  private unreachable(instanceId: string, error: unknown): void {
    this.metrics.busPublishFailures.inc();
    this.logger.warn(`Could not reach instance ${instanceId}: ${String(error)}`);
  }

  /** Closes every session of a user on every live instance (a disable). */
  async kickUser(username: string, code: number, reason: string, liveInstanceIds: string[]): Promise<void> {
    this.kickLocal(username, code, reason);
    await Promise.all(
      liveInstanceIds
        .filter((id) => id !== this.identity.id)
        .map((id) => this.bus.publish(id, { kind: 'kick', username, code, reason }).catch((error: unknown) => this.unreachable(id, error))),
    );
  }

  /** Closes every session of a user but `keepSessionId` (a logout everywhere, a password change), wherever they are. */
  async kickOthers(username: string, keepSessionId: string, code: number, reason: string): Promise<void> {
    for (const socket of [...this.local.ofUser(username)]) if (socket.sessionId !== keepSessionId) socket.kick(code, reason);
    let sessions: SessionRef[];
    try {
      sessions = (await this.registry.sessionsOf([username])).get(username) ?? [];
    } catch (error) {
      // Their tokens are revoked already: they cannot come back, they only stay until they close.
      this.logger.warn(`Could not look up the other sessions of ${username}: ${String(error)}`);
      return;
    }
    await Promise.all(
      sessions
        .filter((s) => s.sessionId !== keepSessionId && s.instanceId !== this.identity.id)
        .map((s) => this.kickSession(s, code, reason)),
    );
  }

  kickLocal(username: string, code: number, reason: string, sessionId?: string): void {
    if (!sessionId) this.rememberKick(username);
    if (sessionId) {
      const socket = this.local.session(sessionId);
      if (socket?.username === username) socket.kick(code, reason);
      return;
    }
    for (const socket of [...this.local.ofUser(username)]) socket.kick(code, reason);
  }

  /**
   * True when every session of this user was closed lately (a disable reached this instance):
   * a login that was being checked meanwhile must look at the account again.
   */
  kickedRecently(username: string): boolean {
    const at = this.recentKicks.get(username);
    return at !== undefined && Date.now() - at < RECENT_KICK_MS;
  }

  private rememberKick(username: string): void {
    const now = Date.now();
    if (this.recentKicks.size > 10_000) {
      for (const [name, at] of this.recentKicks) if (now - at >= RECENT_KICK_MS) this.recentKicks.delete(name);
    }
    this.recentKicks.set(username, now);
  }

  private ref(socket: SessionSocket): SessionRef {
    return { username: socket.username ?? '', sessionId: socket.sessionId, instanceId: this.identity.id };
  }
}
