'use strict';
// Small helpers shared by the bench runner, the load generator and the baselines.
const { readFileSync, readdirSync } = require('node:fs');
const { createServer } = require('node:net');
const { createHmac } = require('node:crypto');
const os = require('node:os');

const CLK_TCK = 100; // Linux USER_HZ; `getconf CLK_TCK` is 100 on every mainstream kernel build

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
const nowMs = () => performance.timeOrigin + performance.now();

/** A WebSocket message parsed as JSON, or undefined when it is not JSON. */
function parseFrame(data) {
  try {
    return JSON.parse(data.toString());
  } catch {
    return undefined;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) a process has used so far, or null when it is gone. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / CLK_TCK;
  } catch {
    return null;
  }
}

/** {rssKb, hwmKb} from /proc/PID/status, or null when the process is gone. */
function memory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+)/.exec(status);
    const hwm = /VmHWM:\s+(\d+)/.exec(status);
    return { rssKb: rss ? Number(rss[1]) : 0, hwmKb: hwm ? Number(hwm[1]) : 0 };
  } catch {
    return null;
  }
}

/** CPU seconds of every live process whose command name is `comm` (postgres backends, redis-server). */
function cpuByComm(comm) {
  const out = new Map();
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
    } catch {
      continue;
    }
    const cpu = cpuSeconds(entry);
    if (cpu !== null) out.set(entry, cpu);
  }
  return out;
}

function rssByComm(comm, pids) {
  let kb = 0;
  for (const pid of pids) kb += memory(pid)?.rssKb ?? 0;
  return kb;
}

/**
 * Samples CPU and RSS of some processes over a window. Entries are {name, pid} for one process or
 * {name, comm} for all processes of that command name (PostgreSQL's backends, Redis), summed.
 * Peak RSS is the larger of VmHWM (process lifetime) and the sampled maximum.
 */
class ProcWatch {
  constructor(procs, intervalMs = 250) {
    this.procs = procs;
    this.start = new Map();
    this.peak = new Map();
    for (const p of procs) {
      if (p.comm) {
        const cpus = cpuByComm(p.comm);
        this.start.set(p.name, cpus);
        this.peak.set(p.name, rssByComm(p.comm, cpus.keys()));
      } else {
        this.start.set(p.name, cpuSeconds(p.pid));
        this.peak.set(p.name, memory(p.pid)?.rssKb ?? 0);
      }
    }
    this.t0 = Date.now();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample() {
    for (const p of this.procs) {
      const kb = p.comm ? rssByComm(p.comm, cpuByComm(p.comm).keys()) : (memory(p.pid)?.rssKb ?? 0);
      if (kb > (this.peak.get(p.name) ?? 0)) this.peak.set(p.name, kb);
    }
  }

  /** Per process: cpuSec used in the window, cpuPct (100 = one core), rssMb now, peakRssMb. */
  stop() {
    clearInterval(this.timer);
    this.sample();
    const seconds = (Date.now() - this.t0) / 1000;
    return this.procs.map((p) => {
      let cpu;
      let rssKb;
      let hwmKb = 0;
      if (p.comm) {
        const begin = this.start.get(p.name);
        const end = cpuByComm(p.comm);
        cpu = 0;
        for (const [pid, value] of end) cpu += value - (begin.get(pid) ?? 0);
        rssKb = rssByComm(p.comm, end.keys());
      } else {
        const end = cpuSeconds(p.pid);
        const begin = this.start.get(p.name);
        cpu = end !== null && begin !== null ? end - begin : null;
        const m = memory(p.pid);
        rssKb = m ? m.rssKb : null;
        hwmKb = m ? m.hwmKb : 0;
      }
      return {
        name: p.name,
        pid: p.pid ?? null,
        windowSec: round(seconds, 2),
        cpuSec: cpu === null ? null : round(cpu, 2),
        cpuPct: cpu === null ? null : round((100 * cpu) / seconds, 1),
        rssMb: rssKb === null ? null : round(rssKb / 1024, 1),
        peakRssMb: round(Math.max(hwmKb, this.peak.get(p.name) ?? 0) / 1024, 1),
      };
    });
  }
}

function round(value, digits = 0) {
  if (value === null || value === undefined || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** HS256 session token in the server's own format ({sub, iat, exp}), signed with the JWT_SECRET the bench set. */
function signToken(secret, username, ttlSeconds = 86400) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const header = b64({ alg: 'HS256', typ: 'JWT' });
  const iat = Math.floor(Date.now() / 1000);
  const payload = b64({ sub: username, iat, exp: iat + ttlSeconds });
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

async function httpJson(method, url, { token, body, timeoutMs = 10000 } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

function machine() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    // not Linux
  }
  let fdLimit = null;
  try {
    const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) fdLimit = { soft: m[1], hard: m[2] };
  } catch {
    // not Linux
  }
  return {
    cpuModel,
    cores: os.cpus().length,
    ramGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    fdLimit,
  };
}

/** The open-files limit of this process (Node raises the soft limit to the hard one at start). */
function fdLimit() {
  try {
    const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    // not Linux
  }
  return 1024;
}

/** Runs `work` over items with at most `limit` at once. */
async function pool(items, limit, work) {
  let next = 0;
  const results = new Array(items.length);
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(runners);
  return results;
}

const PG_ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A URL fit to print: its password masked. */
function shownUrl(text) {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return text;
  }
}

