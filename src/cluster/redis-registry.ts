import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import Redis, { Cluster } from 'ioredis';
import type { RedisTopology } from '../config/app-config';
import { Bus, BusHandler, BusMessage } from './bus';
import { RedisClient, createRedisClient, isCluster, slotOwners } from './redis-client';
import { BindResult, InstanceInfo, PresenceTransition, PurgeResult, Registry, SessionRef, StatsSample, defaultPublicUrl } from './registry';

/**
 * Where each thing lives. The part in braces is the Redis Cluster hash tag: a key's slot is
 * computed from it alone, so every script touches one slot, each user's sessions and each
 * instance's session list land on a shard of their own, and the short instance list sits in one
 * slot that a heartbeat updates in one transaction. The same layout serves a single Redis.
 */
export class RegistryKeys {
  constructor(readonly prefix: string) {}

  /** Sorted set: instance id → last heartbeat (ms). */
  instances(): string {
    return `${this.prefix}{instances}`;
  }

  /** Hash: what an instance reports of itself; same slot as the list. */
  instance(id: string): string {
    return `${this.prefix}{instances}:${id}`;
  }

  /** Set of `username sessionId`: every session the instance may hold (what a purge visits). */
  instanceSessions(id: string): string {
    return `${this.prefix}{i:${id}}:sessions`;
  }

  /** List of the instance's recent stats samples as JSON, newest first; beside its session list. */
  instanceStats(id: string): string {
    return `${this.prefix}{i:${id}}:stats`;
  }

  /** Hash: sessionId → instance id, for one user. */
  user(username: string): string {
    return `${this.prefix}{u:${username}}`;
  }

  /** The instance's bus channel; sharded Pub/Sub routes it by the same tag as its session list. */
  channel(instanceId: string): string {
    return `${this.prefix}{i:${instanceId}}:bus`;
  }

  /** Locks and small values (single keys). */
  named(name: string): string {
    return `${this.prefix}${name}`;
  }
}

/**
 * KEYS: user hash. ARGV: sessionId, instanceId, max. Returns whether the user came online with it (a new
 * session and the only one), the server's TIME (seconds, microseconds), then the evicted sessions: id, holder, id, holder…
 */
const BIND_SESSION = `
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local max = tonumber(ARGV[3])
local count = redis.call('HLEN', KEYS[1])
local now = redis.call('TIME')
local evicted = {}
if added == 1 and count == 1 then evicted[1] = '1' else evicted[1] = '0' end
evicted[2] = now[1]
evicted[3] = now[2]
if count > max then
  local ids = {}
  for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do
    if id ~= ARGV[1] then ids[#ids + 1] = id end
  end
  table.sort(ids)
  for i = 1, count - max do
    local id = ids[i]
    evicted[#evicted + 1] = id
    evicted[#evicted + 1] = redis.call('HGET', KEYS[1], id)
    redis.call('HDEL', KEYS[1], id)
  end
end
return evicted`;

/**
 * KEYS: user hash. ARGV: sessionId, instanceId. Removes the session only where that instance still holds it.
 * Returns {removed, 1 when it was the user's last session, the server's TIME (seconds, microseconds)}.
 */
const UNBIND_SESSION = `
local now = redis.call('TIME')
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  local last = 0
  if redis.call('EXISTS', KEYS[1]) == 0 then last = 1 end
  return {1, last, now[1], now[2]}
end
return {0, 0, now[1], now[2]}`;

/** A version from the registry's TIME: microseconds, exact in a double until the year 2255. */
function versionOf(seconds: unknown, micros: unknown): number {
  return Number(seconds) * 1_000_000 + Number(micros);
}

type UnbindReply = [number, number, string, string];

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Members per SREM when a purge unlists what it visited. */
const SREM_BATCH = 1000;

/**
 * The cluster registry in Redis; every key is under the configured prefix. A session is listed in
 * its instance's set before it is bound and unlisted after it is unbound, so a purge that walks
 * the set finds every session the instance held, even where a crash came between the two steps.
 */
