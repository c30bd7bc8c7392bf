import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { TrustedProxies } from '../common/client-address';
import { privateDataDir } from './private-data-dir';

export type StorageMode = 'embedded' | 'cluster';

export interface RedisNode {
  host: string;
  port: number;
}

/** How the instances reach Redis: one server, a Redis Cluster, or a primary found through Sentinel. */
export type RedisTopology =
  { kind: 'single'; url: string } | { kind: 'cluster'; nodes: RedisNode[] } | { kind: 'sentinel'; sentinels: RedisNode[]; name: string };

/**
 * The validated configuration, built once at boot from the environment: one namespace per concern
 * (as the README's configuration table groups the variables), each read and checked by its own reader.
 */
export abstract class AppConfig {
  mode: StorageMode;
  http: HttpConfig;
  ws: WsConfig;
  auth: AuthConfig;
  storage: StorageConfig;
  messages: MessagesConfig;
  cluster: ClusterConfig;
  rebalance: RebalanceConfig;
  limits: LimitsConfig;
  rateLimits: RateLimits;
  logging: LoggingConfig;
  stats: StatsConfig;
  push: PushConfig;
}

/** Where the instance listens and is reached, and what its HTTP side serves. */
export interface HttpConfig {
  port: number;
  host: string;
  publicHost: string;
  /**
   * The WebSocket URL clients are sent to for this instance (the ReBalance push, /serverAddress): PUBLIC_URL;
   * undefined: `ws://PUBLIC_HOST:PORT/ws`, built once the port is known (PORT=0 picks one).
   */
  publicUrl?: string;
  /** Addresses and CIDR ranges of the proxies whose X-Forwarded-For is believed; empty: none is. */
  trustProxy: string[];
  /** Origins allowed by CORS; empty: no cross-origin access. */
  corsOrigins: string[];
  /** Serve the Swagger UI pages (/swagger-ui, /doc.html); the JSON document is served either way. */
  swaggerUi: boolean;
  metricsPublic: boolean;
}

/** Each WebSocket connection: frames, output, pings and the time it has to log in. */
export interface WsConfig {
  maxFrameBytes: number;
  maxBufferedBytes: number;
  pingIntervalMs: number;
  idleTimeoutMs: number;
  /** A connection not logged in after this long is closed with CloseCode.LoginTimeout. */
  loginTimeoutMs: number;
}

/** Tokens, secrets, lockout and password hashing. */
export interface AuthConfig {
  adminToken: string;
  clusterToken: string;
  jwtSecret: string;
  /** Names of the tokens the environment did not set: generated once and kept in DATA_DIR (embedded mode). */
  generatedSecrets: ('ADMIN_TOKEN' | 'CLUSTER_TOKEN')[];
  tokenTtlSeconds: number;
  lockoutMaxErrors: number;
  lockoutMinutes: number;
  /** Password hashes run at once: libuv's thread pool (UV_THREADPOOL_SIZE, 4 by default); more only queue there. */
  hashConcurrency: number;
}

/** Where the data lives: PostgreSQL, or the embedded database in DATA_DIR. */
export interface StorageConfig {
  dataDir: string;
  databaseUrl?: string;
  /** PostgreSQL connections per instance at most: instances × this must fit the server's max_connections. */
  databasePoolSize: number;
  /**
   * Embedded mode: PostgreSQL settings of PGlite (`shared_buffers`, from PGLITE_SHARED_BUFFERS). PGlite's own
   * default holds 160 MB of buffers that an idle server keeps resident; the embedded default is smaller.
   */
  pgliteSettings: Record<string, string>;
}

/** The `messages` partitions and their retention. */
export interface MessagesConfig {
  /** Messages older than this many days are dropped with their partition; undefined keeps them forever. */
  retentionDays?: number;
  /** Days each `messages` partition is written to before the next one opens. */
  partitionDays: number;
  /** How often the partition maintenance runs (creating partitions ahead, rolling over, retention). */
  maintenanceMs: number;
  /** How long after its stored time its sender may edit or recall a message. */
  editWindowSeconds: number;
}

