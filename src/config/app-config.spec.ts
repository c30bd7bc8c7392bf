import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, cliDatabaseSettings, defaultPublicHost, loadConfig } from './app-config';

describe('loadConfig PUBLIC_HOST', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is HOST when the server listens on one address', () => {
    expect(loadConfig({ DATA_DIR: dir, HOST: '127.0.0.1' }).http.publicHost).toBe('127.0.0.1');
  });

  it('is the first outward address when the server listens on all of them', () => {
    expect(loadConfig({ DATA_DIR: dir }).http.publicHost).toBe(defaultPublicHost());
    expect(loadConfig({ DATA_DIR: dir, HOST: '::' }).http.publicHost).toBe(defaultPublicHost());
  });

  it('is what PUBLIC_HOST says when set', () => {
    expect(loadConfig({ DATA_DIR: dir, HOST: '127.0.0.1', PUBLIC_HOST: 'chat1.example.com' }).http.publicHost).toBe('chat1.example.com');
  });
});

describe('loadConfig PUBLIC_URL', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is unset by default: the instance builds ws://PUBLIC_HOST:PORT/ws once it listens', () => {
    expect(loadConfig({ DATA_DIR: dir }).http.publicUrl).toBeUndefined();
  });

  it('takes ws:// and wss:// URLs with a host, an optional port and path', () => {
    for (const url of ['wss://chat1.example.com/ws', 'ws://localhost:9093/ws', 'wss://chat.example.com', 'ws://[::1]:9092/chat/ws']) {
      expect(loadConfig({ DATA_DIR: dir, PUBLIC_URL: url }).http.publicUrl).toBe(url);
    }
  });

  it('refuses anything else, naming the variable', () => {
    const refused = ['http://chat.example.com/ws', 'chat1:9092', 'ws:///ws', 'ws://:9092/ws', 'ws://host:99999/ws'];
    const problem = 'PUBLIC_URL must be a ws:// or wss:// URL with a host, an optional port and path, such as wss://chat1.example.com/ws';
    for (const url of [...refused, 'wss://user:pw@host/ws', 'ws://host/ws?x=1', 'ws://host/ws#a']) {
      expect(() => loadConfig({ DATA_DIR: dir, PUBLIC_URL: url })).toThrow(`${problem} (got "${url}")`);
    }
  });
});

describe('loadConfig embedded secrets', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the generated admin and cluster tokens in DATA_DIR (0600), so a restart keeps them', () => {
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    expect(first.auth.generatedSecrets).toEqual(['ADMIN_TOKEN', 'CLUSTER_TOKEN']);
    expect(second.auth.adminToken).toBe(first.auth.adminToken);
    expect(second.auth.clusterToken).toBe(first.auth.clusterToken);
    expect(second.auth.jwtSecret).toBe(first.auth.jwtSecret);
    expect(first.auth.adminToken).not.toBe(first.auth.clusterToken);
    for (const file of ['admin-token', 'cluster-token', 'jwt-secret']) expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'admin-token'), 'utf8')).toBe(first.auth.adminToken);
  });

  it('a token set in the environment wins and is not written', () => {
    const config = loadConfig({ DATA_DIR: dir, ADMIN_TOKEN: 'admin-from-the-environment' });
    expect(config.auth.adminToken).toBe('admin-from-the-environment');
    expect(config.auth.generatedSecrets).toEqual(['CLUSTER_TOKEN']);
    expect(existsSync(join(dir, 'admin-token'))).toBe(false);
  });
});

describe('loadConfig STATS_SAMPLE_MS', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is 5 s by default and takes 100 ms to a minute', () => {
    expect(loadConfig({ DATA_DIR: dir }).stats.sampleMs).toBe(5000);
    expect(loadConfig({ DATA_DIR: dir, STATS_SAMPLE_MS: '200' }).stats.sampleMs).toBe(200);
    expect(loadConfig({ DATA_DIR: dir, STATS_SAMPLE_MS: '60000' }).stats.sampleMs).toBe(60000);
  });

  it('refuses values outside that range or not integers, naming the variable', () => {
    for (const value of ['99', '60001', '5s', '1.5']) {
      const problem = `STATS_SAMPLE_MS must be an integer from 100 to 60000 (got "${value}")`;
      expect(() => loadConfig({ DATA_DIR: dir, STATS_SAMPLE_MS: value })).toThrow(problem);
    }
  });
});

describe('loadConfig PGLITE_SHARED_BUFFERS', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is 8MB by default and takes PostgreSQL's sizes from 1MB to 8GB", () => {
    expect(loadConfig({ DATA_DIR: dir }).storage.pgliteSettings).toEqual({ shared_buffers: '8MB' });
    for (const value of ['1MB', '1024kB', '160MB', '8GB']) {
      expect(loadConfig({ DATA_DIR: dir, PGLITE_SHARED_BUFFERS: value }).storage.pgliteSettings.shared_buffers).toBe(value);
    }
  });

  it('refuses other values, naming the variable', () => {
    for (const value of ['16', '16mb', '512kB', '9GB', '1.5MB', '16MB; fsync=off']) {
      expect(() => loadConfig({ DATA_DIR: dir, PGLITE_SHARED_BUFFERS: value })).toThrow(/PGLITE_SHARED_BUFFERS must be a size/);
    }
  });
});