export class RedisRegistry extends Registry {
  private readonly keys: RegistryKeys;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    super();
    this.keys = new RegistryKeys(prefix);
  }

  async heartbeat(info: InstanceInfo, ttlMs: number): Promise<boolean> {
    const hash = this.keys.instance(info.id);
    const replies = await this.redis
      .multi()
      .zadd(this.keys.instances(), info.lastSeen, info.id)
      .hset(hash, {
        host: info.host,
        ip: info.ip,
        port: String(info.port),
        url: info.url,
        users: String(info.users),
        connections: String(info.connections),
        startedAt: String(info.startedAt),
        draining: info.draining ? '1' : '0',
      })
      .pexpire(hash, ttlMs * 3)
      .exec();
    if (!replies) throw new Error('Heartbeat transaction discarded');
    for (const [error] of replies) if (error) throw error;
    return replies[0][1] === 1;
  }

  async liveInstances(ttlMs: number): Promise<InstanceInfo[]> {
    const entries = await this.redis.zrangebyscore(this.keys.instances(), `(${Date.now() - ttlMs}`, '+inf', 'WITHSCORES');
    const ids: { id: string; lastSeen: number }[] = [];
    for (let i = 0; i < entries.length; i += 2) ids.push({ id: entries[i], lastSeen: Number(entries[i + 1]) });
    if (ids.length === 0) return [];
    // One slot: the hashes come from the same node in one pipeline.
    const pipeline = this.redis.pipeline();
    for (const { id } of ids) pipeline.hgetall(this.keys.instance(id));
    const hashes = (await pipeline.exec()) ?? [];
    const live: InstanceInfo[] = [];
    ids.forEach(({ id, lastSeen }, index) => {
      const hash = hashes[index]?.[1] as Record<string, string> | undefined;
      if (!hash || !hash.host) return;
      live.push({
        id,
        host: hash.host,
        ip: hash.ip,
        port: Number(hash.port),
        url: hash.url || defaultPublicUrl(hash.host),
        users: Number(hash.users),
        connections: Number(hash.connections),
        startedAt: Number(hash.startedAt),
        lastSeen,
        draining: hash.draining === '1',
      });
    });
    return live;
  }

  async deadInstanceIds(ttlMs: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.instances(), '-inf', Date.now() - ttlMs);
  }

  /** Unbinds what the instance held user by user (each in its user's slot), then unlists it; safe to run again. */
  async purge(instanceId: string): Promise<PurgeResult> {
    const setKey = this.keys.instanceSessions(instanceId);
    const members = await this.redis.smembers(setKey);
    const wentOffline: PresenceTransition[] = [];
    const removed = await Promise.all(
      members.map(async (member) => {
        const space = member.indexOf(' ');
        const username = member.slice(0, space);
        const reply = (await this.redis.eval(
          UNBIND_SESSION,
          1,
          this.keys.user(username),
          member.slice(space + 1),
          instanceId,
        )) as UnbindReply;
        if (Number(reply[1]) === 1) wentOffline.push({ username, online: false, version: versionOf(reply[2], reply[3]) });
        return Number(reply[0]);
      }),
    );
    for (let i = 0; i < members.length; i += SREM_BATCH) await this.redis.srem(setKey, ...members.slice(i, i + SREM_BATCH));
    const replies = await this.redis.multi().del(this.keys.instance(instanceId)).zrem(this.keys.instances(), instanceId).exec();
    for (const [error] of replies ?? []) if (error) throw error;
    return { removed: removed.reduce<number>((sum, n) => sum + n, 0), wentOffline };
  }

  async bind(session: SessionRef, maxSessions: number): Promise<BindResult> {
    await this.redis.sadd(this.keys.instanceSessions(session.instanceId), member(session));
    const evicted = (await this.redis.eval(
      BIND_SESSION,
      1,
      this.keys.user(session.username),
      session.sessionId,
      session.instanceId,
      String(maxSessions),
    )) as string[];
    const refs: SessionRef[] = [];
    const cameOnline = evicted[0] === '1' ? { username: session.username, online: true, version: versionOf(evicted[1], evicted[2]) } : null;
    for (let i = 3; i < evicted.length; i += 2) {
      refs.push({ username: session.username, sessionId: evicted[i], instanceId: evicted[i + 1] });
    }
    // Tidying only: a purge of the holder checks the user's hash before it removes anything.
    await Promise.all(refs.map((ref) => this.redis.srem(this.keys.instanceSessions(ref.instanceId), member(ref))));
    return { evicted: refs, cameOnline };
  }

  async unbind(session: SessionRef): Promise<PresenceTransition | null> {
    const reply = (await this.redis.eval(
      UNBIND_SESSION,
      1,
      this.keys.user(session.username),
      session.sessionId,
      session.instanceId,
    )) as UnbindReply;
    await this.redis.srem(this.keys.instanceSessions(session.instanceId), member(session));
    return Number(reply[1]) === 1 ? { username: session.username, online: false, version: versionOf(reply[2], reply[3]) } : null;
  }

  async sessionsOf(usernames: string[]): Promise<Map<string, SessionRef[]>> {
    const result = new Map<string, SessionRef[]>();
    if (usernames.length === 0) return result;
    // Issued in one tick: auto-pipelining sends them as one pipeline per node.
    const hashes = await Promise.all(usernames.map((username) => this.redis.hgetall(this.keys.user(username))));
    usernames.forEach((username, index) => {
      result.set(
        username,
        Object.entries(hashes[index] ?? {}).map(([sessionId, instanceId]) => ({ username, sessionId, instanceId })),
      );
    });
    return result;
  }

  async acquireLock(name: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const ok = await this.redis.set(this.keys.named(name), token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : null;
  }

  async releaseLock(name: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE_LOCK, 1, this.keys.named(name), token);
  }

  async getValue(name: string): Promise<string | null> {
    return this.redis.get(this.keys.named(name));
  }

  async setValue(name: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs) await this.redis.set(this.keys.named(name), value, 'PX', ttlMs);
    else await this.redis.set(this.keys.named(name), value);
  }

  /** One key, so one slot: the push, the trim and the expiry go in one transaction. */
  async pushSample(instanceId: string, sample: StatsSample, keep: number, ttlMs: number): Promise<void> {
    const key = this.keys.instanceStats(instanceId);
    const replies = await this.redis
      .multi()
      .lpush(key, JSON.stringify(sample))
      .ltrim(key, 0, keep - 1)
      .pexpire(key, ttlMs)
      .exec();
    if (!replies) throw new Error('Stats transaction discarded');
    for (const [error] of replies) if (error) throw error;
  }

  /** One LRANGE per instance (each list in its own slot), issued together. */
  async samplesOf(instanceIds: string[]): Promise<Map<string, StatsSample[]>> {
    const lists = await Promise.all(instanceIds.map((id) => this.redis.lrange(this.keys.instanceStats(id), 0, -1)));
    return new Map(instanceIds.map((id, index) => [id, lists[index].map((entry) => JSON.parse(entry) as StatsSample).reverse()]));
  }

  /** The owner of every slot answers: a Cluster with a shard down is not up. */
  async ping(): Promise<void> {
    await Promise.all(slotOwners(this.redis).map((node) => node.ping()));
  }

  override onReconnect(listener: (failover: boolean) => void): void {
    onReconnected(this.redis, listener);
  }
}

