'use strict';
// The processes a run starts: our server (node dist/main.js, as the e2e tests start it) and the
// baselines, each tracked so that the end of the run, or of its budget, kills every one.
const { spawn, execSync } = require('node:child_process');
const { createWriteStream, existsSync } = require('node:fs');
const { join } = require('node:path');
const { sleep, freePort, memory, cpuSeconds, round, httpJson, benchServerEnv, REDIS_URL, SERVER_NODE_ARGS } = require('../lib/common');
const { ROOT, MAIN, BUDGET_MS, SECRETS, DB_URL, WORK_DIR, say, state } = require('./context');

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

let abortTimer = null;
/** The budget: the run is cut and every child killed 25 s before it ends, the process ends 20 s after. */
function armBudget() {
  abortTimer = setTimeout(() => {
    state.aborted = `time budget of ${BUDGET_MS / 1000} s used up`;
    say(`ABORT: ${state.aborted}; killing every child process`);
    killAll();
  }, BUDGET_MS - 25000); // leaves time to clean up and write the report
  abortTimer.unref();
  // Last resort: whatever happens, the run stops.
  setTimeout(() => {
    killAll();
    process.stderr.write('bench: hard time limit reached\n');
    process.exit(2);
  }, BUDGET_MS + 20000).unref();
}

/** The run ends in time: nothing is cut any more (the last-resort timer stays). */
function disarmBudget() {
  clearTimeout(abortTimer);
}

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
    return {
      name: this.name,
      pid: this.pid,
      peakRssMb: round((memory(this.pid)?.hwmKb ?? 0) / 1024, 1),
      cpuSec: round(cpuSeconds(this.pid) ?? 0, 1),
    };
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
  const nodeArgs = [...SERVER_NODE_ARGS, ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const child = track(spawn(process.execPath, [...nodeArgs, MAIN], { cwd: ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] }));
  const proc = new Proc(name, child, port, 'ours');
  const deadline = Date.now() + 90000;
  while (Date.now() < deadline) {
    if (state.aborted) throw new Error(state.aborted);
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
  const procs = await Promise.all(
    Array.from({ length: n }, (_, i) => startOurs(`${label}#${i + 1}`, { storage: 'cluster', redisPrefix, env })),
  );
  const deadline = Date.now() + 20000;
  for (;;) {
    const views = await Promise.all(
      procs.map((p) => httpJson('GET', `${p.httpUrl}/cluster/instances`, { token: SECRETS.ADMIN_TOKEN }).catch(() => null)),
    );
    if (views.every((v) => v?.json?.data?.length === n)) return procs;
    if (Date.now() > deadline) throw new Error(`${label}: the instances did not all see each other`);
    await sleep(200);
  }
}

async function startBaseline(kind, name, extra = []) {
  const port = await freePort();
  const script = join(ROOT, 'bench', 'baselines', kind === 'b0' ? 'b0-relay.js' : 'b1-socketio.js');
  const child = track(
    spawn(process.execPath, [script, String(port), ...extra], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
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

module.exports = { track, killAll, armBudget, disarmBudget, ensureBuilt, startOurs, startCluster, startBaseline, stopAll };