/** The instances' shared Redis and their liveness in it. */
export interface ClusterConfig {
  /** Absent in the embedded mode. */
  redis?: RedisTopology;
  redisPrefix: string;
  heartbeatMs: number;
  instanceTtlMs: number;
  /** How long a registry lookup of where a user's sessions are is used (0: every delivery looks up). */
  locationCacheMs: number;
}

/** Moving sessions between instances: rebalancing, and draining at shutdown. */
export interface RebalanceConfig {
  minUsers: number;
  tolerance: number;
  delayMs: number;
  cooldownMs: number;
  intervalMs: number;
  graceMs: number;
  drainTimeoutMs: number;
}

/** What one user, address, connection or message may take. */
export interface LimitsConfig {
  maxSessionsPerUser: number;
  maxContentBytes: number;
  /** Requests per second per connection (RATE_LIMIT_PER_SEC), and the burst allowed (RATE_LIMIT_BURST). */
  requestsPerSec: number;
  requestBurst: number;
  /** Connections per instance and per client address; past them the upgrade is refused (503 / 429). */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Group memberships per user. */
  maxGroupsPerUser: number;
}

/** Offline push: a signed POST to an operator's webhook for each recipient a stored message found offline. */
export interface PushConfig {
  /** PUSH_WEBHOOK_URL; undefined: offline push is off (nothing is queued). */
  webhookUrl?: string;
  /** The HMAC-SHA256 key of the X-Chat-Signature header; required (16+ characters) with a URL, '' without. */
  webhookSecret: string;
  /** Characters (code points) of the content in `preview`; 0: the preview is "". */
  previewChars: number;
  /** One POST may take this long; then it is aborted and tried again later. */
  timeoutMs: number;
  /** Rows of the shared `push_queue` table at most; past it new entries are dropped and counted. */
  queueMax: number;
  /** POSTs in flight per instance at most. */
  concurrency: number;
  /** The wait after the first failed attempt; it doubles after each (with jitter) up to retryMaxDelayMs. */
  retryBaseMs: number;
  retryMaxDelayMs: number;
  /** An entry is tried for this long after it was queued, then dropped and counted. */
  retryWindowMs: number;
  /** How often each instance looks for due entries when it has nothing to do. */
  pollMs: number;
}

export interface LoggingConfig {
  level: string;
}

export interface StatsConfig {
  /** How often this instance samples its load and traffic for the admin console's charts. */
  sampleMs: number;
}

/** Requests allowed per window (0 turns a limit off). */
export interface RateLimits {
  windowSeconds: number;
  loginPerAddress: number;
  loginPerUsername: number;
  registerPerAddress: number;
  httpPerAddress: number;
  groupCreatePerUser: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
      this.problems.push(`${name} must be a number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(value)) return true;
    if (/^(false|0|no)$/i.test(value)) return false;
    this.problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  }

  list(name: string): string[] {
    return (this.raw(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  url(name: string, protocols: string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return value;
    } catch {
      this.problems.push(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      return undefined;
    }
  }

  /**
   * A WebSocket URL clients can open: ws:// or wss://, a host, an optional port and path; no
   * credentials, query or fragment (a move target is only where to connect).
   */
  webSocketUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    // The pattern keeps the shape plain; URL checks the host and the port range.
    if (!/^wss?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/i.test(value) || !URL.canParse(value)) {
      this.problems.push(
        `${name} must be a ws:// or wss:// URL with a host, an optional port and path, such as wss://chat1.example.com/ws (got "${value}")`,
      );
      return undefined;
    }
    return value;
  }

  /** `host:port,host:port`; undefined when unset or invalid (then a problem is recorded). */
  nodes(name: string): RedisNode[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const nodes: RedisNode[] = [];
    const invalid: string[] = [];
    for (const entry of value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0)) {
      const match = /^([^\s:/[\]]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(entry);
      const port = match ? Number(match[2]) : 0;
      if (!match || port < 1 || port > 65535) invalid.push(entry);
      else nodes.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
    }
    if (invalid.length > 0 || nodes.length === 0) {
      this.problems.push(`${name} must be a comma-separated list of host:port (got "${value}")`);
      return undefined;
    }
    return nodes;
  }

  secret(name: string, required: boolean): string | undefined {
    const value = this.raw(name);
    if (value === undefined) {
      if (required) this.problems.push(`${name} is required in cluster mode (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS is set)`);
      return undefined;
    }
    if (value.length < 16) this.problems.push(`${name} must be at least 16 characters`);
    return value;
  }
}