function member(session: SessionRef): string {
  return `${session.username} ${session.sessionId}`;
}

/** Polls the slot map this often for a changed owner (a refresh or a MOVED reply changes it). */
const SLOT_OWNERS_POLL_MS = 1000;

/**
 * Calls `changed` when a slot that had an owner gets another one: a replica promoted after its
 * master failed, or a slot moved by a resharding. Read from the client's slot map, which both
 * its periodic refresh and a MOVED reply update, at each refresh and every second; an owner
 * missing meanwhile (the map of a refresh taken mid-failover) does not count as a change.
 */
function watchSlotOwners(cluster: Cluster, changed: () => void): void {
  const owners: (string | undefined)[] = [];
  const check = (): void => {
    let moved = false;
    for (let slot = 0; slot < cluster.slots.length; slot++) {
      const owner = cluster.slots[slot]?.[0];
      if (owner === undefined) continue;
      if (owners[slot] !== undefined && owners[slot] !== owner) moved = true;
      owners[slot] = owner;
    }
    if (moved) changed();
  };
  check();
  cluster.on('refresh', check);
  const timer = setInterval(check, SLOT_OWNERS_POLL_MS);
  timer.unref();
  cluster.once('end', () => clearInterval(timer));
}

/**
 * `listener` runs when the client is back after losing Redis: a reconnect to the server, with
 * `failover` when it is another one (Sentinel promoted a replica), or a new owner of some slots in a Cluster.
 */
function onReconnected(redis: RedisClient, listener: (failover: boolean) => void): void {
  if (isCluster(redis)) {
    watchSlotOwners(redis, () => listener(true));
    return;
  }
  const server = (): string => `${redis.stream?.remoteAddress}:${redis.stream?.remotePort}`;
  let connectedTo = redis.status === 'ready' ? server() : undefined;
  redis.on('ready', () => {
    const now = server();
    if (connectedTo !== undefined) listener(now !== connectedTo);
    connectedTo = now;
  });
}

/**
 * One instance's channel over sharded Pub/Sub: a connection of its own to the master that owns
 * the channel's slot, moved to the new master when a failover or a resharding changes it.
 */
/** How long a starting instance tries to subscribe its bus channel while the slot's master is unknown (a failover under way). */
export const SUBSCRIBE_AT_START_MS = 15_000;
const SUBSCRIBE_RETRY_MS = 250;

/** The sharded Pub/Sub subscription of one channel on a Cluster, kept on whichever master owns the channel's slot. */
export class ShardedSubscription {
  private readonly logger = new Logger('Bus');
  private connection?: Redis;
  private node?: string;
  private slot = -1;
  private closed = false;
  private timer?: NodeJS.Timeout;
  private connecting?: Promise<void>;

  constructor(
    private readonly cluster: Cluster,
    private readonly channel: string,
    private readonly name: string,
    private readonly onPayload: (payload: string) => void,
    private readonly onResubscribed: () => void,
  ) {}

