import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';

export type TestMode = 'embedded' | 'cluster';

export const MODE: TestMode = process.env.TEST_MODE === 'cluster' ? 'cluster' : 'embedded';
const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

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

  constructor(readonly mode: TestMode = MODE) {}

  get databaseUrl(): string {
    const url = new URL(ADMIN_DATABASE_URL);
    url.pathname = `/${this.databaseName}`;
    return url.toString();
  }

  get redisUrl(): string {
    return REDIS_URL;
  }

  async setup(): Promise<this> {
    if (this.mode !== 'cluster') return this;
    if (!this.databaseName.includes('test')) throw new Error('Refusing a test database whose name lacks "test"');
    const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
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
      base.REDIS_URL = this.redisUrl;
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
    const redis = new Redis(this.redisUrl);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.redisPrefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${this.databaseName} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}