/** HOST values that listen on every address. */
export const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

export function defaultPublicHost(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}

function randomToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * A secret the embedded mode generates once and keeps in DATA_DIR (mode 0600), so that it
 * survives a restart: the JWT secret (users' tokens), the admin and cluster tokens (a browser's
 * Swagger "Authorize", the admin console). A kept value shorter than `minLength` is replaced.
 */
/** Where the embedded mode keeps each secret it generated, under DATA_DIR. */
export const KEPT_SECRET_FILES = { ADMIN_TOKEN: 'admin-token', CLUSTER_TOKEN: 'cluster-token', JWT_SECRET: 'jwt-secret' } as const;

function keptSecret(dataDir: string, fileName: string, minLength: number, make: () => string): string {
  const file = join(dataDir, fileName);
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= minLength) return kept;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = make();
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** Setting any of these turns on the cluster mode. */
const REDIS_VARIABLES = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'];

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const read = new EnvReader(env);
  const mode: StorageMode = REDIS_VARIABLES.some((name) => read.raw(name) !== undefined) ? 'cluster' : 'embedded';
  const secrets = readSecrets(read, mode === 'cluster');
  const auth = readAuth(read);
  const groups = {
    http: readHttp(read),
    ws: readWs(read),
    storage: readStorage(read, mode === 'cluster'),
    messages: readMessages(read),
    cluster: readCluster(read),
    rebalance: readRebalance(read),
    limits: readLimits(read),
    rateLimits: readRateLimits(read),
    logging: readLogging(read),
    // At most a minute: the 15-minute charts need points; at least 100 ms keeps the window to 9000 samples.
    stats: { sampleMs: read.int('STATS_SAMPLE_MS', 5000, 100, 60000) },
    push: readPush(read),
  };
  if (groups.limits.maxContentBytes >= groups.ws.maxFrameBytes) {
    read.problems.push('MAX_CONTENT_BYTES must be smaller than WS_MAX_FRAME_BYTES (a message frame carries the content plus its fields)');
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);

  if (mode === 'embedded') privateDataDir(groups.storage.dataDir);
  return { mode, ...groups, auth: { ...auth, ...secretsOrKept(secrets, groups.storage.dataDir) } };
}

function readHttp(read: EnvReader): HttpConfig {
  const host = read.string('HOST', '0.0.0.0');
  // Listening on one address, the instance is reached there; on all of them, at its first outward one.
  const publicHost = read.raw('PUBLIC_HOST') ?? (WILDCARD_HOSTS.has(host) ? defaultPublicHost() : host);
  if (/[\s/]/.test(publicHost)) read.problems.push('PUBLIC_HOST must be a host name or IP address');
  const http = {
    port: read.int('PORT', 9092, 0, 65535),
    host,
    publicHost,
    publicUrl: read.webSocketUrl('PUBLIC_URL'),
    trustProxy: read.list('TRUST_PROXY'),
    corsOrigins: read.list('CORS_ORIGINS'),
    swaggerUi: read.bool('SWAGGER_UI', true),
    metricsPublic: read.bool('METRICS_PUBLIC', false),
  };
  for (const proxy of TrustedProxies.parse(http.trustProxy).invalid) {
    read.problems.push(`TRUST_PROXY must list IP addresses or CIDR ranges (got "${proxy}")`);
  }
  for (const origin of http.corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      read.problems.push(`CORS_ORIGINS must list origins such as https://chat.example.com (got "${origin}")`);
    }
  }
  return http;
}