  async start(startTimeoutMs = SUBSCRIBE_AT_START_MS): Promise<void> {
    this.slot = Number(await this.cluster.cluster('KEYSLOT', this.channel));
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      try {
        await this.connect();
        break;
      } catch (error) {
        // A master failed and its replica is not promoted yet, or the client's map of slots is not complete yet.
        if (this.closed || Date.now() >= deadline) throw error;
        this.logger.warn(`Bus channel not subscribed yet, trying again: ${error instanceof Error ? error.message : String(error)}`);
        this.cluster.refreshSlotsCache();
        await new Promise((resolve) => setTimeout(resolve, SUBSCRIBE_RETRY_MS));
      }
    }
    this.timer = setInterval(() => void this.check(), 500);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const connection = this.connection;
    this.connection = undefined;
    await connection?.quit().catch(() => connection.disconnect());
  }

  private ownerOfSlot(): string | undefined {
    return this.cluster.slots[this.slot]?.[0];
  }

  /** Subscribed to a node that no longer owns the slot, or not subscribed: subscribe again. */
  private async check(): Promise<void> {
    if (this.closed || this.connecting) return;
    if (this.connection && this.ownerOfSlot() === this.node) return;
    this.connecting = this.resubscribe().finally(() => (this.connecting = undefined));
  }

  private async resubscribe(): Promise<void> {
    const previous = this.connection;
    this.connection = undefined;
    previous?.disconnect();
    try {
      await this.connect();
      this.logger.warn(`Bus channel resubscribed on ${this.node}`);
      this.onResubscribed();
    } catch (error) {
      // The slot's master is down and not replaced yet: refresh the map, the next check tries again.
      this.logger.warn(`Bus channel not subscribed yet: ${error instanceof Error ? error.message : String(error)}`);
      this.cluster.refreshSlotsCache();
    }
  }

  private async connect(): Promise<void> {
    const node = this.ownerOfSlot();
    if (!node) throw new Error(`no master known for slot ${this.slot}`);
    const separator = node.lastIndexOf(':');
    const connection = new Redis({
      host: node.slice(0, separator),
      port: Number(node.slice(separator + 1)),
      connectionName: this.name,
      lazyConnect: true,
      // This class reconnects, to whichever node owns the slot by then.
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
    });
    connection.on('error', () => undefined);
    connection.on('smessage', (received: string, payload: string) => {
      if (received === this.channel) this.onPayload(payload);
    });
    connection.on('close', () => {
      if (this.connection === connection) this.connection = undefined;
    });
    try {
      await connection.connect();
      await connection.ssubscribe(this.channel);
    } catch (error) {
      connection.disconnect();
      throw error;
    }
    if (this.closed) {
      connection.disconnect();
      return;
    }
    this.connection = connection;
    this.node = node;
  }
}

/**
 * The bus over Redis Pub/Sub: one channel per instance. On a Cluster it is sharded Pub/Sub
 * (SPUBLISH/SSUBSCRIBE), so a message crosses only the shard of its target instance.
 */
export class RedisBus extends Bus {
  private readonly logger = new Logger('Bus');
  private readonly keys: RegistryKeys;
  private subscriber?: RedisClient;
  private sharded?: ShardedSubscription;
  private readonly reconnectListeners: (() => void)[] = [];

  constructor(
    private readonly publisher: RedisClient,
    prefix: string,
    private readonly topology: RedisTopology,
  ) {
    super();
    this.keys = new RegistryKeys(prefix);
  }

  async publish(instanceId: string, message: BusMessage): Promise<number> {
    const channel = this.keys.channel(instanceId);
    const payload = JSON.stringify(message);
    if (isCluster(this.publisher)) return Number(await this.publisher.spublish(channel, payload));
    return this.publisher.publish(channel, payload);
  }

  async subscribe(instanceId: string, handler: BusHandler): Promise<void> {
    const channel = this.keys.channel(instanceId);
    const receive = (payload: string): void => {
      let message: BusMessage;
      try {
        message = JSON.parse(payload) as BusMessage;
      } catch {
        this.logger.warn(`Dropped a bus message that is not JSON on ${channel}`);
        return;
      }
      handler(message);
    };
    if (isCluster(this.publisher)) {
      this.sharded = new ShardedSubscription(this.publisher, channel, `bus-${instanceId}`, receive, () => this.reconnected());
      await this.sharded.start();
      return;
    }
    const subscriber = createRedisClient(this.topology, `bus-${instanceId}`);
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) => this.logger.warn(`Redis subscriber: ${error.message}`));
    subscriber.on('message', (received: string, payload: string) => {
      if (received === channel) receive(payload);
    });
    await subscriber.subscribe(channel);
    subscriber.on('ready', () => this.reconnected());
  }

  private reconnected(): void {
    for (const listener of this.reconnectListeners) listener();
  }

  override onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  async close(): Promise<void> {
    await this.sharded?.close();
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }
}