/** The three secrets of one bench run's servers (each run its own). */
function benchSecrets(runId) {
  return {
    ADMIN_TOKEN: `bench-admin-${runId}-0123456789`,
    CLUSTER_TOKEN: `bench-cluster-${runId}-0123456789`,
    JWT_SECRET: `bench-jwt-${runId}-0123456789abcdef`,
  };
}

/**
 * The environment of a benchmarked server process, as test/helpers/instance.ts starts one:
 * loopback, quiet logs, and no per-connection or per-address limits (every simulated client
 * comes from 127.0.0.1). `extra` (the scenario's own settings) overrides, PORT comes last.
 */
/** BENCH_SERVER_ENV="NAME=value NAME=value": settings for our servers in this run, to measure a lever against its default. */
function extraServerEnv() {
  const pairs = (process.env.BENCH_SERVER_ENV ?? '').split(' ').filter(Boolean);
  return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

/** glibc's threshold above which freed memory goes back to the system at once (README, "Memory"). */
const MALLOC_MMAP_THRESHOLD = '131072';
/** The node flags `npm start` and the Dockerfile run our server with (README, "Memory"). */
const SERVER_NODE_ARGS = ['--max-semi-space-size=8'];

function benchServerEnv(secrets, port, extra = {}) {
  return {
    PATH: process.env.PATH ?? '',
    TZ: 'UTC',
    ...secrets,
    HOST: '127.0.0.1',
    PUBLIC_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_SEC: '1000000',
    RATE_LIMIT_BURST: '10000000',
    MAX_CONNECTIONS: '1000000',
    MAX_CONNECTIONS_PER_ADDRESS: '1000000',
    LOGIN_LIMIT_PER_ADDRESS: '0',
    LOGIN_LIMIT_PER_USERNAME: '0',
    REGISTER_LIMIT_PER_ADDRESS: '0',
    HTTP_LIMIT_PER_ADDRESS: '0',
    GROUP_CREATE_LIMIT_PER_USER: '0',
    DRAIN_TIMEOUT_MS: '2000',
    // As `npm start` and the Dockerfile run the server (README, "Memory").
    MALLOC_MMAP_THRESHOLD_: MALLOC_MMAP_THRESHOLD,
    ...extraServerEnv(),
    ...extra,
    PORT: String(port),
  };
}

module.exports = {
  sleep,
  nowMs,
  parseFrame,
  freePort,
  cpuSeconds,
  memory,
  ProcWatch,
  round,
  signToken,
  httpJson,
  machine,
  fdLimit,
  pool,
  benchServerEnv,
  benchSecrets,
  SERVER_NODE_ARGS,
  shownUrl,
  PG_ADMIN_URL,
  REDIS_URL,
};