function readWs(read: EnvReader): WsConfig {
  const ws = {
    maxFrameBytes: read.int('WS_MAX_FRAME_BYTES', 32768, 256, 16 * 1024 * 1024),
    maxBufferedBytes: read.int('WS_MAX_BUFFERED_BYTES', 1048576, 1024),
    pingIntervalMs: read.int('WS_PING_INTERVAL_MS', 30000, 100),
    idleTimeoutMs: read.int('WS_IDLE_TIMEOUT_MS', 70000, 200),
    loginTimeoutMs: read.int('LOGIN_TIMEOUT_MS', 20000, 100),
  };
  if (ws.idleTimeoutMs <= ws.pingIntervalMs) read.problems.push('WS_IDLE_TIMEOUT_MS must be larger than WS_PING_INTERVAL_MS');
  return ws;
}

type SecretsSet = Partial<Pick<AuthConfig, 'adminToken' | 'clusterToken' | 'jwtSecret'>>;

/** The secrets as the environment sets them: undefined where it does not. */
function readSecrets(read: EnvReader, cluster: boolean): SecretsSet {
  return {
    adminToken: read.secret('ADMIN_TOKEN', cluster),
    clusterToken: read.secret('CLUSTER_TOKEN', cluster),
    jwtSecret: read.secret('JWT_SECRET', cluster),
  };
}

/** The secrets the environment set, and in the embedded mode the ones it did not, generated once and kept in DATA_DIR. */
function secretsOrKept(set: SecretsSet, dataDir: string): Pick<AuthConfig, keyof SecretsSet | 'generatedSecrets'> {
  const generated: AuthConfig['generatedSecrets'] = [];
  // Unset secrets exist only in the embedded mode (cluster mode requires all three).
  const adminToken = set.adminToken ?? (generated.push('ADMIN_TOKEN'), keptSecret(dataDir, KEPT_SECRET_FILES.ADMIN_TOKEN, 16, randomToken));
  const clusterToken =
    set.clusterToken ?? (generated.push('CLUSTER_TOKEN'), keptSecret(dataDir, KEPT_SECRET_FILES.CLUSTER_TOKEN, 16, randomToken));
  const jwtSecret = set.jwtSecret ?? keptSecret(dataDir, KEPT_SECRET_FILES.JWT_SECRET, 32, () => randomBytes(32).toString('base64url'));
  return { adminToken, clusterToken, jwtSecret, generatedSecrets: generated };
}

function readAuth(read: EnvReader): Omit<AuthConfig, keyof SecretsSet | 'generatedSecrets'> {
  return {
    tokenTtlSeconds: read.int('TOKEN_TTL_SECONDS', 86400, 1),
    lockoutMaxErrors: read.int('LOCKOUT_MAX_ERRORS', 3, 0, 1e9),
    lockoutMinutes: read.number('LOCKOUT_MINUTES', 10, 0.001, 525600),
    // Not validated: it is libuv's variable, and a value libuv ignores must not stop the server.
    hashConcurrency: Number(read.raw('UV_THREADPOOL_SIZE')) || 4,
  };
}

function readStorage(read: EnvReader, cluster: boolean): StorageConfig {
  const databaseUrl = read.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  if (cluster && read.raw('DATABASE_URL') === undefined) {
    read.problems.push('DATABASE_URL is required in cluster mode (a Redis is configured): instances must share one PostgreSQL');
  }
  return {
    dataDir: resolve(read.string('DATA_DIR', './data')),
    databaseUrl,
    databasePoolSize: read.int('DATABASE_POOL_SIZE', 20, 1, 1000),
    pgliteSettings: { shared_buffers: readMemorySize(read, 'PGLITE_SHARED_BUFFERS', '8MB') },
  };
}

