import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { BusMessage } from '../cluster/bus';
import { DeliveryService } from '../cluster/delivery.service';
import { SessionSocket } from '../cluster/local-sessions';
import { PresenceChange, PresenceChanges } from '../cluster/presence-changes';
import { PresenceTransition, Registry } from '../cluster/registry';
import { Result, refused } from '../common/refusal';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { MessageType, PresenceEntry, PresenceFrame, RefusalCode } from '../protocol';
import { UsersService } from '../users/users.service';
import { usernameProblem } from '../users/user-rules';
import { PRESENCE_SUBSCRIPTIONS_MAX, PresenceReasons } from './presence-rules';

/** The connections of this instance that watch one user, and the latest change of that user they were sent. */
interface Watch {
  sessions: Set<SessionSocket>;
  version: number;
  /** The state of that change, and when (this service's tick) it arrived: a request running meanwhile answers with it. */
  state: PresenceEntry | null;
  tick: number;
}

/** Changes per bus message: a dead instance's users go out in a few messages to each instance, not one per user. */
const CHANGES_PER_MESSAGE = 1000;

/**
 * Presence: who is online (a session anywhere, from the registry), when they were last seen
 * (stored), and the pushes to the connections that subscribed. A change found on this instance
 * (a first bind, a last unbind, the janitor's purge) is sent once to every live instance over the
 * bus; each pushes it to its own subscribers through a username → sessions index.
 */
@Injectable()
export class PresenceService implements OnModuleInit {
  private readonly logger = new Logger(PresenceService.name);
  private readonly watches = new Map<string, Watch>();
  /** What each session of this instance subscribed to, so that its end drops it from the index. */
  private readonly subscriptions = new Map<SessionSocket, Set<string>>();
  private subscriptionCount = 0;
  private tick = 0;

  constructor(
    private readonly changes: PresenceChanges,
    private readonly registry: Registry,
    private readonly users: UsersService,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly delivery: DeliveryService,
  ) {}

  onModuleInit(): void {
    this.changes.onFound((transitions) => void this.announce(transitions));
    this.changes.onArrived((change) => this.arrived(change));
    this.changes.onSessionEnded((session) => this.unsubscribeAll(session));
  }

  /**
   * The presence of each of `usernames` (distinct, NFC already); with `session`, it also watches
   * them from now on. The subscription is made before the lookup, so that a change during it is
   * pushed and also answered.
   */
  async presence(usernames: string[], session: SessionSocket | null): Promise<Result<{ presence: PresenceEntry[] }>> {
    const start = this.tick;
    if (session) {
      const own = this.subscriptions.get(session);
      const added = usernames.filter((u) => !own?.has(u) && usernameProblem(u) === null);
      if ((own?.size ?? 0) + added.length > PRESENCE_SUBSCRIPTIONS_MAX) {
        return refused(RefusalCode.LimitExceeded, PresenceReasons.tooManySubscriptions);
      }
      this.subscribe(session, added);
    }
    const [sessions, lastSeen] = await Promise.all([this.registry.sessionsOf(usernames), this.users.lastSeenOf(usernames)]);
    const presence = usernames.map((username): PresenceEntry => {
      const watch = this.watches.get(username);
      if (watch?.state && watch.tick > start) return { ...watch.state };
      const online = (sessions.get(username)?.length ?? 0) > 0;
      return { username, online, lastSeen: online ? null : (lastSeen.get(username) ?? null) };
    });
    return { ok: true, presence };
  }

  private subscribe(session: SessionSocket, usernames: string[]): void {
    if (usernames.length === 0) return;
    let own = this.subscriptions.get(session);
    if (!own) this.subscriptions.set(session, (own = new Set()));
    for (const username of usernames) {
      own.add(username);
      let watch = this.watches.get(username);
      if (!watch) this.watches.set(username, (watch = { sessions: new Set(), version: 0, state: null, tick: 0 }));
      watch.sessions.add(session);
    }
    this.subscriptionCount += usernames.length;
    this.metrics.presenceSubscriptions.set(this.subscriptionCount);
  }

  private unsubscribeAll(session: SessionSocket): void {
    const own = this.subscriptions.get(session);
    if (!own) return;
    this.subscriptions.delete(session);
    for (const username of own) {
      const watch = this.watches.get(username);
      watch?.sessions.delete(session);
      if (watch?.sessions.size === 0) this.watches.delete(username);
    }
    this.subscriptionCount -= own.size;
    this.metrics.presenceSubscriptions.set(this.subscriptionCount);
  }

  /** Tells every live instance, this one included, about transitions found here; stores when the offline ones were last seen. */
  private async announce(transitions: PresenceTransition[]): Promise<void> {
    const now = new Date();
    const changes: PresenceChange[] = transitions.map((t) => ({ ...t, lastSeen: t.online ? null : now.toISOString() }));
    const offline = changes.filter((c) => !c.online).map((c) => c.username);
    this.metrics.presenceChanges.inc({ state: 'online' }, changes.length - offline.length);
    this.metrics.presenceChanges.inc({ state: 'offline' }, offline.length);
    // Stored before anyone is told, so that a PresenceRequest after an offline push answers the pushed lastSeen.
    await this.users
      .recordLastSeen(offline, now)
      .catch((error: unknown) => this.logger.warn(`Could not store when ${offline.length} users were last seen: ${String(error)}`));
    for (const change of changes) this.arrived(change);
    const messages: BusMessage[] = [];
    for (let i = 0; i < changes.length; i += CHANGES_PER_MESSAGE) {
      messages.push({ kind: 'presence', changes: changes.slice(i, i + CHANGES_PER_MESSAGE) });
    }
    await this.delivery.toOthers(messages, 'Presence changes');
  }

  /** Pushes a change to the sessions here that watch its user, unless a later change of that user came first. */
  private arrived(change: PresenceChange): void {
    const watch = this.watches.get(change.username);
    if (!watch || change.version <= watch.version) return;
    const entry: PresenceEntry = { username: change.username, online: change.online, lastSeen: change.lastSeen };
    watch.version = change.version;
    watch.state = entry;
    watch.tick = ++this.tick;
    const frame: PresenceFrame = { messageType: MessageType.Presence, sequenceId: 0, ...entry, time: new Date().toISOString() };
    const delivery = { frame: JSON.stringify(frame) };
    for (const session of watch.sessions) session.deliver(delivery);
  }
}
