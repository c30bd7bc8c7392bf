'use strict';
// `npm run bench [-- S1 S3] [--quick] [--out FILE] [--budget SECONDS]`; `--help` lists it all (bench/lib/args.js).
// Runs the benchmark scenarios against our server (node dist/main.js, started as the e2e tests do)
// and the baselines B0 (raw ws relay) and B1 (Socket.IO + Redis adapter), all on loopback, in one
// bounded run (10 minutes at most), then writes a table to docs/benchmarks.md (--quick:
// bench/results/benchmarks-quick.md) and prints it. Every child process is killed at the end.
const { spawn, fork, execSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, relative, resolve } = require('node:path');
const { sleep, freePort, memory, cpuSeconds, round, httpJson, machine, fdLimit, benchServerEnv, benchSecrets, PG_ADMIN_URL, REDIS_URL } = require('./lib/common');
const { BENCH_PASSWORD, passwordHash, seedPostgres } = require('./lib/seed');
const { benchArgsOrExit, list } = require('./lib/args');
const { serviceProblems } = require('./lib/preflight');

const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const T_START = Date.now();
const LOAD_AT_START = require('node:os').loadavg();

// --- arguments ---------------------------------------------------------------------------------

const argv = process.argv.slice(2);
// --help and usage errors end the process here, before anything is started or created.
const ARGS = benchArgsOrExit(argv);
// S6 (a 5M-message database against a 10k one) runs on its own: bench/s6.js.
if (ARGS.s6) {
  require('./s6')
    .main(argv)
    .then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`${error.stack ?? error}\n`);
        process.exit(1);
      },
    );
  return;
}
const QUICK = ARGS.values.quick === true;
const BUDGET_MS = Math.max(60, Math.min(600, Number(ARGS.values.budget ?? 600))) * 1000;
// S3 (20,000 logins) runs last: it is the longest and the one the budget may have to cut.
const ORDER = ['S1', 'S2', 'S4', 'S5', 'S3'];
const SCENARIOS = ARGS.scenarios.length ? ORDER.filter((name) => ARGS.scenarios.includes(name)) : ORDER;
const OUT = ARGS.values.out ?? (QUICK ? join('bench', 'results', 'benchmarks-quick.md') : join('docs', 'benchmarks.md'));
// `--targets ours,b0`: run only these targets (ours, b0, b1).
const TARGETS = ARGS.values.targets === undefined ? undefined : list(ARGS.values.targets.toLowerCase());
const COMMAND = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;

const RUN_ID = randomBytes(4).toString('hex');
const SECRETS = benchSecrets(RUN_ID);
const DB_NAME = `chat_bench_${RUN_ID}`;
const DB_URL = (() => {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  return url.toString();
})();
const REDIS_PREFIX = `chat-bench:${RUN_ID}:`;
const WORK_DIR = mkdtempSync(join(tmpdir(), `chat-bench-${RUN_ID}-`));

// Scale. --quick is about 10x smaller and has short windows, for smoke tests.
const FD_LIMIT = fdLimit();
const FD_MARGIN = 300;
const S = QUICK
  ? { s1: 100, s2: 100, s3: 2000, s4: 100, s4Senders: 4, s5: 300, s5Senders: 30, s5Rate: 60, warmup: 800, max: 1500, pacedWarmup: 500, paced: 1500, inflight: 400, s5Timeout: 12000, s5Pre: 1000, s5Post: 1000 }
  : { s1: 1000, s2: 1000, s3: 20000, s4: 1000, s4Senders: 10, s5: 3000, s5Senders: 300, s5Rate: 300, warmup: 2000, max: 5000, pacedWarmup: 2000, paced: 5000, inflight: 4000, s5Timeout: 30000, s5Pre: 2000, s5Post: 2000 };
// `--set s3=5000 --set max=3000`: override one scale value (keys as in S above, checked by bench/lib/args.js).
for (const setting of ARGS.values.set ?? []) {
  const [key, raw] = setting.split('=');
  S[key] = Number(raw);
}
const WARNINGS = [];
if (SCENARIOS.includes('S3') && S.s3 > FD_LIMIT - FD_MARGIN) {
  WARNINGS.push(
    `S3: the open-files limit is ${FD_LIMIT} per process (ulimit -n, hard limit; not raisable here), and the server holds one fd per connection: S3 runs ${FD_LIMIT - FD_MARGIN} connections instead of ${S.s3}.`,
  );
  S.s3 = FD_LIMIT - FD_MARGIN;
}

// --- output ------------------------------------------------------------------------------------

const say = (msg) => process.stdout.write(`[bench ${((Date.now() - T_START) / 1000).toFixed(0).padStart(3)}s] ${msg}\n`);
const warn = (msg) => {
  WARNINGS.push(msg);
  say(`WARNING: ${msg}`);
};

// --- child processes ---------------------------------------------------------------------------

const children = new Set();
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}

let aborted = null;
const abortTimer = setTimeout(() => {
  aborted = `time budget of ${BUDGET_MS / 1000} s used up`;
  say(`ABORT: ${aborted}; killing every child process`);
  killAll();
}, BUDGET_MS - 25000); // leaves time to clean up and write the report
abortTimer.unref();
// Last resort: whatever happens, the run stops.
setTimeout(() => {
  killAll();
  process.stderr.write('bench: hard time limit reached\n');
  process.exit(2);
}, BUDGET_MS + 20000).unref();