/** A PostgreSQL memory size: a whole number with kB, MB or GB, from 1 MB to 8 GB. */
function readMemorySize(read: EnvReader, name: string, fallback: string): string {
  const value = read.string(name, fallback);
  const match = /^(\d+)(kB|MB|GB)$/.exec(value);
  const kilobytes = match ? Number(match[1]) * { kB: 1, MB: 1024, GB: 1024 * 1024 }[match[2] as 'kB' | 'MB' | 'GB'] : 0;
  if (kilobytes < 1024 || kilobytes > 8 * 1024 * 1024) {
    read.problems.push(`${name} must be a size from 1MB to 8GB, such as 16MB or 512kB`);
    return fallback;
  }
  return value;
}

/**
 * Where the TypeORM CLI's data source finds the database: DATABASE_URL and DATA_DIR as they are,
 * nothing validated or written (the CLI runs beside a server, it is not one).
 */
export function cliDatabaseSettings(env: Env = process.env): Pick<StorageConfig, 'databaseUrl' | 'dataDir'> {
  return { databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR ?? './data' };
}

function readMessages(read: EnvReader): MessagesConfig {
  return {
    retentionDays: read.raw('MESSAGE_RETENTION_DAYS') === undefined ? undefined : read.number('MESSAGE_RETENTION_DAYS', 0, 0.0001, 365000),
    partitionDays: read.number('MESSAGE_PARTITION_DAYS', 30, 0.0001, 3650),
    maintenanceMs: read.int('MESSAGE_MAINTENANCE_MS', 60000, 50),
    editWindowSeconds: read.int('EDIT_WINDOW_SECONDS', 900, 1, 31_536_000),
  };
}

function readCluster(read: EnvReader): ClusterConfig {
  const redisPrefix = read.string('REDIS_PREFIX', 'chat:');
  // Keys carry Redis Cluster hash tags in braces after the prefix: braces in it would change the slots.
  if (/[{}\s]/.test(redisPrefix)) read.problems.push('REDIS_PREFIX must not contain braces or spaces');
  const cluster = {
    redis: readRedis(read),
    redisPrefix,
    heartbeatMs: read.int('HEARTBEAT_MS', 2000, 50),
    instanceTtlMs: read.int('INSTANCE_TTL_MS', 10000, 100),
    locationCacheMs: read.int('LOCATION_CACHE_MS', 1000, 0),
  };
  if (cluster.instanceTtlMs <= cluster.heartbeatMs) read.problems.push('INSTANCE_TTL_MS must be larger than HEARTBEAT_MS');
  return cluster;
}

function readRedis(read: EnvReader): RedisTopology | undefined {
  const redisUrl = read.url('REDIS_URL', ['redis:', 'rediss:']);
  const clusterNodes = read.nodes('REDIS_CLUSTER_NODES');
  const sentinels = read.nodes('REDIS_SENTINELS');
  const sentinelName = read.raw('REDIS_SENTINEL_NAME');
  if (read.raw('REDIS_SENTINELS') !== undefined && sentinelName === undefined) {
    read.problems.push('REDIS_SENTINEL_NAME is required with REDIS_SENTINELS: the name the sentinels monitor the primary under');
  }
  // The most specific setting wins: a Cluster's seeds, then Sentinel, then one server.
  if (clusterNodes) return { kind: 'cluster', nodes: clusterNodes };
  if (sentinels && sentinelName) return { kind: 'sentinel', sentinels, name: sentinelName };
  return redisUrl ? { kind: 'single', url: redisUrl } : undefined;
}

function readRebalance(read: EnvReader): RebalanceConfig {
  return {
    minUsers: read.int('REBALANCE_MIN_USERS', 150, 0),
    tolerance: read.number('REBALANCE_TOLERANCE', 0.1, 0, 10),
    delayMs: read.int('REBALANCE_DELAY_MS', 30000, 0),
    cooldownMs: read.int('REBALANCE_COOLDOWN_MS', 120000, 0),
    intervalMs: read.int('REBALANCE_INTERVAL_MS', 60000, 100),
    graceMs: read.int('REBALANCE_GRACE_MS', 10000, 0),
    drainTimeoutMs: read.int('DRAIN_TIMEOUT_MS', 20000, 0),
  };
}

