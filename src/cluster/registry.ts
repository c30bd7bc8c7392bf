import { StatsReading } from './stats-types';

/** A live instance as the registry knows it. */
export interface InstanceInfo {
  id: string;
  /** `ip:port`, what clients and siblings use to reach it. */
  host: string;
  ip: string;
  port: number;
  /** The WebSocket URL clients are sent to (PUBLIC_URL); a record without one is read as `ws://host/ws`. */
  url: string;
  users: number;
  connections: number;
  startedAt: number;
  lastSeen: number;
  /** Shutting down: moving its clients away, taking no new ones. */
  draining: boolean;
}

/** Where clients reach an instance that sets no PUBLIC_URL (and an instance older than PUBLIC_URL). */
export function defaultPublicUrl(host: string): string {
  return `ws://${host}/ws`;
}

/** One logged-in connection of a user, and the instance that holds it. */
export interface SessionRef {
  username: string;
  sessionId: string;
  instanceId: string;
}

/**
 * A user came online (their first session anywhere) or went offline (their last one ended);
 * `version` orders the changes of one user (microseconds of the registry's clock, strictly growing per user).
 */
export interface PresenceTransition {
  username: string;
  online: boolean;
  version: number;
}

export interface BindResult {
  /** The oldest sessions evicted past the limit (never the new one). */
  evicted: SessionRef[];
  /** Set when this was the user's first session anywhere. */
  cameOnline: PresenceTransition | null;
}

export interface PurgeResult {
  removed: number;
  /** The users whose last session was among those removed. */
  wentOffline: PresenceTransition[];
}

/**
 * What an instance sampled of itself over one interval (STATS_SAMPLE_MS), for the admin console's
 * charts: the reading (`moves`: connections it asked to move to another instance) and those moves one by one.
 */
export interface StatsSample extends StatsReading {
  moved: MoveEvent[];
}

/** Connections an instance asked to move to another one, at one time. */
export interface MoveEvent {
  at: number;
  to: string;
  toHost: string;
  count: number;
}

/**
 * Where users' sessions are and which instances are alive. Multi-key changes are atomic
 * (Lua scripts in Redis), so a crash in the middle never leaves half a session behind.
 */
export abstract class Registry {
  /** Lists the instance as alive now; true when it was not listed (new, or purged as dead meanwhile). */
  abstract heartbeat(info: InstanceInfo, ttlMs: number): Promise<boolean>;
  /** Instances whose last heartbeat is newer than `ttlMs`. */
  abstract liveInstances(ttlMs: number): Promise<InstanceInfo[]>;
  /** Instances still listed whose last heartbeat is older than `ttlMs`. */
  abstract deadInstanceIds(ttlMs: number): Promise<string[]>;
  /** Removes an instance and every session it held, telling whose last session that was. */
  abstract purge(instanceId: string): Promise<PurgeResult>;
  /** Binds a session, evicting the oldest past `maxSessions`; says whether the user came online with it. */
  abstract bind(session: SessionRef, maxSessions: number): Promise<BindResult>;
  /** Unbinds a session; returns the transition when it was the user's last one anywhere. */
  abstract unbind(session: SessionRef): Promise<PresenceTransition | null>;
  /** `purge` counting the sessions removed. */
  async purgeInstance(instanceId: string): Promise<number> {
    return (await this.purge(instanceId)).removed;
  }

  /** `bind` returning the evicted sessions. */
  async bindSession(session: SessionRef, maxSessions: number): Promise<SessionRef[]> {
    return (await this.bind(session, maxSessions)).evicted;
  }

  async unbindSession(session: SessionRef): Promise<void> {
    await this.unbind(session);
  }

  abstract sessionsOf(usernames: string[]): Promise<Map<string, SessionRef[]>>;
  /** Takes a named lock for `ttlMs`; returns its token, or null when someone else holds it. */
  abstract acquireLock(name: string, ttlMs: number): Promise<string | null>;
  abstract releaseLock(name: string, token: string): Promise<void>;
  abstract getValue(name: string): Promise<string | null>;
  abstract setValue(name: string, value: string, ttlMs?: number): Promise<void>;
  abstract ping(): Promise<void>;
  /** Adds a sample to the instance's recent ones, keeping the newest `keep`, all gone `ttlMs` after the last one. */
  abstract pushSample(instanceId: string, sample: StatsSample, keep: number, ttlMs: number): Promise<void>;
  /** The recent samples of each of these instances, oldest first. */
  abstract samplesOf(instanceIds: string[]): Promise<Map<string, StatsSample[]>>;
  /**
   * Called when the store came back after an outage and may have lost what it held;
   * `failover` when another server now answers (a promoted replica may lack the latest writes).
   */
  onReconnect(listener: (failover: boolean) => void): void {
    void listener;
  }
}

/**
 * Session ids sort by the time they were bound, so the registry can tell the oldest session
 * of a user from the ids alone.
 */
let sessionCounter = 0;
export function newSessionId(instanceId: string, now = Date.now()): string {
  sessionCounter = (sessionCounter + 1) % 1_000_000;
  return `${String(now).padStart(13, '0')}-${String(sessionCounter).padStart(6, '0')}-${instanceId}`;
}