describe('loadConfig namespaces', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('puts each variable under its concern', () => {
    const config = loadConfig({
      DATA_DIR: dir,
      PORT: '9100',
      WS_IDLE_TIMEOUT_MS: '90000',
      TOKEN_TTL_SECONDS: '60',
      REBALANCE_GRACE_MS: '500',
      MAX_GROUPS_PER_USER: '7',
      RATE_LIMIT_BURST: '9',
      LOGIN_LIMIT_PER_USERNAME: '3',
      MESSAGE_PARTITION_DAYS: '2',
      LOG_LEVEL: 'WARN',
    });
    expect(config.mode).toBe('embedded');
    expect(config.http.port).toBe(9100);
    expect(config.ws.idleTimeoutMs).toBe(90000);
    expect(config.auth.tokenTtlSeconds).toBe(60);
    expect(config.storage.dataDir).toBe(dir);
    expect(config.cluster).toEqual({
      redis: undefined,
      redisPrefix: 'chat:',
      heartbeatMs: 2000,
      instanceTtlMs: 10000,
      locationCacheMs: 1000,
    });
    expect(config.rebalance.graceMs).toBe(500);
    expect(config.limits).toMatchObject({ maxGroupsPerUser: 7, requestBurst: 9, requestsPerSec: 50 });
    expect(config.rateLimits.loginPerUsername).toBe(3);
    expect(config.messages.partitionDays).toBe(2);
    expect(config.logging.level).toBe('warn');
  });

  it('names every bad variable in one error, whatever its concern', () => {
    const bad = { PORT: 'x', WS_PING_INTERVAL_MS: '1', LOCKOUT_MINUTES: '0', DATABASE_POOL_SIZE: '0', HEARTBEAT_MS: '1' };
    const alsoBad = { REBALANCE_TOLERANCE: '-1', MAX_CONNECTIONS_PER_ADDRESS: '6', LOG_LEVEL: 'loud', STATS_SAMPLE_MS: '1' };
    let error: unknown;
    try {
      loadConfig({ DATA_DIR: dir, ...bad, ...alsoBad, MAX_CONNECTIONS: '5' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((problem) => problem.split(' ')[0]);
    expect(names.sort()).toEqual([...Object.keys(bad), ...Object.keys(alsoBad)].sort());
  });

  it("takes the password hashes run at once from libuv's UV_THREADPOOL_SIZE, 4 when it is unset or not a number", () => {
    expect(loadConfig({ DATA_DIR: dir, UV_THREADPOOL_SIZE: '8' }).auth.hashConcurrency).toBe(8);
    for (const value of [undefined, '', 'many']) {
      expect(loadConfig({ DATA_DIR: dir, UV_THREADPOOL_SIZE: value }).auth.hashConcurrency).toBe(4);
    }
  });
});

describe('cliDatabaseSettings', () => {
  it('is DATABASE_URL and DATA_DIR as they are, ./data by default', () => {
    const settings = cliDatabaseSettings({ DATABASE_URL: 'postgres://x/chat', DATA_DIR: '/srv/chat' });
    expect(settings).toEqual({ databaseUrl: 'postgres://x/chat', dataDir: '/srv/chat' });
    expect(cliDatabaseSettings({})).toEqual({ databaseUrl: undefined, dataDir: './data' });
  });
});

describe('loadConfig offline push', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const secret = 'push-secret-0123456789';

  it('is off by default, with the documented defaults', () => {
    expect(loadConfig({ DATA_DIR: dir }).push).toEqual({
      webhookUrl: undefined,
      webhookSecret: '',
      previewChars: 100,
      timeoutMs: 5000,
      queueMax: 100000,
      concurrency: 16,
      retryBaseMs: 1000,
      retryMaxDelayMs: 60000,
      retryWindowMs: 600000,
      pollMs: 1000,
    });
  });

  it('takes an http or https URL with its secret', () => {
    for (const url of ['https://push.example.com/hook?key=1', 'http://10.0.0.5:8080/push', 'http://[::1]:9000/']) {
      expect(loadConfig({ DATA_DIR: dir, PUSH_WEBHOOK_URL: url, PUSH_WEBHOOK_SECRET: secret }).push).toMatchObject({
        webhookUrl: url,
        webhookSecret: secret,
      });
    }
  });

  it('refuses other URLs, a missing or short secret, and a cap under the base delay', () => {
    for (const url of [
      'ftp://push.example.com/',
      'https://user:pass@push.example.com/',
      'https://push.example.com/#x',
      'push.example.com',
    ]) {
      expect(() => loadConfig({ DATA_DIR: dir, PUSH_WEBHOOK_URL: url, PUSH_WEBHOOK_SECRET: secret })).toThrow('PUSH_WEBHOOK_URL must be');
    }
    expect(() => loadConfig({ DATA_DIR: dir, PUSH_WEBHOOK_URL: 'https://push.example.com/' })).toThrow('PUSH_WEBHOOK_SECRET is required');
    expect(() => loadConfig({ DATA_DIR: dir, PUSH_WEBHOOK_URL: 'https://push.example.com/', PUSH_WEBHOOK_SECRET: 'short' })).toThrow(
      'PUSH_WEBHOOK_SECRET must be at least 16 characters',
    );
    expect(() => loadConfig({ DATA_DIR: dir, PUSH_RETRY_BASE_MS: '5000', PUSH_RETRY_MAX_DELAY_MS: '1000' })).toThrow(
      'PUSH_RETRY_MAX_DELAY_MS',
    );
  });
});