class Proc {
  constructor(name, child, port, kind) {
    this.name = name;
    this.child = child;
    this.pid = child.pid;
    this.port = port;
    this.kind = kind;
    this.output = '';
    this.logFile = join(WORK_DIR, `${name.replace(/[^\w.-]+/g, '_')}-${port}.log`);
    const log = createWriteStream(this.logFile);
    const append = (chunk) => {
      this.output = (this.output + chunk.toString()).slice(-20000);
      log.write(chunk);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get wsUrl() {
    return this.kind === 'b1' ? `http://127.0.0.1:${this.port}` : `ws://127.0.0.1:${this.port}/ws`;
  }

  get httpUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Peak RSS over the process life (VmHWM) and CPU seconds so far. */
  usage() {
    return { name: this.name, pid: this.pid, peakRssMb: round((memory(this.pid)?.hwmKb ?? 0) / 1024, 1), cpuSec: round(cpuSeconds(this.pid) ?? 0, 1) };
  }

  async stop(timeoutMs = 5000) {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

function ensureBuilt() {
  if (existsSync(MAIN)) return;
  say('dist/main.js is missing: npm run build');
  execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
}

/** Our server, as test/helpers/instance.ts starts it: node dist/main.js with the environment. */
async function startOurs(name, { storage, dataDir, redisPrefix, env = {} }) {
  const port = await freePort();
  const e = benchServerEnv(SECRETS, port, env);
  if (storage === 'embedded') e.DATA_DIR = dataDir;
  else {
    e.DATABASE_URL = DB_URL;
    if (storage === 'cluster') {
      e.REDIS_URL = REDIS_URL;
      e.REDIS_PREFIX = redisPrefix;
    }
  }
  // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof": diagnostics only, not for figures of record.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = track(spawn(process.execPath, [...nodeArgs, MAIN], { cwd: ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] }));
  const proc = new Proc(name, child, port, 'ours');
  const deadline = Date.now() + 90000;
  while (Date.now() < deadline) {
    if (aborted) throw new Error(aborted);
    if (!proc.running) throw new Error(`${name} exited during start:\n${proc.output.slice(-3000)}`);
    try {
      const health = await httpJson('GET', `${proc.httpUrl}/health`, { timeoutMs: 2000 });
      if (health.status === 200) {
        const r = await httpJson('GET', `${proc.httpUrl}/cluster/instances`, { token: SECRETS.ADMIN_TOKEN, timeoutMs: 2000 });
        if (r.status === 200 && r.json?.data?.some((i) => i.port === port)) return proc;
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await proc.stop(1000);
  throw new Error(`${name} did not become ready in 90 s:\n${proc.output.slice(-3000)}`);
}

/** Starts n instances together and waits until each sees all of them in the registry. */
async function startCluster(label, n, redisPrefix, env = {}) {
  const procs = await Promise.all(Array.from({ length: n }, (_, i) => startOurs(`${label}#${i + 1}`, { storage: 'cluster', redisPrefix, env })));
  const deadline = Date.now() + 20000;
  for (;;) {
    const views = await Promise.all(procs.map((p) => httpJson('GET', `${p.httpUrl}/cluster/instances`, { token: SECRETS.ADMIN_TOKEN }).catch(() => null)));
    if (views.every((v) => v?.json?.data?.length === n)) return procs;
    if (Date.now() > deadline) throw new Error(`${label}: the instances did not all see each other`);
    await sleep(200);
  }
}

async function startBaseline(kind, name, extra = []) {
  const port = await freePort();
  const script = join(__dirname, 'baselines', kind === 'b0' ? 'b0-relay.js' : 'b1-socketio.js');
  const child = track(spawn(process.execPath, [script, String(port), ...extra], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] }));
  const proc = new Proc(name, child, port, kind);
  const deadline = Date.now() + 15000;
  while (!/listening/.test(proc.output)) {
    if (!proc.running) throw new Error(`${name} exited during start:\n${proc.output}`);
    if (Date.now() > deadline) throw new Error(`${name} did not start:\n${proc.output}`);
    await sleep(50);
  }
  return proc;
}

async function stopAll(procs) {
  await Promise.all(procs.map((p) => p.stop()));
}

/**
 * Samples pg_stat_activity of the bench database while the load generator measures a window:
 * how many of our queries run at once, and what they wait on. It shows whether PostgreSQL work
 * is serialized (one statement at a time) and whether commits wait for the disk (IO/WALSync).
 */
class PgSampler {
  constructor() {
    this.phase = null;
    this.phases = {};
    this.running = false;
  }

  async start() {
    const { Client } = require('pg');
    this.client = new Client({ connectionString: PG_ADMIN_URL });
    await this.client.connect();
    this.statClient = new Client({ connectionString: DB_URL });
    await this.statClient.connect();
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const phase = this.phase;
        if (phase) {
          try {
            const { rows } = await this.client.query(
              `SELECT coalesce(wait_event_type, 'CPU') || '/' || coalesce(wait_event, '-') AS wait, split_part(ltrim(regexp_replace(query, '\\s+', ' ', 'g')), ' ', 1) AS verb
                 FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid()`,
              [DB_NAME],
            );
            const p = (this.phases[phase] ??= { samples: 0, concurrent: {}, waits: {} });
            p.samples++;
            p.concurrent[rows.length] = (p.concurrent[rows.length] ?? 0) + 1;
            for (const r of rows) {
              const key = `${r.verb} ${r.wait}`;
              p.waits[key] = (p.waits[key] ?? 0) + 1;
            }
          } catch {
            // a sample lost is no harm
          }
        }
        await sleep(25);
      }
    })();
    return this;
  }

  mark(name, edge) {
    this.phase = edge === 'start' ? name : null;
    const p = (this.phases[name] ??= { samples: 0, concurrent: {}, waits: {} });
    // Backends flush their statistics about once a second: the end is read a second late, so the
    // absolute counts are approximate; ratios between them (per inserted message) hold.
    if (edge === 'start') p.startCounters = this.counters();
    else p.endCounters = sleep(1100).then(() => this.counters());
  }

  /** Transactions and row changes of the bench database (pg_stat_database / pg_stat_user_tables). */
  counters() {
    const client = this.statClient;
    if (!client) return Promise.resolve(null);
    return (async () => {
      const db = await client.query('SELECT xact_commit::bigint AS xacts FROM pg_stat_database WHERE datname = current_database()');
      const tables = await client.query('SELECT relname, n_tup_ins::bigint AS ins, n_tup_upd::bigint AS upd, seq_scan::bigint AS seq, idx_scan::bigint AS idx FROM pg_stat_user_tables');
      return { xacts: Number(db.rows[0].xacts), tables: Object.fromEntries(tables.rows.map((r) => [r.relname, { ins: Number(r.ins), upd: Number(r.upd), scans: Number(r.seq) + Number(r.idx ?? 0) }])) };
    })().catch(() => null);
  }

  async stop() {
    this.result ??= this.collect();
    return this.result;
  }

  async collect() {
    this.running = false;
    await this.loop?.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    const out = {};
    for (const [name, p] of Object.entries(this.phases)) {
      const pct = (n) => round((100 * n) / Math.max(1, p.samples));
      const [a, b] = await Promise.all([p.startCounters, p.endCounters]);
      let counters = null;
      if (a && b) {
        counters = { xacts: b.xacts - a.xacts, tables: {} };
        for (const [rel, t] of Object.entries(b.tables)) {
          const t0 = a.tables[rel] ?? { ins: 0, upd: 0, scans: 0 };
          const d = { ins: t.ins - t0.ins, upd: t.upd - t0.upd, scans: t.scans - t0.scans };
          if (d.ins || d.upd || d.scans) counters.tables[rel] = d;
        }
      }
      out[name] = {
        samples: p.samples,
        counters,
        ...(counters && counters.tables.messages?.ins
          ? { perInsertedMessage: { xacts: round(counters.xacts / counters.tables.messages.ins, 2), rowUpdates: round(Object.values(counters.tables).reduce((x, t) => x + t.upd, 0) / counters.tables.messages.ins, 2) } }
          : {}),
        concurrentPct: Object.fromEntries(Object.entries(p.concurrent).map(([k, v]) => [k, pct(v)])),
        topWaits: Object.entries(p.waits)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 4)
          .map(([k, v]) => ({ what: k, pctOfSamples: pct(v) })),
      };
    }
    await this.statClient?.end().catch(() => undefined);
    return out;
  }
}

/** Forks the load generator; `onReady` is called for idle runs once everyone is logged in. */
function runLoad(config, { onReady, timeoutMs = 240000, sampler } = {}) {
  return new Promise((resolve, reject) => {
    const child = track(fork(join(__dirname, 'load.js'), [], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] }));
    let done = false;
    const timer = setTimeout(() => {
      if (!done) child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (m) => {
      if (m?.type === 'log') say(`  load: ${m.msg}`);
      else if (m?.type === 'ready') onReady?.(child, m);
      else if (m?.type === 'mark') sampler?.mark(m.name, m.edge);
      else if (m?.type === 'result') {
        done = true;
        clearTimeout(timer);
        if (m.ok) resolve({ ...m.result, pid: child.pid });
        else reject(new Error(`load generator failed: ${m.error}`));
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!done) reject(new Error(aborted ?? `load generator exited (${code ?? signal}) without a result`));
    });
    child.send({ cmd: 'run', config });
  });
}