function readLimits(read: EnvReader): LimitsConfig {
  const limits = {
    maxSessionsPerUser: read.int('MAX_SESSIONS_PER_USER', 5, 1, 1000),
    maxContentBytes: read.int('MAX_CONTENT_BYTES', 20000, 1, 16 * 1024 * 1024),
    requestsPerSec: read.number('RATE_LIMIT_PER_SEC', 50, 0.1, 1e6),
    requestBurst: read.int('RATE_LIMIT_BURST', 100, 1, 1e7),
    maxConnections: read.int('MAX_CONNECTIONS', 50000, 1),
    maxConnectionsPerAddress: read.int('MAX_CONNECTIONS_PER_ADDRESS', 100, 1),
    maxGroupsPerUser: read.int('MAX_GROUPS_PER_USER', 500, 1),
  };
  if (limits.maxConnectionsPerAddress > limits.maxConnections) {
    read.problems.push('MAX_CONNECTIONS_PER_ADDRESS must not be larger than MAX_CONNECTIONS');
  }
  return limits;
}

function readRateLimits(read: EnvReader): RateLimits {
  return {
    windowSeconds: read.int('RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86400),
    loginPerAddress: read.int('LOGIN_LIMIT_PER_ADDRESS', 30, 0),
    loginPerUsername: read.int('LOGIN_LIMIT_PER_USERNAME', 10, 0),
    registerPerAddress: read.int('REGISTER_LIMIT_PER_ADDRESS', 10, 0),
    httpPerAddress: read.int('HTTP_LIMIT_PER_ADDRESS', 1200, 0),
    groupCreatePerUser: read.int('GROUP_CREATE_LIMIT_PER_USER', 20, 0),
  };
}

function readPush(read: EnvReader): PushConfig {
  const webhookUrl = read.raw('PUSH_WEBHOOK_URL');
  const push: PushConfig = {
    webhookUrl: undefined,
    webhookSecret: '',
    previewChars: read.int('PUSH_PREVIEW_CHARS', 100, 0, 10000),
    timeoutMs: read.int('PUSH_WEBHOOK_TIMEOUT_MS', 5000, 100, 120000),
    queueMax: read.int('PUSH_QUEUE_MAX', 100000, 1, 100_000_000),
    concurrency: read.int('PUSH_CONCURRENCY', 16, 1, 1000),
    retryBaseMs: read.int('PUSH_RETRY_BASE_MS', 1000, 10, 3600000),
    retryMaxDelayMs: read.int('PUSH_RETRY_MAX_DELAY_MS', 60000, 10, 3600000),
    retryWindowMs: read.int('PUSH_RETRY_WINDOW_MS', 600000, 100, 7 * 86400000),
    pollMs: read.int('PUSH_POLL_MS', 1000, 10, 60000),
  };
  if (push.retryMaxDelayMs < push.retryBaseMs) read.problems.push('PUSH_RETRY_MAX_DELAY_MS must not be smaller than PUSH_RETRY_BASE_MS');
  if (webhookUrl === undefined) return push;
  // fetch refuses credentials in a URL, and a fragment is never sent: both are a mistake here.
  if (!/^https?:\/\/[^\s/?#@]+(\/[^\s#]*)?$/i.test(webhookUrl) || !URL.canParse(webhookUrl)) {
    read.problems.push(`PUSH_WEBHOOK_URL must be an http:// or https:// URL without credentials or fragment (got "${webhookUrl}")`);
  }
  const secret = read.raw('PUSH_WEBHOOK_SECRET');
  if (secret === undefined) read.problems.push('PUSH_WEBHOOK_SECRET is required with PUSH_WEBHOOK_URL: every push is signed with it');
  else if (secret.length < 16) read.problems.push('PUSH_WEBHOOK_SECRET must be at least 16 characters');
  return { ...push, webhookUrl, webhookSecret: secret ?? '' };
}

function readLogging(read: EnvReader): LoggingConfig {
  const level = read.string('LOG_LEVEL', 'info').toLowerCase();
  if (!LOG_LEVELS.includes(level)) read.problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return { level };
}
