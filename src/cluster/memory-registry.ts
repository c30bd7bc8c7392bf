import { randomUUID } from 'node:crypto';
import { Bus, BusHandler, BusMessage } from './bus';
import { BindResult, InstanceInfo, PresenceTransition, PurgeResult, Registry, SessionRef, StatsSample } from './registry';

/** The registry of the embedded mode: the same shapes as in Redis, in this process. */
export class MemoryRegistry extends Registry {
  private readonly instances = new Map<string, InstanceInfo>();
  /** username → sessionId → instanceId */
  private readonly users = new Map<string, Map<string, string>>();
  private readonly values = new Map<string, { value: string; expiresAt: number }>();
  /** instance id → its recent samples, newest first, as the Redis list keeps them. */
  private readonly samples = new Map<string, { samples: StatsSample[]; expiresAt: number }>();
  private lastVersion = 0;

  async heartbeat(info: InstanceInfo): Promise<boolean> {
    const listed = this.instances.has(info.id);
    this.instances.set(info.id, { ...info });
    return !listed;
  }

  async liveInstances(ttlMs: number): Promise<InstanceInfo[]> {
    const since = Date.now() - ttlMs;
    return [...this.instances.values()].filter((i) => i.lastSeen > since).map((i) => ({ ...i }));
  }

  async deadInstanceIds(ttlMs: number): Promise<string[]> {
    const since = Date.now() - ttlMs;
    return [...this.instances.values()].filter((i) => i.lastSeen <= since).map((i) => i.id);
  }

  async purge(instanceId: string): Promise<PurgeResult> {
    let removed = 0;
    const wentOffline: PresenceTransition[] = [];
    for (const [username, sessions] of this.users) {
      let held = 0;
      for (const [sessionId, holder] of sessions) {
        if (holder === instanceId) {
          sessions.delete(sessionId);
          held++;
        }
      }
      removed += held;
      if (sessions.size === 0) {
        this.users.delete(username);
        if (held > 0) wentOffline.push({ username, online: false, version: this.nextVersion() });
      }
    }
    this.instances.delete(instanceId);
    return { removed, wentOffline };
  }

  /** Microseconds, strictly growing, as the Redis registry's TIME. */
  private nextVersion(): number {
    this.lastVersion = Math.max(Date.now() * 1000, this.lastVersion + 1);
    return this.lastVersion;
  }

  async bind(session: SessionRef, maxSessions: number): Promise<BindResult> {
    let sessions = this.users.get(session.username);
    if (!sessions) this.users.set(session.username, (sessions = new Map()));
    const first = sessions.size === 0;
    sessions.set(session.sessionId, session.instanceId);
    const evicted: SessionRef[] = [];
    if (sessions.size > maxSessions) {
      const oldest = [...sessions.keys()].filter((id) => id !== session.sessionId).sort();
      for (const sessionId of oldest.slice(0, sessions.size - maxSessions)) {
        evicted.push({ username: session.username, sessionId, instanceId: sessions.get(sessionId)! });
        sessions.delete(sessionId);
      }
    }
    return { evicted, cameOnline: first ? { username: session.username, online: true, version: this.nextVersion() } : null };
  }

  async unbind(session: SessionRef): Promise<PresenceTransition | null> {
    const sessions = this.users.get(session.username);
    if (sessions?.get(session.sessionId) !== session.instanceId) return null;
    sessions.delete(session.sessionId);
    if (sessions.size > 0) return null;
    this.users.delete(session.username);
    return { username: session.username, online: false, version: this.nextVersion() };
  }

  async sessionsOf(usernames: string[]): Promise<Map<string, SessionRef[]>> {
    const result = new Map<string, SessionRef[]>();
    for (const username of usernames) {
      const sessions = this.users.get(username);
      result.set(username, sessions ? [...sessions].map(([sessionId, instanceId]) => ({ username, sessionId, instanceId })) : []);
    }
    return result;
  }

  async acquireLock(name: string, ttlMs: number): Promise<string | null> {
    if (this.current(name) !== null) return null;
    const token = randomUUID();
    this.values.set(name, { value: token, expiresAt: Date.now() + ttlMs });
    return token;
  }

  async releaseLock(name: string, token: string): Promise<void> {
    if (this.current(name) === token) this.values.delete(name);
  }

  async getValue(name: string): Promise<string | null> {
    return this.current(name);
  }

  async setValue(name: string, value: string, ttlMs?: number): Promise<void> {
    this.values.set(name, { value, expiresAt: ttlMs ? Date.now() + ttlMs : Number.POSITIVE_INFINITY });
  }

  async ping(): Promise<void> {}

  async pushSample(instanceId: string, sample: StatsSample, keep: number, ttlMs: number): Promise<void> {
    const kept = this.samples.get(instanceId);
    const samples = [sample, ...(kept && kept.expiresAt > Date.now() ? kept.samples : [])].slice(0, keep);
    this.samples.set(instanceId, { samples, expiresAt: Date.now() + ttlMs });
  }

  async samplesOf(instanceIds: string[]): Promise<Map<string, StatsSample[]>> {
    const now = Date.now();
    return new Map(
      instanceIds.map((id) => {
        const kept = this.samples.get(id);
        return [id, kept && kept.expiresAt > now ? [...kept.samples].reverse() : []];
      }),
    );
  }

  private current(name: string): string | null {
    const entry = this.values.get(name);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.values.delete(name);
      return null;
    }
    return entry.value;
  }
}

/** The bus of the embedded mode: delivery to handlers in this process, on the next tick like a network would. */
export class MemoryBus extends Bus {
  private readonly handlers = new Map<string, BusHandler>();

  async publish(instanceId: string, message: BusMessage): Promise<number> {
    const handler = this.handlers.get(instanceId);
    if (!handler) return 0;
    queueMicrotask(() => handler(message));
    return 1;
  }

  async subscribe(instanceId: string, handler: BusHandler): Promise<void> {
    this.handlers.set(instanceId, handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