/** runLoad for our server on PostgreSQL, with pg_stat_activity sampled in the windows. */
async function runLoadPg(config) {
  const sampler = await new PgSampler().start().catch(() => null);
  try {
    const result = await runLoad(config, { sampler });
    return { ...result, pgActivity: sampler ? await sampler.stop() : null };
  } finally {
    await sampler?.stop();
  }
}

const DB_WATCH = [
  { name: 'postgres (all backends)', comm: 'postgres' },
  { name: 'redis-server', comm: 'redis-server' },
];
const watchOf = (procs, withDb) => [...procs.map((p) => ({ name: p.name, pid: p.pid })), ...(withDb ? DB_WATCH : [])];

function baseLoadConfig(target, users, urls, extra = {}) {
  return {
    target,
    users,
    urls,
    login: { mode: 'token', jwtSecret: SECRETS.JWT_SECRET, password: BENCH_PASSWORD, passwordSample: QUICK ? 2 : 8 },
    connectConcurrency: 200,
    ackMs: 1000,
    contentBytes: 100,
    ...extra,
  };
}

// --- users -------------------------------------------------------------------------------------

let hashPromise = null;
let dbReady = null;

function ensureDatabase() {
  dbReady ??= (async () => {
    const { Client } = require('pg');
    const admin = new Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${DB_NAME}`);
    } finally {
      await admin.end();
    }
    say(`created database ${DB_NAME}`);
  })();
  return dbReady;
}

/**
 * Seeds users prefix0..prefix(count-1). PostgreSQL: the schema must exist (an instance was started
 * on the database once, or is running). PGlite: through the server's data source, before start.
 * Returns false when the users must be registered through the protocol instead.
 */
async function seed(storage, prefix, count, dataDir) {
  hashPromise ??= passwordHash();
  const hash = await hashPromise;
  const t0 = Date.now();
  try {
    let n;
    if (storage === 'embedded') {
      const out = await new Promise((resolve, reject) => {
        const child = track(spawn(process.execPath, [join(__dirname, 'lib', 'seed.js'), 'pglite', dataDir, prefix, String(count), hash], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
        let text = '';
        child.stdout.on('data', (d) => (text += d));
        child.stderr.on('data', (d) => (text += d));
        child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(text.slice(-2000)))));
      });
      n = Number(out.trim().split('\n').pop());
    } else {
      n = await seedPostgres(DB_URL, prefix, count, hash);
    }
    if (n < count) throw new Error(`only ${n} of ${count} users present after the insert`);
    say(`seeded ${count} users ${prefix}* (${storage}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return true;
  } catch (error) {
    warn(`seeding users ${prefix}* failed (${String(error.message).split('\n')[0]}); registering through the protocol instead (slow)`);
    return false;
  }
}

/** The schema of the shared PostgreSQL database: one instance started and stopped once. */
let schemaReady = null;
function ensureSchema() {
  schemaReady ??= (async () => {
    await ensureDatabase();
    const proc = await startOurs('schema', { storage: 'pg' });
    await proc.stop();
  })();
  return schemaReady;
}

// --- scenarios ---------------------------------------------------------------------------------

const records = []; // {scenario, target, label, ...}

function record(scenario, target, label, data) {
  const entry = { scenario, target, label, ...data };
  records.push(entry);
  return entry;
}

async function guarded(scenario, target, label, estimateSec, work) {
  if (TARGETS && !TARGETS.includes(target)) return null;
  const left = BUDGET_MS - 25000 - (Date.now() - T_START);
  if (aborted) return record(scenario, target, label, { skipped: aborted });
  if (left < estimateSec * 1000) {
    warn(`${scenario} ${label}: skipped, ${Math.round(left / 1000)} s left of the budget and it needs about ${estimateSec} s`);
    return record(scenario, target, label, { skipped: 'time budget' });
  }
  say(`${scenario} ${label}`);
  const procs = [];
  const t0 = Date.now();
  try {
    const data = await work(procs);
    const usage = procs.map((p) => p.usage());
    return record(scenario, target, label, { ...data, processes: usage, seconds: round((Date.now() - t0) / 1000, 1) });
  } catch (error) {
    say(`${scenario} ${label} FAILED: ${error.message.split('\n').slice(0, 8).join('\n')}`);
    return record(scenario, target, label, { error: error.message.split('\n')[0].slice(0, 300) });
  } finally {
    await stopAll(procs).catch(() => undefined);
  }
}

function relayConfig(split) {
  return { split, warmupMs: S.warmup, maxMs: S.max, pacedWarmupMs: S.pacedWarmup, pacedMs: S.paced, pacedFraction: 0.5, inflight: S.inflight };
}

async function s1() {
  const n = S.s1;
  const relay = relayConfig(false);
  const est = QUICK ? 15 : 35;
  await guarded('S1', 'b0', 'B0 raw ws relay', est, async (procs) => {
    const p = await startBaseline('b0', 'b0');
    procs.push(p);
    return { load: await runLoad({ ...baseLoadConfig('b0', { prefix: 'u', start: 0, count: n }, [p.wsUrl]), scenario: 'relay', relay, watch: watchOf(procs, false) }) };
  });
  await guarded('S1', 'b1', 'B1 Socket.IO + Redis adapter, 1 instance', est, async (procs) => {
    const p = await startBaseline('b1', 'b1', [REDIS_URL, `bench-${RUN_ID}-s1`]);
    procs.push(p);
    return { load: await runLoad({ ...baseLoadConfig('b1', { prefix: 'u', start: 0, count: n }, [p.wsUrl]), scenario: 'relay', relay, watch: watchOf(procs, true) }) };
  });
  await guarded('S1', 'ours', 'ours, embedded PGlite', est + 15, async (procs) => {
    const dataDir = join(WORK_DIR, 's1-embedded');
    mkdirSync(dataDir, { recursive: true });
    // A few hundred users register faster through the protocol than PGlite starts for seeding.
    const seeded = n <= 200 ? false : await seed('embedded', 's1e', n, dataDir);
    if (!seeded && n <= 200) say(`registering ${n} users through the protocol (type 19)`);
    const p = await startOurs('ours-embedded', { storage: 'embedded', dataDir });
    procs.push(p);
    return { storage: 'embedded PGlite', load: await runLoad({ ...baseLoadConfig('ours', { prefix: 's1e', start: 0, count: n }, [p.wsUrl]), register: !seeded, scenario: 'relay', relay, watch: watchOf(procs, false) }) };
  });
  await guarded('S1', 'ours', 'ours, PostgreSQL + Redis (cluster mode, 1 instance)', est + 5, async (procs) => {
    await ensureSchema();
    const seeded = await seed('cluster', 's1c', n);
    const p = await startOurs('ours-cluster', { storage: 'cluster', redisPrefix: `${REDIS_PREFIX}s1:` });
    procs.push(p);
    return { storage: 'PostgreSQL + Redis', load: await runLoadPg({ ...baseLoadConfig('ours', { prefix: 's1c', start: 0, count: n }, [p.wsUrl]), register: !seeded, scenario: 'relay', relay, watch: watchOf(procs, true) }) };
  });
}

async function s2() {
  const n = S.s2;
  const relay = relayConfig(true);
  const est = QUICK ? 15 : 35;
  await guarded('S2', 'b1', 'B1 Socket.IO + Redis adapter, 2 instances', est, async (procs) => {
    const key = `bench-${RUN_ID}-s2`;
    procs.push(await startBaseline('b1', 'b1#1', [REDIS_URL, key]), await startBaseline('b1', 'b1#2', [REDIS_URL, key]));
    return { load: await runLoad({ ...baseLoadConfig('b1', { prefix: 'u', start: 0, count: n }, procs.map((p) => p.wsUrl)), placement: 'split', scenario: 'relay', relay, watch: watchOf(procs, true) }) };
  });
  await guarded('S2', 'ours', 'ours, 2 instances (PostgreSQL + Redis)', est + 10, async (procs) => {
    await ensureSchema();
    const seeded = await seed('cluster', 's2c', n);
    procs.push(...(await startCluster('ours-s2', 2, `${REDIS_PREFIX}s2:`)));
    return { storage: 'PostgreSQL + Redis', load: await runLoadPg({ ...baseLoadConfig('ours', { prefix: 's2c', start: 0, count: n }, procs.map((p) => p.wsUrl)), register: !seeded, placement: 'split', scenario: 'relay', relay, watch: watchOf(procs, true) }) };
  });
}

/** S3: n idle logged-in connections held by several load processes (each stays under the fd limit). */
async function idleRun(target, proc, users, register) {
  const perProcess = Math.min(10000, FD_LIMIT - FD_MARGIN);
  const shards = Math.ceil(users.count / perProcess);
  // RSS moves with the collector: V8's memory reducer gives memory back ~15-20 s after activity
  // stops, so RSS is sampled over an idle period and the median of its last quarter is used.
  const idleMs = Number(process.env.BENCH_S3_IDLE_MS ?? (QUICK ? 2000 : 24000));
  const timeline = [];
  const settle = async (label) => {
    const samples = [];
    const t0 = Date.now();
    while (Date.now() - t0 < idleMs) {
      const kb = memory(proc.pid).rssKb;
      if (Date.now() - t0 >= idleMs * 0.75) samples.push(kb);
      timeline.push({ label, s: round((Date.now() - t0) / 1000, 1), rssMb: round(kb / 1024, 1) });
      await sleep(250);
    }
    samples.sort((a, b) => a - b);
    return { rssKb: samples[Math.floor(samples.length / 2)] };
  };
  const before = await settle('before');
  const cpuBefore = cpuSeconds(proc.pid);
  const t0 = Date.now();
  const loads = [];
  const readies = [];
  for (let i = 0; i < shards; i++) {
    const start = users.start + i * perProcess;
    const count = Math.min(perProcess, users.start + users.count - start);
    let ready;
    readies.push(new Promise((resolve) => (ready = resolve)));
    loads.push(
      runLoad(
        { ...baseLoadConfig(target, { prefix: users.prefix, start, count }, [proc.wsUrl]), register, scenario: 'idle', connectConcurrency: 100 },
        { onReady: (child, m) => ready({ child, connected: m.connected }), timeoutMs: 400000 },
      ),
    );
    loads[i].catch((error) => ready({ error }));
  }
  const ready = await Promise.all(readies);
  const failed = ready.find((r) => r.error);
  if (failed) throw failed.error;
  const connectSec = (Date.now() - t0) / 1000;
  const cpuConnect = (cpuSeconds(proc.pid) ?? 0) - (cpuBefore ?? 0);
  const connected = ready.reduce((a, r) => a + r.connected, 0);
  const after = await settle('after');
  const loadRss = ready.map((r) => memory(r.child.pid)?.rssKb ?? 0);
  for (const r of ready) r.child.send({ cmd: 'exit' });
  await Promise.all(loads).catch(() => undefined);
  const perConnKb = (after.rssKb - before.rssKb) / connected;
  say(`  ${target}: ${connected} idle connections, server RSS ${round(before.rssKb / 1024)} → ${round(after.rssKb / 1024)} MB = ${round(perConnKb, 2)} KB per connection`);
  return {
    connections: connected,
    rssBeforeMb: round(before.rssKb / 1024, 1),
    rssAfterMb: round(after.rssKb / 1024, 1),
    rssPerConnKb: round(perConnKb, 2),
    connectSec: round(connectSec, 1),
    loginsPerSec: round(connected / connectSec),
    serverCpuSecConnecting: round(cpuConnect, 1),
    loadProcesses: shards,
    loadRssMb: loadRss.map((kb) => round(kb / 1024)),
    idleSecondsSampled: idleMs / 1000,
    rssTimeline: timeline.filter((_, i) => i % 4 === 0),
  };
}

async function s3() {
  let n = S.s3;
  // Both targets run the same count; it shrinks when what is left of the budget cannot take it
  // (about 300 logins/s on our server here, 2,000/s on B0, and two idle periods each).
  const idleSec = Number(process.env.BENCH_S3_IDLE_MS ?? (QUICK ? 2000 : 24000)) / 1000;
  const leftSec = (BUDGET_MS - 25000 - (Date.now() - T_START)) / 1000;
  const fits = Math.floor((leftSec - 4 * idleSec - 30) / (1 / 2000 + 1 / 300));
  if (fits < n && !TARGETS) {
    const scaled = Math.max(1000, fits);
    warn(`S3: ${Math.round(leftSec)} s left of the budget: ${scaled} connections instead of ${n}`);
    n = scaled;
  }
  await guarded('S3', 'b0', `B0 raw ws relay, ${n} idle`, QUICK ? 12 : 70, async (procs) => {
    const p = await startBaseline('b0', 'b0');
    procs.push(p);
    return { idle: await idleRun('b0', p, { prefix: 'u', start: 0, count: n }, false) };
  });
  await guarded('S3', 'ours', `ours, ${n} idle (PostgreSQL + Redis)`, QUICK ? 20 : 140, async (procs) => {
    await ensureSchema();
    const seeded = await seed('cluster', 's3c', n);
    const p = await startOurs('ours-s3', { storage: 'cluster', redisPrefix: `${REDIS_PREFIX}s3:` });
    procs.push(p);
    return { storage: 'PostgreSQL + Redis', idle: await idleRun('ours', p, { prefix: 's3c', start: 0, count: n }, !seeded) };
  });
}

async function s4() {
  const n = S.s4;
  const group = { groupName: `bench-${RUN_ID}`, senders: S.s4Senders, window: 8, warmupMs: S.warmup, maxMs: S.max };
  const est = QUICK ? 12 : 30;
  await guarded('S4', 'b0', 'B0 raw ws relay, 1 process', est, async (procs) => {
    const p = await startBaseline('b0', 'b0');
    procs.push(p);
    return { load: await runLoad({ ...baseLoadConfig('b0', { prefix: 'u', start: 0, count: n }, [p.wsUrl]), scenario: 'group', group, watch: watchOf(procs, false) }) };
  });
  await guarded('S4', 'b1', 'B1 Socket.IO + Redis adapter, 2 instances', est, async (procs) => {
    const key = `bench-${RUN_ID}-s4`;
    procs.push(await startBaseline('b1', 'b1#1', [REDIS_URL, key]), await startBaseline('b1', 'b1#2', [REDIS_URL, key]));
    return { load: await runLoad({ ...baseLoadConfig('b1', { prefix: 'u', start: 0, count: n }, procs.map((p) => p.wsUrl)), placement: 'split', scenario: 'group', group, watch: watchOf(procs, true) }) };
  });
  await guarded('S4', 'ours', 'ours, 2 instances (PostgreSQL + Redis)', est + 15, async (procs) => {
    await ensureSchema();
    const seeded = await seed('cluster', 's4c', n);
    procs.push(...(await startCluster('ours-s4', 2, `${REDIS_PREFIX}s4:`)));
    return { storage: 'PostgreSQL + Redis', load: await runLoadPg({ ...baseLoadConfig('ours', { prefix: 's4c', start: 0, count: n }, procs.map((p) => p.wsUrl)), register: !seeded, placement: 'split', scenario: 'group', group, watch: watchOf(procs, true) }) };
  });
}

async function s5() {
  const n = S.s5;
  await guarded('S5', 'ours', `ours, ${n} clients on 1 of 3 instances`, QUICK ? 35 : 80, async (procs) => {
    await ensureSchema();
    const seeded = await seed('cluster', 's5c', n);
    // Nothing moves by itself: the bench calls POST /reBalance.
    const env = { REBALANCE_DELAY_MS: '3600000', REBALANCE_INTERVAL_MS: '3600000', REBALANCE_COOLDOWN_MS: '0', REBALANCE_MIN_USERS: '0' };
    procs.push(...(await startCluster('ours-s5', 3, `${REDIS_PREFIX}s5:`, env)));
    const config = {
      ...baseLoadConfig('ours', { prefix: 's5c', start: 0, count: n }, procs.map((p) => p.wsUrl)),
      ackMs: 250,
      register: !seeded,
      scenario: 'rebalance',
      rebalance: { httpUrls: procs.map((p) => p.httpUrl), adminToken: SECRETS.ADMIN_TOKEN, senders: S.s5Senders, rate: S.s5Rate, preMs: S.s5Pre, postMs: S.s5Post, timeoutMs: S.s5Timeout, tolerance: 0.1 },
      watch: watchOf(procs, true),
    };
    return { storage: 'PostgreSQL + Redis', load: await runLoad(config) };
  });
}

// --- report ------------------------------------------------------------------------------------

const fmt = (v, digits = 0) => (v === null || v === undefined || Number.isNaN(v) ? '–' : typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : String(v));
const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? round(a / b, 2) : null);
const met = (ok) => (ok === null || ok === undefined ? '–' : ok ? 'yes' : '**no**');

function find(scenario, target, labelPart) {
  return records.find((r) => r.scenario === scenario && r.target === target && (!labelPart || r.label.includes(labelPart)));
}

function value(rec, path) {
  if (!rec) return null;
  if (rec.skipped) return `skipped (${rec.skipped})`;
  if (rec.error) return 'failed';
  return path(rec) ?? null;
}

function buildRows() {
  const rows = [];
  const row = (scenario, figure, ours, base, baseLabel, r, target, ok) => rows.push({ scenario, figure, ours, base, baseLabel, r, target, ok });
  const num = (v) => (typeof v === 'number' ? v : null);

  if (SCENARIOS.includes('S1')) {
    const b0 = find('S1', 'b0');
    const b1 = find('S1', 'b1');
    const b0max = num(value(b0, (r) => r.load.max.deliveredPerSec));
    const b1max = num(value(b1, (r) => r.load.max.deliveredPerSec));
    for (const [part, short] of [
      ['PostgreSQL', 'PostgreSQL + Redis'],
      ['embedded', 'embedded PGlite'],
    ]) {
      const rec = find('S1', 'ours', part);
      const max = value(rec, (r) => r.load.max.deliveredPerSec);
      row('S1', `max delivered msg/s, 1 instance (${short})`, max, b1max, 'B1 (1 inst.)', ratio(num(max), b1max), '≥ 2x B1', ratio(num(max), b1max) === null ? null : ratio(num(max), b1max) >= 2);
      row('S1', `max delivered msg/s, 1 instance (${short})`, max, b0max, 'B0', ratio(num(max), b0max), '≥ 0.5x B0', ratio(num(max), b0max) === null ? null : ratio(num(max), b0max) >= 0.5);
      const p = (rr, q) => value(rr, (r) => r.load.paced.latencyMs[q]);
      const p99 = p(rec, 'p99');
      row('S1', `latency at 50 % of max, p50 / p99 / p999 ms (${short})`, lat(rec), lat(b1), 'B1 (1 inst.)', ratio(num(p99), num(p(b1, 'p99'))), 'p99 < 20 ms', typeof p99 === 'number' ? p99 < 20 : null);
    }
    row('S1', 'latency at 50 % of max, p50 / p99 / p999 ms (B0)', lat(b0), null, '', null, '', null);
  }
  if (SCENARIOS.includes('S2')) {
    const b1 = find('S2', 'b1');
    const b0 = find('S1', 'b0');
    const rec = find('S2', 'ours');
    const max = value(rec, (r) => r.load.max.deliveredPerSec);
    const b1max = num(value(b1, (r) => r.load.max.deliveredPerSec));
    const b0max = num(value(b0, (r) => r.load.max.deliveredPerSec));
    row('S2', 'max delivered msg/s, senders on #1, recipients on #2', max, b1max, 'B1 (2 inst.)', ratio(num(max), b1max), '≥ 2x B1', ratio(num(max), b1max) === null ? null : ratio(num(max), b1max) >= 2);
    row('S2', 'max delivered msg/s, senders on #1, recipients on #2', max, b0max, 'B0 (S1, 1 proc.)', ratio(num(max), b0max), '≥ 0.5x B0', ratio(num(max), b0max) === null ? null : ratio(num(max), b0max) >= 0.5);
    row('S2', 'latency at 50 % of max, p50 / p99 / p999 ms', lat(rec), lat(b1), 'B1 (2 inst.)', ratio(num(value(rec, (r) => r.load.paced.latencyMs.p99)), num(value(b1, (r) => r.load.paced.latencyMs.p99))), '', null);
  }
  if (SCENARIOS.includes('S3')) {
    const b0 = find('S3', 'b0');
    const rec = find('S3', 'ours');
    const kb = value(rec, (r) => r.idle.rssPerConnKb);
    const b0kb = num(value(b0, (r) => r.idle.rssPerConnKb));
    const n = value(rec, (r) => r.idle.connections);
    row('S3', `RSS per idle logged-in connection, KB (${fmt(n)} conns)`, kb, b0kb, 'B0', ratio(num(kb), b0kb), '≤ 8 KB', typeof kb === 'number' ? kb <= 8 : null);
    row('S3', `RSS per idle logged-in connection, KB (${fmt(n)} conns)`, kb, b0kb, 'B0', ratio(num(kb), b0kb), '≤ 1.5x B0', ratio(num(kb), b0kb) === null ? null : ratio(num(kb), b0kb) <= 1.5);
    row('S3', 'logins/s while connecting (token login)', value(rec, (r) => r.idle.loginsPerSec), num(value(b0, (r) => r.idle.loginsPerSec)), 'B0', null, '', null);
  }
  if (SCENARIOS.includes('S4')) {
    const b1 = find('S4', 'b1');
    const b0 = find('S4', 'b0');
    const rec = find('S4', 'ours');
    const d = value(rec, (r) => r.load.max.deliveredPerSec);
    const b1d = num(value(b1, (r) => r.load.max.deliveredPerSec));
    const b0d = num(value(b0, (r) => r.load.max.deliveredPerSec));
    row('S4', `group fan-out deliveries/s (${S.s4} members, 2 instances)`, d, b1d, 'B1 (2 inst.)', ratio(num(d), b1d), '≥ 1x B1', ratio(num(d), b1d) === null ? null : ratio(num(d), b1d) >= 1);
    row('S4', `group fan-out deliveries/s (${S.s4} members, 2 instances)`, d, b0d, 'B0 (1 proc.)', ratio(num(d), b0d), '', null);
    row('S4', 'group messages sent/s (acknowledged)', value(rec, (r) => r.load.max.ackedPerSec), num(value(b1, (r) => r.load.max.ackedPerSec)), 'B1 (2 inst.)', ratio(num(value(rec, (r) => r.load.max.ackedPerSec)), num(value(b1, (r) => r.load.max.ackedPerSec))), '', null);
  }
  if (SCENARIOS.includes('S5')) {
    const rec = find('S5', 'ours');
    if (rec?.load?.notRun) {
      row('S5', 'rebalance', `not run: ${rec.load.notRun}`, null, '', null, 'within 10 % in < 10 s, 0 lost', null);
    } else {
      const t = value(rec, (r) => (r.load.balancedAfterMs === null ? 'not balanced' : round(r.load.balancedAfterMs / 1000, 2)));
      row('S5', `time until every instance is within 10 % of the mean, s (${S.s5} clients, 3 instances)`, t, null, '', null, '< 10 s', typeof t === 'number' ? t < 10 : null);
      row('S5', 'messages acknowledged during the move', value(rec, (r) => r.load.ackedDuringMove), null, '', null, '', null);
      const lost = value(rec, (r) => r.load.lost);
      row('S5', 'messages lost (acknowledged, never received)', lost, null, '', null, '0', typeof lost === 'number' ? lost === 0 : null);
    }
  }
  return rows;
}

function lat(rec) {
  const l = value(rec, (r) => r.load.paced.latencyMs);
  if (!l || typeof l !== 'object') return l;
  return `${fmt(l.p50, 1)} / ${fmt(l.p99, 1)} / ${fmt(l.p999, 1)}`;
}

function render() {
  const m = machine();
  const rows = buildRows();
  const lines = [];
  lines.push('# Benchmarks');
  lines.push('');
  lines.push(`Produced by \`${COMMAND}\` on ${new Date().toISOString()}${QUICK ? ' (**--quick: counts scaled down ~10x, short windows; smoke test, not the figures of record**)' : ''}.`);
  lines.push(`Machine: ${m.cpuModel}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.kernel}; open files limit ${m.fdLimit?.soft}/${m.fdLimit?.hard}. Loopback only; the load generator, the servers, PostgreSQL and Redis share the same ${m.cores} cores.`);
  const la = (v) => v.map((x) => x.toFixed(1)).join(' / ');
  lines.push(`Load average (1 / 5 / 15 min) before the run ${la(LOAD_AT_START)}, after ${la(require('node:os').loadavg())}: anything else running on the machine (a test suite) lowers every figure; the figures of record need a quiet machine.`);
  if (aborted) lines.push(`\n**Run aborted: ${aborted}.** Figures missing below were not measured.`);
  lines.push('');
  lines.push('| Scenario | Figure | Ours | Baseline | Baseline figure | Ratio | Target | Met? |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const r of rows) lines.push(`| ${r.scenario} | ${r.figure} | ${fmt(r.ours, 2)} | ${r.baseLabel} | ${fmt(r.base, 2)} | ${r.r === null ? '–' : `${r.r}x`} | ${r.target} | ${met(r.ok)} |`);
  lines.push('');
  lines.push('## Runs');
  lines.push('');
  lines.push('| Scenario | Target | Setup | Max window: delivered/s, sent/s, p50 / p99 ms | Server CPU µs/delivery | Paced window: rate, delivered/s, p50 / p99 / p999 ms | Notes |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const r of records) {
    if (r.skipped || r.error) {
      lines.push(`| ${r.scenario} | ${r.label} | – | – | – | – | ${r.skipped ? `skipped: ${r.skipped}` : `failed: ${String(r.error).replace(/\|/g, '/')}`} |`);
      continue;
    }
    const l = r.load;
    if (r.idle) {
      const i = r.idle;
      lines.push(`| ${r.scenario} | ${r.label} | ${fmt(i.connections)} conns in ${i.connectSec} s (${fmt(i.loginsPerSec)}/s, ${i.loadProcesses} load procs) | – | – | – | server RSS ${i.rssBeforeMb} → ${i.rssAfterMb} MB; ${i.rssPerConnKb} KB/conn; server CPU while connecting ${i.serverCpuSecConnecting} s |`);
      continue;
    }
    const setup = l?.setup ? `${fmt(l.setup.connected)} clients, ${l.setup.registered ? 'registered (type 19) + ' : ''}${l.setup.loginMode} login, ${l.setup.seconds} s` : '–';
    if (l?.notRun) {
      lines.push(`| ${r.scenario} | ${r.label} | ${setup} | – | – | – | not run: ${l.notRun} |`);
      continue;
    }
    if (r.scenario === 'S5') {
      lines.push(`| ${r.scenario} | ${r.label} | ${setup} | – | – | – | balanced (registry) after ${fmt(l.balancedAfterMs)} ms, clients' view ${fmt(l.clientViewBalancedAfterMs)} ms; ${l.moves} moves (${l.moveFailures} failed, p50 ${fmt(l.moveMsP50)} ms, max ${fmt(l.moveMsMax)} ms); acked ${l.ackedTotal}, during move ${l.ackedDuringMove}; lost ${l.lost} (${l.lostBeforeRelogin} before re-login); dups ${l.totals.duplicates}; before ${(l.before ?? []).map((x) => x.connections).join('/')} after ${(l.after ?? []).map((x) => x.connections).join('/')} |`);
      continue;
    }
    const mx = l.max;
    const pc = l.paced;
    const notes = [];
    if (l.members) notes.push(`${l.members} members, ${l.senders} senders x ${l.perSenderInflight} in flight`);
    if (l.senders && !l.members) notes.push(`${l.senders} senders → ${l.recipients} recipients, ${l.perSenderInflight} in flight each`);
    if (mx.failed) notes.push(`${mx.failed} refused`);
    if (l.totals?.closes) notes.push(`${l.totals.closes} unexpected closes`);
    if (Object.keys(l.totals?.reasons ?? {}).length) notes.push(`reasons: ${JSON.stringify(l.totals.reasons).replace(/\|/g, '/').slice(0, 200)}`);
    if (pc && pc.deliveredPerSec < pc.targetRate * 0.95) notes.push('paced rate not sustained');
    if (pc?.dropped) notes.push(`${pc.dropped} paced sends dropped (in-flight cap)`);
    notes.push(`generator loop delay p99 ${mx.generatorLoopDelayP99Ms} ms`);
    lines.push(
      `| ${r.scenario} | ${r.label} | ${setup} | ${fmt(mx.deliveredPerSec)}, ${fmt(mx.sentPerSec)}, ${fmt(mx.latencyMs.p50, 1)} / ${fmt(mx.latencyMs.p99, 1)} | ${fmt(mx.serverCpuUsPerDelivery, 1)} | ${pc ? `${fmt(pc.targetRate)}/s, ${fmt(pc.deliveredPerSec)}, ${fmt(pc.latencyMs.p50, 1)} / ${fmt(pc.latencyMs.p99, 1)} / ${fmt(pc.latencyMs.p999, 1)}` : '–'} | ${notes.join('; ')} |`,
    );
  }
  const diagnostics = records.filter((r) => r.load?.pgActivity && Object.keys(r.load.pgActivity).length);
  if (diagnostics.length) {
    lines.push('');
    lines.push('## PostgreSQL activity during the windows');
    lines.push('');
    lines.push("`pg_stat_activity` of the bench database sampled every ~25 ms: how many of the server's statements were running at once, and the most frequent statement/wait pairs (% of samples). Many samples with exactly one statement and `IO/WALSync` waits mean that writes go one at a time and wait for the disk.");
    lines.push('');
    lines.push('| Scenario | Target | Window | Samples | Statements running at once (% of samples) | Top statement / wait | Transactions, rows inserted / updated (per message inserted) |');
    lines.push('|---|---|---|---|---|---|---|');
    for (const r of diagnostics) {
      for (const [name, a] of Object.entries(r.load.pgActivity)) {
        const conc = Object.entries(a.concurrentPct).map(([k, v]) => `${k}: ${v} %`).join(', ');
        const waits = a.topWaits.map((w) => `${w.what} ${w.pctOfSamples} %`).join('; ');
        const c = a.counters;
        const rows = c ? Object.entries(c.tables).map(([t, d]) => `${t} +${d.ins}/~${d.upd}`).join(', ') : '–';
        const per = a.perInsertedMessage ? ` (${a.perInsertedMessage.xacts} xacts, ${a.perInsertedMessage.rowUpdates} row updates per message)` : '';
        lines.push(`| ${r.scenario} | ${r.label} | ${name} | ${a.samples} | ${conc} | ${waits} | ${c ? `${c.xacts} xacts; ${rows}${per}` : '–'} |`);
      }
    }
  }
  lines.push('');
  lines.push('## CPU and peak RSS per process');
  lines.push('');
  lines.push('CPU is user+system seconds over the measured window as % of one core (200 % = both cores); for S3 it is the server CPU spent while the clients connected. Peak RSS is VmHWM over the process life (for PostgreSQL and Redis: the summed RSS of their processes, shared memory counted in each).');
  lines.push('');
  lines.push('| Scenario | Target | Window | Process | CPU % | CPU s | Peak RSS MB |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const r of records) {
    if (!r.load) {
      if (r.idle) for (const p of r.processes ?? []) lines.push(`| ${r.scenario} | ${r.label} | connect | ${p.name} | – | ${r.idle.serverCpuSecConnecting} | ${p.peakRssMb} |`);
      if (r.idle) lines.push(`| ${r.scenario} | ${r.label} | connect | load generators | – | – | ${r.idle.loadRssMb.join(' + ')} |`);
      continue;
    }
    for (const [name, w] of [
      ['max', r.load.max],
      ['paced', r.load.paced],
    ]) {
      if (!w?.procs) continue;
      for (const p of w.procs) lines.push(`| ${r.scenario} | ${r.label} | ${name} | ${p.name} | ${fmt(p.cpuPct)} | ${fmt(p.cpuSec, 1)} | ${fmt(p.peakRssMb)} |`);
    }
  }
  lines.push('');
  lines.push('## Method');
  lines.push('');
  lines.push(
    [
      '- Load generator: `bench/load.js`, raw `ws` clients (socket.io-client for B1), one process (S3: several, each below the open-files limit). Latency is the recipient\'s receive time minus the send time written into `content`; in paced windows it is the *scheduled* send time (open loop, no coordinated omission), recorded in an HDR histogram (hdr-histogram-js).',
      `- Max window: closed loop, every sender keeps a fixed number of sends in flight (1:1: ${S.inflight} in total, enough to saturate every target here without building long queues; S4: 8 group messages per sender), ${S.warmup / 1000} s warm-up, ${S.max / 1000} s measured. "Delivered msg/s" counts messages received by recipients. "Server CPU µs/delivery" is the CPU of every server-side process (instances, PostgreSQL, Redis) in the window divided by the deliveries: it is less sensitive than throughput to other load on the machine. Paced window: open loop at 50 % of that maximum, ${S.pacedWarmup / 1000} s warm-up, ${S.paced / 1000} s measured.`,
      '- Our server: `node dist/main.js` with the environment of test/helpers (HOST/PUBLIC_HOST 127.0.0.1, LOG_LEVEL=warn) and RATE_LIMIT_PER_SEC=1000000, RATE_LIMIT_BURST=10000000, with the per-address connection and request limits off (every simulated client comes from 127.0.0.1). Embedded: DATA_DIR (PGlite). PostgreSQL + Redis: DATABASE_URL (database `chat_bench_<id>`, dropped after) and REDIS_URL with a REDIS_PREFIX per scenario. It stores every message before acknowledging it; recipients acknowledge (type 22) in batches every second (S5: 250 ms). The baselines store nothing and get no acks.',
      '- Users are seeded into the `users` table with one precomputed argon2id hash (the server\'s parameters) instead of registering each one (argon2 costs ~45 ms of a core per hash), and log in with a session token signed with the bench\'s JWT_SECRET (`{messageType:17, token}`); a few log in with their password to check the seeded hashes. B0/B1 log in with `{messageType:17, username}`.',
      '- B0: `bench/baselines/b0-relay.js` (user → sockets map, group → sockets map). B1: `bench/baselines/b1-socketio.js` (Socket.IO 4, @socket.io/redis-adapter 8, rooms `user:NAME` and `group:NAME`; every emit goes through the adapter, also with one instance).',
      '- S2 and S4 place half of the clients on each instance; in S2 the senders are the half on instance 1 and the recipients the half on instance 2. S4: one group with every client as member, a few senders (alternating instances) with 8 group messages in flight each; deliveries/s counts every copy received, the sender\'s own included.',
      `- S3: idle logged-in connections held by ${Math.ceil(S.s3 / Math.min(10000, FD_LIMIT - FD_MARGIN))} load process(es) (the open-files limit is per process). RSS per connection = (server RSS with the connections - RSS before) / connections, each RSS the median of the last quarter of a ${Number(process.env.BENCH_S3_IDLE_MS ?? (QUICK ? 2000 : 24000)) / 1000} s idle period (V8's memory reducer returns memory some 15-20 s after activity stops; quick runs do not wait for it).`,
      '- PostgreSQL diagnostics (PostgreSQL-backed runs): `pg_stat_activity` of the bench database sampled every ~25 ms during the windows, and `pg_stat_database` / `pg_stat_user_tables` counters at the window edges (backends flush these about once a second, so counts are approximate, ratios per inserted message less so).',
      '- S5: three instances with REBALANCE_DELAY_MS/REBALANCE_INTERVAL_MS at one hour (nothing moves by itself), all clients on instance 1, a subset sending paced 1:1 messages throughout; the bench calls `POST /reBalance` and polls `/cluster/instances` every ~100 ms until every instance is within 10 % of the mean. Clients follow type 21 (connect to `url`, log in with their token, then close the old connection once its sends are answered). Lost = acknowledged to the sender but never received (deduplicated by messageId), checked again after the recipients log in once more.',
    ].join('\n'),
  );
  if (WARNINGS.length) {
    lines.push('');
    lines.push('## Warnings');
    lines.push('');
    for (const w of WARNINGS) lines.push(`- ${w}`);
  }
  lines.push('');
  lines.push(`Raw results of this run: \`${relative(ROOT, RESULTS_JSON)}\` (not tracked by git). Harness: \`bench/\` (see bench/README.md).`);
  lines.push('');
  return lines.join('\n');
}

const RESULTS_JSON = join(ROOT, 'bench', 'results', QUICK ? 'last-quick.json' : 'last.json');

// --- cleanup -----------------------------------------------------------------------------------

async function cleanup() {
  killAll();
  try {
    const Redis = require('ioredis');
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  } catch (error) {
    say(`redis cleanup: ${error.message}`);
  }
  if (dbReady) {
    try {
      await dbReady.catch(() => undefined);
      const { Client } = require('pg');
      const admin = new Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
      await admin.end();
      say(`dropped database ${DB_NAME}`);
    } catch (error) {
      say(`database cleanup: ${error.message}`);
    }
  }
}

let finishing = false;
async function finish(code) {
  if (finishing) return;
  finishing = true;
  clearTimeout(abortTimer);
  killAll();
  let text = '';
  try {
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(RESULTS_JSON, JSON.stringify({ command: COMMAND, quick: QUICK, machine: machine(), scale: S, warnings: WARNINGS, aborted, records }, null, 2));
    text = render();
    const out = resolve(ROOT, OUT);
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, text);
    process.stdout.write(`\n${text}\n`);
    say(`wrote ${OUT} and ${relative(ROOT, RESULTS_JSON)}`);
  } catch (error) {
    process.stderr.write(`report failed: ${error.stack}\n`);
  }
  await cleanup();
  try {
    // Server logs are kept only when something failed or the run was cut; data directories never.
    if (!aborted && !records.some((r) => r.error)) rmSync(WORK_DIR, { recursive: true, force: true });
    else {
      rmSync(join(WORK_DIR, 's1-embedded'), { recursive: true, force: true });
      process.stdout.write(`server logs kept in ${WORK_DIR}\n`);
    }
  } catch {
    // ignore
  }
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    aborted = `interrupted by ${signal}`;
    say(aborted);
    killAll();
    void finish(130);
  });
}
process.on('exit', killAll);

