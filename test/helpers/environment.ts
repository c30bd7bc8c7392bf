import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis, { Cluster } from 'ioredis';
import { Client } from 'pg';

export type TestMode = 'embedded' | 'cluster';
/** Which Redis the cluster-mode instances use: the machine's one server, a Redis Cluster, or Sentinel. */
export type RedisTopologyName = 'single' | 'cluster' | 'sentinel';

export const MODE: TestMode = process.env.TEST_MODE === 'cluster' ? 'cluster' : 'embedded';
export const REDIS_TOPOLOGY: RedisTopologyName =
  process.env.TEST_REDIS_TOPOLOGY === 'cluster' || process.env.TEST_REDIS_TOPOLOGY === 'sentinel'
    ? process.env.TEST_REDIS_TOPOLOGY
    : 'single';

/**
 * The PostgreSQL (its maintenance database) and the Redis of the cluster-mode suites: found, or
 * started for the run, by helpers/services-setup.js, the globalSetup of the projects that need them.
 */
export function serviceUrl(name: 'TEST_DATABASE_URL' | 'TEST_REDIS_URL'): string {
  const url = process.env[name];
  if (!url) throw new Error(`${name} is unset: the cluster-mode suites run through test/jest-e2e.config.js, whose globalSetup sets it`);
  return url;
}
/** The topologies scripts/redis-topologies.sh starts on its default ports. */
export const CLUSTER_SEEDS = '127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103';
export const SENTINELS = '127.0.0.1:26390,127.0.0.1:26391,127.0.0.1:26392';
export const SENTINEL_NAME = 'chat';
export const TOPOLOGY_SCRIPT = join(__dirname, '..', '..', 'scripts', 'redis-topologies.sh');

const started = new Set<string>();

/** Starts the topology (a no-op when it already runs: in CI, .ci/run started it). */
export function ensureRedisTopology(topology: RedisTopologyName, ...ports: number[]): void {
  if (topology === 'single') return;
  const key = [topology, ...ports].join(':');
  if (started.has(key)) return;
  execFileSync('bash', [TOPOLOGY_SCRIPT, 'start', topology, ...ports.map(String)], { stdio: 'inherit', timeout: 180000 });
  started.add(key);
}

function seeds(list: string): { host: string; port: number }[] {
  return list.split(',').map((entry) => ({ host: entry.split(':')[0], port: Number(entry.split(':')[1]) }));
}

/** The variables that point an instance at a topology. */
export function redisEnv(topology: RedisTopologyName): Record<string, string> {
  if (topology === 'cluster') return { REDIS_CLUSTER_NODES: CLUSTER_SEEDS };
  if (topology === 'sentinel') return { REDIS_SENTINELS: SENTINELS, REDIS_SENTINEL_NAME: SENTINEL_NAME };
  return { REDIS_URL: serviceUrl('TEST_REDIS_URL') };
}

/** A client of a topology, for tests that look at the keys themselves. */
export function redisClient(topology: RedisTopologyName): Redis | Cluster {
  if (topology === 'cluster') return new Cluster(seeds(CLUSTER_SEEDS), { scaleReads: 'master' });
  if (topology === 'sentinel') return new Redis({ sentinels: seeds(SENTINELS), name: SENTINEL_NAME });
  return new Redis(serviceUrl('TEST_REDIS_URL'));
}

/** Every key matching `pattern`, from every master. */
export async function scanKeys(client: Redis | Cluster, pattern: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? await masterNodes(client) : [client];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
  }
  return keys;
}

async function masterNodes(cluster: Cluster): Promise<Redis[]> {
  if (cluster.status !== 'ready') await new Promise((resolve) => cluster.once('ready', resolve));
  return cluster.nodes('master');
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const CLUSTER_TOKEN = 'test-cluster-token-0123456789';
export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef';

/**
 * The isolated world one suite runs in: in cluster mode its own PostgreSQL database and Redis
 * key prefix, in embedded mode its own data folders. `dispose` drops all of it.
 */
export class TestEnvironment {
  readonly id = randomBytes(4).toString('hex');
  readonly databaseName = `chat_test_${this.id}`;
  readonly redisPrefix = `chat-test:${this.id}:`;
  private readonly dataDirs: string[] = [];

  constructor(
    readonly mode: TestMode = MODE,
    readonly topology: RedisTopologyName = REDIS_TOPOLOGY,
  ) {}

  get databaseUrl(): string {
    const url = new URL(serviceUrl('TEST_DATABASE_URL'));
    url.pathname = `/${this.databaseName}`;
    return url.toString();
  }

  get redisUrl(): string {
    return serviceUrl('TEST_REDIS_URL');
  }

  /** A client of this world's Redis topology. */
  redis(): Redis | Cluster {
    return redisClient(this.topology);
  }

  async setup(): Promise<this> {
    if (this.mode !== 'cluster') return this;
    ensureRedisTopology(this.topology);
    if (!this.databaseName.includes('test')) throw new Error('Refusing a test database whose name lacks "test"');
    const admin = new Client({ connectionString: serviceUrl('TEST_DATABASE_URL') });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${this.databaseName}`);
    } finally {
      await admin.end();
    }
    return this;
  }

  /** The environment variables of one instance in this world. */
  instanceEnv(overrides: Record<string, string> = {}): Record<string, string> {
    const base: Record<string, string> = {
      ADMIN_TOKEN,
      CLUSTER_TOKEN,
      JWT_SECRET,
      HOST: '127.0.0.1',
      PUBLIC_HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      // Every suite's clients come from 127.0.0.1: the per-address and per-name limits are off unless a suite sets them.
      LOGIN_LIMIT_PER_ADDRESS: '0',
      LOGIN_LIMIT_PER_USERNAME: '0',
      REGISTER_LIMIT_PER_ADDRESS: '0',
      HTTP_LIMIT_PER_ADDRESS: '0',
      GROUP_CREATE_LIMIT_PER_USER: '0',
      MAX_CONNECTIONS_PER_ADDRESS: '50000',
    };
    if (this.mode === 'cluster') {
      base.DATABASE_URL = this.databaseUrl;
      // Two suites at once start up to eight instances on one PostgreSQL (max_connections 100):
      // at the default 20 each, a burst of sends ran out of connections ("too many clients").
      base.DATABASE_POOL_SIZE = '8';
      // A test that brings its own Redis (REDIS_URL) gets that one alone.
      Object.assign(base, overrides.REDIS_URL ? {} : redisEnv(this.topology));
      base.REDIS_PREFIX = this.redisPrefix;
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'chat-test-'));
      this.dataDirs.push(dir);
      base.DATA_DIR = dir;
    }
    return { ...base, ...overrides };
  }

  async dispose(): Promise<void> {
    for (const dir of this.dataDirs) rmSync(dir, { recursive: true, force: true });
    if (this.mode !== 'cluster') return;
    const redis = this.redis();
    try {
      // One DEL per key: on a Cluster the keys of one call must share a slot.
      await Promise.all((await scanKeys(redis, `${this.redisPrefix}*`)).map((key) => redis.del(key)));
    } finally {
      redis.disconnect();
    }
    const admin = new Client({ connectionString: serviceUrl('TEST_DATABASE_URL') });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${this.databaseName} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}
