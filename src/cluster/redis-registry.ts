import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { Bus, BusHandler, BusMessage } from './bus';
import { InstanceInfo, Registry, SessionRef } from './registry';

/** KEYS: user hash, instance sessions set. ARGV: sessionId, instanceId, username, max, prefix. */
const BIND_SESSION = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3] .. ' ' .. ARGV[1])
local max = tonumber(ARGV[4])
local count = redis.call('HLEN', KEYS[1])
local evicted = {}
if count > max then
  local ids = {}
  for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do
    if id ~= ARGV[1] then ids[#ids + 1] = id end
  end
  table.sort(ids)
  for i = 1, count - max do
    local id = ids[i]
    local holder = redis.call('HGET', KEYS[1], id)
    redis.call('HDEL', KEYS[1], id)
    redis.call('SREM', ARGV[5] .. 'instance:' .. holder .. ':sessions', ARGV[3] .. ' ' .. id)
    evicted[#evicted + 1] = id
    evicted[#evicted + 1] = holder
  end
end
return evicted`;

/** KEYS: user hash, instance sessions set. ARGV: sessionId, instanceId, username. */
const UNBIND_SESSION = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
redis.call('SREM', KEYS[2], ARGV[3] .. ' ' .. ARGV[1])
return 1`;

/** KEYS: instance sessions set, instances zset, instance hash. ARGV: instanceId, prefix. */
const PURGE_INSTANCE = `
local removed = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local space = string.find(member, ' ', 1, true)
  local key = ARGV[2] .. 'user:' .. string.sub(member, 1, space - 1)
  local id = string.sub(member, space + 1)
  if redis.call('HGET', key, id) == ARGV[1] then
    redis.call('HDEL', key, id)
    removed = removed + 1
  end
end
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('ZREM', KEYS[2], ARGV[1])
return removed`;

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export function createRedis(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    // Commands issued in the same tick (one lookup per delivery) go out as one pipeline.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
  });
}

/** The cluster registry in Redis; every key is under the configured prefix. */
export class RedisRegistry extends Registry {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    super();
  }

  private key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  async heartbeat(info: InstanceInfo, ttlMs: number): Promise<boolean> {
    const hash = this.key('instance', info.id);
    const replies = await this.redis
      .multi()
      .zadd(this.key('instances'), info.lastSeen, info.id)
      .hset(hash, {
        host: info.host,
        ip: info.ip,
        port: String(info.port),
        users: String(info.users),
        connections: String(info.connections),
        startedAt: String(info.startedAt),
        draining: info.draining ? '1' : '0',
      })
      .pexpire(hash, ttlMs * 3)
      .exec();
    const [error, added] = replies?.[0] ?? [new Error('no reply'), 0];
    if (error) throw error;
    return added === 1;
  }

  async liveInstances(ttlMs: number): Promise<InstanceInfo[]> {
    const entries = await this.redis.zrangebyscore(this.key('instances'), `(${Date.now() - ttlMs}`, '+inf', 'WITHSCORES');
    const ids: { id: string; lastSeen: number }[] = [];
    for (let i = 0; i < entries.length; i += 2) ids.push({ id: entries[i], lastSeen: Number(entries[i + 1]) });
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const { id } of ids) pipeline.hgetall(this.key('instance', id));
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
    return this.redis.zrangebyscore(this.key('instances'), '-inf', Date.now() - ttlMs);
  }

  async purgeInstance(instanceId: string): Promise<number> {
    const removed = await this.redis.eval(
      PURGE_INSTANCE,
      3,
      this.key('instance', instanceId, 'sessions'),
      this.key('instances'),
      this.key('instance', instanceId),
      instanceId,
      this.prefix,
    );
    return Number(removed);
  }

  async bindSession(session: SessionRef, maxSessions: number): Promise<SessionRef[]> {
    const evicted = (await this.redis.eval(
      BIND_SESSION,
      2,
      this.key('user', session.username),
      this.key('instance', session.instanceId, 'sessions'),
      session.sessionId,
      session.instanceId,
      session.username,
      String(maxSessions),
      this.prefix,
    )) as string[];
    const refs: SessionRef[] = [];
    for (let i = 0; i < evicted.length; i += 2) {
      refs.push({ username: session.username, sessionId: evicted[i], instanceId: evicted[i + 1] });
    }
    return refs;
  }

  async unbindSession(session: SessionRef): Promise<void> {
    await this.redis.eval(
      UNBIND_SESSION,
      2,
      this.key('user', session.username),
      this.key('instance', session.instanceId, 'sessions'),
      session.sessionId,
      session.instanceId,
      session.username,
    );
  }

  async sessionsOf(usernames: string[]): Promise<Map<string, SessionRef[]>> {
    const result = new Map<string, SessionRef[]>();
    if (usernames.length === 0) return result;
    const pipeline = this.redis.pipeline();
    for (const username of usernames) pipeline.hgetall(this.key('user', username));
    const replies = (await pipeline.exec()) ?? [];
    usernames.forEach((username, index) => {
      const [error, hash] = replies[index] ?? [new Error('no reply'), null];
      if (error) throw error;
      result.set(
        username,
        Object.entries((hash ?? {}) as Record<string, string>).map(([sessionId, instanceId]) => ({ username, sessionId, instanceId })),
      );
    });
    return result;
  }

  async acquireLock(name: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const ok = await this.redis.set(this.key(name), token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : null;
  }

  async releaseLock(name: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE_LOCK, 1, this.key(name), token);
  }

  async getValue(name: string): Promise<string | null> {
    return this.redis.get(this.key(name));
  }

  async setValue(name: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs) await this.redis.set(this.key(name), value, 'PX', ttlMs);
    else await this.redis.set(this.key(name), value);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  override onReconnect(listener: () => void): void {
    let connectedBefore = this.redis.status === 'ready';
    this.redis.on('ready', () => {
      if (connectedBefore) listener();
      connectedBefore = true;
    });
  }
}

/** The bus over Redis pub/sub: one channel per instance, one subscriber connection per instance. */
export class RedisBus extends Bus {
  private subscriber?: Redis;
  private readonly reconnectListeners: (() => void)[] = [];

  constructor(
    private readonly publisher: Redis,
    private readonly prefix: string,
    private readonly url: string,
  ) {
    super();
  }

  async publish(instanceId: string, message: BusMessage): Promise<number> {
    return this.publisher.publish(`${this.prefix}bus:${instanceId}`, JSON.stringify(message));
  }

  async subscribe(instanceId: string, handler: BusHandler): Promise<void> {
    const channel = `${this.prefix}bus:${instanceId}`;
    this.subscriber = createRedis(this.url, `bus-${instanceId}`);
    const logger = new Logger('Bus');
    this.subscriber.on('error', (error: Error) => logger.warn(`Redis subscriber: ${error.message}`));
    this.subscriber.on('message', (received: string, payload: string) => {
      if (received !== channel) return;
      let message: BusMessage;
      try {
        message = JSON.parse(payload) as BusMessage;
      } catch {
        logger.warn(`Dropped a bus message that is not JSON on ${channel}`);
        return;
      }
      handler(message);
    });
    await this.subscriber.subscribe(channel);
    this.subscriber.on('ready', () => {
      for (const listener of this.reconnectListeners) listener();
    });
  }

  override onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  async close(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }
}