// --- main --------------------------------------------------------------------------------------

async function main() {
  say(`run ${RUN_ID}: ${SCENARIOS.join(' ')}${QUICK ? ' (quick)' : ''}, budget ${BUDGET_MS / 1000} s, open files limit ${FD_LIMIT}`);
  for (const w of WARNINGS) say(`WARNING: ${w}`);
  ensureBuilt();
  const plan = { S1: s1, S2: s2, S3: s3, S4: s4, S5: s5 };
  for (const name of SCENARIOS) {
    if (aborted) break;
    await plan[name]();
  }
}

/** PostgreSQL and Redis, when a target that runs needs them: our server both, B1 Redis, B0 neither. */
function neededServices() {
  const ours = !TARGETS || TARGETS.includes('ours');
  return { postgres: ours, redis: ours || TARGETS.includes('b1') };
}

// A service that does not answer ends the run before it starts anything, and writes no report.
serviceProblems(neededServices()).then((problems) => {
  if (problems.length) {
    for (const problem of problems) process.stderr.write(`bench: ${problem}\n`);
    rmSync(WORK_DIR, { recursive: true, force: true });
    process.exit(1);
  }
  main().then(
    () => finish(0),
    (error) => {
      say(`failed: ${error.stack}`);
      void finish(1);
    },
  );
});
