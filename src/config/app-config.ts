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
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: RedisNode[] }
  | { kind: 'sentinel'; sentinels: RedisNode[]; name: string };

/** The validated configuration, built once at boot from the environment. */
export abstract class AppConfig {
  mode: StorageMode;
  port: number;
  host: string;
  publicHost: string;
  /**
   * The WebSocket URL clients are sent to for this instance (type 21, /serverAddress): PUBLIC_URL;
   * undefined: `ws://PUBLIC_HOST:PORT/ws`, built once the port is known (PORT=0 picks one).
   */
  publicUrl?: string;
  dataDir: string;
  databaseUrl?: string;
  /** PostgreSQL connections per instance at most: instances × this must fit the server's max_connections. */
  databasePoolSize: number;
  redisUrl?: string;
  /** Absent in the embedded mode. */
  redis?: RedisTopology;
  redisPrefix: string;
  adminToken: string;
  clusterToken: string;
  jwtSecret: string;
  /** Names of the tokens the environment did not set: generated once and kept in DATA_DIR (embedded mode). */
  generatedSecrets: ('ADMIN_TOKEN' | 'CLUSTER_TOKEN')[];
  tokenTtlSeconds: number;
  maxSessionsPerUser: number;
  wsMaxFrameBytes: number;
  maxContentBytes: number;
  wsMaxBufferedBytes: number;
  rateLimitPerSec: number;
  rateLimitBurst: number;
  lockoutMaxErrors: number;
  lockoutMinutes: number;
  rebalanceMinUsers: number;
  rebalanceTolerance: number;
  rebalanceDelayMs: number;
  rebalanceCooldownMs: number;
  rebalanceIntervalMs: number;
  rebalanceGraceMs: number;
  drainTimeoutMs: number;
  heartbeatMs: number;
  instanceTtlMs: number;
  wsPingIntervalMs: number;
  wsIdleTimeoutMs: number;
  logLevel: string;
  metricsPublic: boolean;
  /** Messages older than this many days are dropped with their partition; undefined keeps them forever. */
  messageRetentionDays?: number;
  /** Days each `messages` partition is written to before the next one opens. */
  messagePartitionDays: number;
  /** How often the partition maintenance runs (creating partitions ahead, rolling over, retention). */
  messageMaintenanceMs: number;
  /** How often this instance samples its load and traffic for the admin console's charts. */
  statsSampleMs: number;
  /** A connection not logged in after this long is closed with 4002. */
  loginTimeoutMs: number;
  /** Connections per instance and per client address; past them the upgrade is refused (503 / 429). */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Addresses and CIDR ranges of the proxies whose X-Forwarded-For is believed; empty: none is. */
  trustProxy: string[];
  /** Group memberships per user. */
  maxGroupsPerUser: number;
  /** Serve the Swagger UI pages (/swagger-ui, /doc.html); the JSON document is served either way. */
  swaggerUi: boolean;
  /** Origins allowed by CORS; empty: no cross-origin access. */
  corsOrigins: string[];
  rateLimits: RateLimits;
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
    return (this.raw(name) ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
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
    for (const entry of value.split(',').map((part) => part.trim()).filter((part) => part.length > 0)) {
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

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const read = new EnvReader(env);
  const databaseUrl = read.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = read.url('REDIS_URL', ['redis:', 'rediss:']);
  const clusterNodes = read.nodes('REDIS_CLUSTER_NODES');
  const sentinels = read.nodes('REDIS_SENTINELS');
  const sentinelName = read.raw('REDIS_SENTINEL_NAME');
  if (read.raw('REDIS_SENTINELS') !== undefined && sentinelName === undefined) {
    read.problems.push('REDIS_SENTINEL_NAME is required with REDIS_SENTINELS: the name the sentinels monitor the primary under');
  }
  // The most specific setting wins: a Cluster's seeds, then Sentinel, then one server.
  let redis: RedisTopology | undefined;
  if (clusterNodes) redis = { kind: 'cluster', nodes: clusterNodes };
  else if (sentinels && sentinelName) redis = { kind: 'sentinel', sentinels, name: sentinelName };
  else if (redisUrl) redis = { kind: 'single', url: redisUrl };
  const cluster = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'].some((name) => read.raw(name) !== undefined);
  if (cluster && read.raw('DATABASE_URL') === undefined) {
    read.problems.push('DATABASE_URL is required in cluster mode (a Redis is configured): instances must share one PostgreSQL');
  }
  const dataDir = resolve(read.string('DATA_DIR', './data'));
  const logLevel = read.string('LOG_LEVEL', 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) read.problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const host = read.string('HOST', '0.0.0.0');
  // Listening on one address, the instance is reached there; on all of them, at its first outward one.
  const publicHost = read.raw('PUBLIC_HOST') ?? (WILDCARD_HOSTS.has(host) ? defaultPublicHost() : host);
  if (/[\s/]/.test(publicHost)) read.problems.push('PUBLIC_HOST must be a host name or IP address');
  const publicUrl = read.webSocketUrl('PUBLIC_URL');
  const redisPrefix = read.string('REDIS_PREFIX', 'chat:');
  // Keys carry Redis Cluster hash tags in braces after the prefix: braces in it would change the slots.
  if (/[{}\s]/.test(redisPrefix)) read.problems.push('REDIS_PREFIX must not contain braces or spaces');

  const adminToken = read.secret('ADMIN_TOKEN', cluster);
  const clusterToken = read.secret('CLUSTER_TOKEN', cluster);
  const jwtSecret = read.secret('JWT_SECRET', cluster);

  const config = {
    mode: cluster ? 'cluster' : 'embedded',
    port: read.int('PORT', 9092, 0, 65535),
    host,
    publicHost,
    publicUrl,
    dataDir,
    databaseUrl,
    databasePoolSize: read.int('DATABASE_POOL_SIZE', 20, 1, 1000),
    redisUrl,
    redis,
    redisPrefix,
    tokenTtlSeconds: read.int('TOKEN_TTL_SECONDS', 86400, 1),
    maxSessionsPerUser: read.int('MAX_SESSIONS_PER_USER', 5, 1, 1000),
    wsMaxFrameBytes: read.int('WS_MAX_FRAME_BYTES', 32768, 256, 16 * 1024 * 1024),
    maxContentBytes: read.int('MAX_CONTENT_BYTES', 20000, 1, 16 * 1024 * 1024),
    wsMaxBufferedBytes: read.int('WS_MAX_BUFFERED_BYTES', 1048576, 1024),
    rateLimitPerSec: read.number('RATE_LIMIT_PER_SEC', 50, 0.1, 1e6),
    rateLimitBurst: read.int('RATE_LIMIT_BURST', 100, 1, 1e7),
    lockoutMaxErrors: read.int('LOCKOUT_MAX_ERRORS', 3, 0, 1e9),
    lockoutMinutes: read.number('LOCKOUT_MINUTES', 10, 0.001, 525600),
    rebalanceMinUsers: read.int('REBALANCE_MIN_USERS', 150, 0),
    rebalanceTolerance: read.number('REBALANCE_TOLERANCE', 0.1, 0, 10),
    rebalanceDelayMs: read.int('REBALANCE_DELAY_MS', 30000, 0),
    rebalanceCooldownMs: read.int('REBALANCE_COOLDOWN_MS', 120000, 0),
    rebalanceIntervalMs: read.int('REBALANCE_INTERVAL_MS', 60000, 100),
    rebalanceGraceMs: read.int('REBALANCE_GRACE_MS', 10000, 0),
    drainTimeoutMs: read.int('DRAIN_TIMEOUT_MS', 20000, 0),
    heartbeatMs: read.int('HEARTBEAT_MS', 2000, 50),
    instanceTtlMs: read.int('INSTANCE_TTL_MS', 10000, 100),
    wsPingIntervalMs: read.int('WS_PING_INTERVAL_MS', 30000, 100),
    wsIdleTimeoutMs: read.int('WS_IDLE_TIMEOUT_MS', 70000, 200),
    logLevel,
    metricsPublic: read.bool('METRICS_PUBLIC', false),
    loginTimeoutMs: read.int('LOGIN_TIMEOUT_MS', 20000, 100),
    maxConnections: read.int('MAX_CONNECTIONS', 50000, 1),
    maxConnectionsPerAddress: read.int('MAX_CONNECTIONS_PER_ADDRESS', 100, 1),
    trustProxy: read.list('TRUST_PROXY'),
    maxGroupsPerUser: read.int('MAX_GROUPS_PER_USER', 500, 1),
    swaggerUi: read.bool('SWAGGER_UI', true),
    corsOrigins: read.list('CORS_ORIGINS'),
    rateLimits: {
      windowSeconds: read.int('RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86400),
      loginPerAddress: read.int('LOGIN_LIMIT_PER_ADDRESS', 30, 0),
      loginPerUsername: read.int('LOGIN_LIMIT_PER_USERNAME', 10, 0),
      registerPerAddress: read.int('REGISTER_LIMIT_PER_ADDRESS', 10, 0),
      httpPerAddress: read.int('HTTP_LIMIT_PER_ADDRESS', 1200, 0),
      groupCreatePerUser: read.int('GROUP_CREATE_LIMIT_PER_USER', 20, 0),
    },
    messageRetentionDays: read.raw('MESSAGE_RETENTION_DAYS') === undefined ? undefined : read.number('MESSAGE_RETENTION_DAYS', 0, 0.0001, 365000),
    messagePartitionDays: read.number('MESSAGE_PARTITION_DAYS', 30, 0.0001, 3650),
    messageMaintenanceMs: read.int('MESSAGE_MAINTENANCE_MS', 60000, 50),
    // At most a minute: the 15-minute charts need points; at least 100 ms keeps the window to 9000 samples.
    statsSampleMs: read.int('STATS_SAMPLE_MS', 5000, 100, 60000),
  } as AppConfig;

  if (config.maxContentBytes >= config.wsMaxFrameBytes) {
    read.problems.push('MAX_CONTENT_BYTES must be smaller than WS_MAX_FRAME_BYTES (a message frame carries the content plus its fields)');
  }
  if (config.wsIdleTimeoutMs <= config.wsPingIntervalMs) {
    read.problems.push('WS_IDLE_TIMEOUT_MS must be larger than WS_PING_INTERVAL_MS');
  }
  if (config.instanceTtlMs <= config.heartbeatMs) {
    read.problems.push('INSTANCE_TTL_MS must be larger than HEARTBEAT_MS');
  }
  for (const proxy of TrustedProxies.parse(config.trustProxy).invalid) read.problems.push(`TRUST_PROXY must list IP addresses or CIDR ranges (got "${proxy}")`);
  for (const origin of config.corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) read.problems.push(`CORS_ORIGINS must list origins such as https://chat.example.com (got "${origin}")`);
  }
  if (config.maxConnectionsPerAddress > config.maxConnections) read.problems.push('MAX_CONNECTIONS_PER_ADDRESS must not be larger than MAX_CONNECTIONS');
  if (read.problems.length > 0) throw new ConfigError(read.problems);

  if (config.mode === 'embedded') privateDataDir(dataDir);
  const generated: AppConfig['generatedSecrets'] = [];
  // Unset secrets exist only in the embedded mode (cluster mode requires all three).
  config.adminToken = adminToken ?? (generated.push('ADMIN_TOKEN'), keptSecret(dataDir, KEPT_SECRET_FILES.ADMIN_TOKEN, 16, randomToken));
  config.clusterToken = clusterToken ?? (generated.push('CLUSTER_TOKEN'), keptSecret(dataDir, KEPT_SECRET_FILES.CLUSTER_TOKEN, 16, randomToken));
  config.jwtSecret = jwtSecret ?? keptSecret(dataDir, KEPT_SECRET_FILES.JWT_SECRET, 32, () => randomBytes(32).toString('base64url'));
  config.generatedSecrets = generated;
  return config;
}
