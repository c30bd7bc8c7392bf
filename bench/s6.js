'use strict';
// S6: every operation costs the same on a five-million-message database as on a small
// one. `npm run bench -- S6` (bench/run.js hands S6 to this file). For each mode (PostgreSQL + Redis,
// embedded PGlite) and each size (10k messages, then 5M), it seeds a database in SQL
// (bench/lib/seed-scale.js: 100k users, 5k groups, one of 5,000 members), starts one instance, and
// measures, each repeated, p50 and p99:
//   - token login with nothing pending (u5, seven groups), with 1 pending in an old group (u4), with 500 pending (u3),
//     until the LoginResponse and every pending message have arrived;
//   - a 1:1 history page (u1–u2) recent and 10,000 messages deep, a group history page (`old`) recent and deep;
//   - /user/page page 1 and page 1,000 (size 100);
//   - one group message to the 5,000-member group g0 with all 5,000 members online: until every one has it
//     (the receiving sockets live in child processes, `--receivers`, which report receipt times over IPC);
//   - a bystander's Ping round trip while those repeat.
// Then writes the S6 section of docs/benchmarks.md (or --out FILE) and bench/results/s6.json.
// Options: --sizes 10000,5000000  --modes cluster,embedded  --embedded-messages N (PGlite's large size),
// read by bench/lib/args.js (`npm run bench -- --help`).
const { spawn, fork, execFileSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } = require('node:fs');
const { tmpdir, loadavg } = require('node:os');
const { join } = require('node:path');
const { randomBytes } = require('node:crypto');
const WebSocket = require('ws');
const {
  sleep,
  freePort,
  httpJson,
  signToken,
  pool,
  round,
  machine,
  benchServerEnv,
  benchSecrets,
  REDIS_URL,
  SERVER_NODE_ARGS,
} = require('./lib/common');
const { passwordHash, openMigrated } = require('./lib/seed');
const { seedScale, migrate } = require('./lib/seed-scale');
const { benchArgsOrExit, list, parseBenchArgs } = require('./lib/args');
const { serviceProblems } = require('./lib/preflight');
const { databaseUrl, adminQuery } = require('./lib/postgres');
const { exitWhenDone } = require('./lib/exit');
const conversations = require('./s6-conversations');
// The message types of src/protocol, from the build (npm run build).
const { MessageType, RESPONSE_TYPE } = require('../dist/protocol');

const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const RUN_ID = randomBytes(4).toString('hex');
const SECRETS = benchSecrets(RUN_ID);
const SHAPE = { users: 100_000, groups: 5_000, bigGroup: 5_000, groupSize: 10 };
// Logins repeat 100 times after 10 warm-ups: at 30 after one, the p50 of a just-started process
// swung between 0.4x and 1.6x from run to run on identical statements.
const REPEAT = { login: 100, loginWarmup: 10, history: 100, page: 30, fanout: 10 };
/**
 * Child processes holding the 5,000 receiving sockets, so that the bench's own event loop (the bystander, the clock)
 * is not starved by them.
 */
const RECEIVERS = 3;

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function say(line) {
  process.stdout.write(`[S6 ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null);
  return { n: sorted.length, p50: round(at(0.5), 2), p99: round(at(0.99), 2) };
}

// The conversations the deep history pages read: u_1 with u_2, and the group `old`.
const PAIR = "least(sender, recipient) = 'u_1' AND greatest(sender, recipient) = 'u_2' AND recipient IS NOT NULL";
const OLD_GROUP = "group_id = (SELECT id FROM groups WHERE name = 'old')";
/** The page's start: the 10,000th newest message, or the 51st oldest where there are fewer. */
const DEPTH = (where) => `least(10000, greatest(0, (SELECT count(*) FROM messages WHERE ${where}) - 51))`;

/** Ids the scenarios page from, read from the seeded database. */
const FACTS_SQL = {
  pairDeep: `SELECT id::text AS v FROM messages WHERE ${PAIR}
             ORDER BY id DESC OFFSET ${DEPTH(PAIR)} LIMIT 1`,
  pairDepth: `SELECT least(10000, greatest(0, count(*) - 51))::text AS v FROM messages WHERE ${PAIR}`,
  groupDeep: `SELECT id::text AS v FROM messages WHERE ${OLD_GROUP}
              ORDER BY seq DESC OFFSET ${DEPTH(OLD_GROUP)} LIMIT 1`,
  groupDepth: `SELECT least(10000, greatest(0, count(*) - 51))::text AS v FROM messages WHERE ${OLD_GROUP}`,
  messages: `SELECT count(*)::text AS v FROM messages`,
};

// Every partition of `messages`, for the sizes.
const PARTITIONS = "FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid WHERE i.inhparent = 'messages'::regclass";
const SIZES_SQL = `SELECT
    (SELECT count(*) FROM messages)::bigint AS rows,
    (SELECT sum(pg_relation_size(c.oid)) ${PARTITIONS})::bigint AS heap,
    (SELECT sum(pg_indexes_size(c.oid)) ${PARTITIONS})::bigint AS indexes,
    (SELECT sum(pg_total_relation_size(c.oid)) ${PARTITIONS})::bigint AS total,
    (SELECT json_object_agg(ix.relname, pg_relation_size(ix.oid)) FROM pg_class ix JOIN pg_index x ON x.indexrelid = ix.oid
       WHERE x.indrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'messages'::regclass)) AS index_sizes,
    pg_total_relation_size('users')::bigint AS users,
    pg_total_relation_size('group_members')::bigint AS group_members`;

async function facts(query) {
  const out = {};
  for (const [name, sql] of Object.entries(FACTS_SQL)) out[name] = (await query(sql))[0]?.v ?? null;
  return out;
}

/** PostgreSQL: a database of its own, migrated and seeded; returns its url, the seed's seconds and the facts. */
async function prepareCluster(messages, hash) {
  const name = `chat_bench_s6_${RUN_ID}_${messages}`;
  await adminQuery(`DROP DATABASE IF EXISTS ${name}`);
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = databaseUrl(name);
  await migrate(url);
  const { Client } = require('pg');
  const client = new Client({ connectionString: url });
  const second = new Client({ connectionString: url });
  await client.connect();
  await second.connect();
  try {
    const started = Date.now();
    const timings = await seedScale(client, { messages, ...SHAPE, passwordHash: hash }, (line) => say(`  seed ${line}`), second);
    const seedSec = round((Date.now() - started) / 1000, 1);
    const query = async (sql) => (await client.query(sql)).rows;
    const sizes = (await client.query(SIZES_SQL)).rows[0];
    return { url, name, seedSec, timings, facts: await facts(query), sizes };
  } finally {
    await client.end();
    await second.end();
  }
}

/** PGlite: seeded in a child process through the server's own data source (it holds the directory until it exits). */
function prepareEmbedded(messages, hash) {
  const dataDir = mkdtempSync(join(tmpdir(), `chat-s6-${RUN_ID}-`));
  const out = execFileSync(process.execPath, [__filename, '--seed-pglite', dataDir, String(messages), hash], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const result = JSON.parse(out.toString().trim().split('\n').pop());
  return { dataDir, ...result };
}

async function seedPgliteChild(dataDir, messages, hash) {
  // The seed's time: the database created (PGlite's initdb), migrated and seeded; not the facts read afterwards.
  const started = Date.now();
  // For the seed alone: with wal_level=minimal, the messages written in the transaction that
  // truncated the table, and the indexes built in it, skip the WAL (the server starts at its default, replica).
  const db = await openMigrated({ dataDir, pgliteSettings: { wal_level: 'minimal', max_wal_senders: '0' } });
  try {
    const client = { query: async (sql, params) => ({ rows: await db.query(sql, params) }) };
    const timings = await seedScale(client, { messages, ...SHAPE, passwordHash: hash }, (line) =>
      process.stderr.write(`[S6 pglite seed] ${line}\n`),
    );
    const seedSec = round((Date.now() - started) / 1000, 1);
    const query = async (sql) => db.query(sql);
    const result = { seedSec, timings, facts: await facts(query), sizes: (await db.query(SIZES_SQL))[0] };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await db.close();
  }
}

async function startServer(mode, prepared) {
  const port = await freePort();
  const env = benchServerEnv(SECRETS, port, { MAX_SESSIONS_PER_USER: '50' });
  if (mode === 'embedded') env.DATA_DIR = prepared.dataDir;
  else Object.assign(env, { DATABASE_URL: prepared.url, REDIS_URL, REDIS_PREFIX: `chat-bench-s6:${RUN_ID}:${prepared.name}:` });
  const child = spawn(process.execPath, [...SERVER_NODE_ARGS, MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout.on('data', (c) => (output = (output + c).slice(-5000)));
  child.stderr.on('data', (c) => (output = (output + c).slice(-5000)));
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) say(`server exited (${code ?? signal}) during the run:\n${output}`);
  });
  const http = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${output}`);
    try {
      if ((await httpJson('GET', `${http}/health`, { timeoutMs: 2000 })).status === 200) break;
    } catch {
      // not yet
    }
    await sleep(200);
  }
  return {
    http,
    ws: `ws://127.0.0.1:${port}/ws`,
    pid: child.pid,
    async stop() {
      stopping = true;
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
      children.delete(child);
    },
  };
}

/** One WebSocket client: request/response by sequenceId, pushes to a listener. */
class Client {
  static async connect(url, username, secret = SECRETS.JWT_SECRET) {
    const client = new Client();
    await client.open(url);
    const started = performance.now();
    const response = await client.request({ messageType: MessageType.LoginRequest, token: signToken(secret, username) });
    if (!response.success) throw new Error(`login of ${username} failed: ${response.reason}`);
    client.loginMs = performance.now() - started;
    return client;
  }

  constructor() {
    this.seq = 0;
    this.waiting = new Map();
    this.onPush = () => undefined;
  }

  open(url) {
    return new Promise((resolve, reject) => {
      this.socket = new WebSocket(url);
      this.socket.once('open', resolve);
      this.socket.once('error', reject);
      this.socket.on('message', (data) => {
        const frame = JSON.parse(data.toString());
        const waiter = frame.sequenceId ? this.waiting.get(frame.sequenceId) : undefined;
        if (waiter && frame.messageType === waiter.type) {
          this.waiting.delete(frame.sequenceId);
          waiter.resolve(frame);
        } else this.onPush(frame);
      });
    });
  }

  request(frame, timeoutMs = 30000) {
    const sequenceId = ++this.seq;
    const type = RESPONSE_TYPE[frame.messageType];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to type ${frame.messageType}`)), timeoutMs);
      this.waiting.set(sequenceId, { type, resolve: (f) => (clearTimeout(timer), resolve(f)) });
      this.socket.send(JSON.stringify({ ...frame, sequenceId }));
    });
  }

  close() {
    this.socket.terminate();
  }
}

/** A bystander pinging every 20 ms while `work` runs; returns the round trips. */
async function withBystander(url, work) {
  const bystander = await Client.connect(url, 'u_99999');
  const rtts = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      await bystander.request({ messageType: MessageType.Ping, requestTime: Date.now() });
      rtts.push(performance.now() - t);
      await sleep(20);
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await loop;
    bystander.close();
  }
  return rtts;
}

async function loginUntilReplayed(url, username, pending) {
  const client = new Client();
  await client.open(url);
  let received = 0;
  let done;
  const replayed = new Promise((resolve) => (done = resolve));
  client.onPush = (frame) => {
    if ((frame.messageType === MessageType.ChatResponse || frame.messageType === MessageType.GroupChatResponse) && frame.offline) {
      received++;
      if (received >= pending) done();
    }
  };
  const started = performance.now();
  const response = await client.request({ messageType: MessageType.LoginRequest, token: signToken(SECRETS.JWT_SECRET, username) });
  if (!response.success) throw new Error(`login of ${username}: ${response.reason}`);
  if (pending > 0) {
    const timer = sleep(30000).then(() => {
      throw new Error(`${username}: ${received} of ${pending} replayed in 30 s`);
    });
    await Promise.race([replayed, timer]);
  }
  const ms = performance.now() - started;
  client.close();
  return ms;
}

async function timed(times, work) {
  const values = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    const own = await work(i);
    // A work that times itself (the group message, on the clock it shares with the receivers) returns { ms }.
    values.push(typeof own?.ms === 'number' ? own.ms : performance.now() - t);
  }
  return percentiles(values);
}

/**
 * A child process holding some of the group's members, logged in. Before each send the parent names
 * the content to expect; the child answers, once every one of its members has that message, with
 * the process.hrtime of the last receipt (CLOCK_MONOTONIC, the same clock in every process).
 */
class Receivers {
  static async start(url, usernames) {
    const child = fork(__filename, ['--receivers'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(child);
    const r = new Receivers(child);
    await r.call({ type: 'connect', url, secret: SECRETS.JWT_SECRET, usernames }, 'connected', 300000);
    return r;
  }

  constructor(child) {
    this.child = child;
    this.waiters = [];
    child.on('message', (msg) => {
      const index = this.waiters.findIndex((w) => w.type === msg.type && (w.content === undefined || w.content === msg.content));
      if (index >= 0) this.waiters.splice(index, 1)[0].resolve(msg);
    });
    child.once('exit', (code) => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`receiver process exited (${code})`));
    });
  }

  wait(type, content, timeoutMs = 60000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`receiver: no ${type} in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        type,
        content,
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  call(message, answer, timeoutMs) {
    const waiting = this.wait(answer, message.content, timeoutMs);
    this.child.send(message);
    return waiting.then((m) => {
      if (m.error) throw new Error(`receiver: ${m.error}`);
      return m;
    });
  }

  expect(content) {
    return this.call({ type: 'expect', content }, 'expecting');
  }

  async received(content) {
    return BigInt((await this.wait('all', content, 30000)).at);
  }

  async stop() {
    if (this.child.exitCode === null) {
      this.child.send({ type: 'close' });
      await new Promise((resolve) => (this.child.exitCode !== null ? resolve() : this.child.once('exit', resolve)));
    }
    children.delete(this.child);
  }
}

/** The child side of Receivers. */
function receiversChild() {
  let members = [];
  let expect = null;
  let got = new Set();
  let last = 0n;
  process.on('message', async (msg) => {
    try {
      if (msg.type === 'connect') {
        members = await pool(msg.usernames, 50, (name) => Client.connect(msg.url, name, msg.secret));
        members.forEach((m, index) => {
          m.onPush = (frame) => {
            if (frame.messageType !== MessageType.GroupChatResponse || expect === null || frame.content !== expect || got.has(index))
              return;
            got.add(index);
            last = process.hrtime.bigint();
            if (got.size === members.length) {
              process.send({ type: 'all', content: expect, at: last.toString() });
              expect = null;
            }
          };
        });
        process.send({ type: 'connected', n: members.length });
      } else if (msg.type === 'expect') {
        got = new Set();
        expect = msg.content;
        process.send({ type: 'expecting', content: msg.content });
      } else if (msg.type === 'close') {
        for (const m of members) m.close();
        process.exit(0);
      }
    } catch (error) {
      process.send({
        type: msg.type === 'connect' ? 'connected' : 'expecting',
        content: msg.content,
        error: String(error.message ?? error),
      });
    }
  });
}

async function measure(mode, prepared) {
  const server = await startServer(mode, prepared);
  const f = prepared.facts;
  const results = {};
  try {
    // Warm-up, so the first figures do not carry the process's own start.
    for (let i = 0; i < REPEAT.loginWarmup; i++) await loginUntilReplayed(server.ws, ['u_5', 'u_4', 'u_3'][i % 3], [0, 1, 500][i % 3]);
    const reader = await Client.connect(server.ws, 'u_1');
    const rtts = await withBystander(server.ws, async () => {
      results['login, nothing pending (7 groups)'] = await timed(REPEAT.login, () => loginUntilReplayed(server.ws, 'u_5', 0));
      results['login, 1 pending in an old group'] = await timed(REPEAT.login, () => loginUntilReplayed(server.ws, 'u_4', 1));
      results['login, 500 pending'] = await timed(REPEAT.login, () => loginUntilReplayed(server.ws, 'u_3', 500));
      const history = async (frame) => {
        const r = await reader.request({ messageType: MessageType.HistoryRequest, limit: 50, ...frame });
        if (r.success === false) throw new Error(`history: ${r.reason}`);
      };
      results['1:1 history page, recent'] = await timed(REPEAT.history, () => history({ with: 'u_2' }));
      results['1:1 history page, deep'] = await timed(REPEAT.history, () => history({ with: 'u_2', beforeId: f.pairDeep }));
      results['group history page, recent'] = await timed(REPEAT.history, () => history({ groupName: 'old' }));
      results['group history page, deep'] = await timed(REPEAT.history, () => history({ groupName: 'old', beforeId: f.groupDeep }));
      const page = async (current) => {
        const r = await httpJson('POST', `${server.http}/user/page?current=${current}&size=100`, { token: SECRETS.ADMIN_TOKEN, body: {} });
        if (r.status !== 200 || r.json?.data?.records?.length !== 100)
          throw new Error(`/user/page ${current}: ${r.status} ${r.text.slice(0, 200)}`);
      };
      results['/user/page page 1 (size 100)'] = await timed(REPEAT.page, () => page(1));
      results['/user/page page 1,000 (size 100)'] = await timed(REPEAT.page, () => page(1000));
    });
    results['bystander Ping during the reads'] = percentiles(rtts);
    reader.close();

    // The 5,000-member group, every member online: u_0 (the sender) here, the others in child processes.
    say(`  ${mode}: connecting ${SHAPE.bigGroup} members of g0 (${RECEIVERS} receiver processes)`);
    const sender = await Client.connect(server.ws, 'u_0');
    const names = Array.from({ length: SHAPE.bigGroup - 1 }, (_, i) => `u_${i + 1}`);
    const receivers = await Promise.all(
      Array.from({ length: RECEIVERS }, (_, r) =>
        Receivers.start(
          server.ws,
          names.filter((_, i) => i % RECEIVERS === r),
        ),
      ),
    );
    let fanoutRtts;
    try {
      fanoutRtts = await withBystander(server.ws, async () => {
        results['group message to 5,000 online members, until all have it'] = await timed(REPEAT.fanout, async (i) => {
          const content = `fanout ${RUN_ID} ${i}`;
          await Promise.all(receivers.map((r) => r.expect(content)));
          const all = Promise.all(receivers.map((r) => r.received(content)));
          // One clock for every process: CLOCK_MONOTONIC (process.hrtime), in ns.
          const sent = process.hrtime.bigint();
          const ack = await sender.request({
            messageType: MessageType.GroupChatRequest,
            groupName: 'g0',
            content,
            clientMessageId: `s6-${RUN_ID}-${i}`,
          });
          if (!ack.success) throw new Error(`group send: ${ack.reason}`);
          // The sender's copy is its response.
          let last = process.hrtime.bigint();
          const times = await Promise.race([
            all,
            sleep(30000).then(() => Promise.reject(new Error(`fanout: not every member had it in 30 s`))),
          ]);
          for (const t of times) if (t > last) last = t;
          return { ms: Number(last - sent) / 1e6 };
        });
      });
    } finally {
      sender.close();
      await Promise.all(receivers.map((r) => r.stop()));
    }
    results['bystander Ping during the group messages'] = percentiles(fanoutRtts);
  } finally {
    await server.stop();
  }
  return results;
}

/** WAL written per 1:1 message, stored through the protocol (PostgreSQL only). */
async function walPerMessage(prepared) {
  const server = await startServer('cluster', prepared);
  const { Client: Pg } = require('pg');
  const pg = new Pg({ connectionString: prepared.url });
  await pg.connect();
  try {
    const sender = await Client.connect(server.ws, 'u_7');
    const before = (await pg.query('SELECT pg_current_wal_lsn() AS l')).rows[0].l;
    const n = 2000;
    await pool(
      Array.from({ length: n }, (_, i) => i),
      50,
      (i) =>
        sender.request({
          messageType: MessageType.ChatRequest,
          to: `u_${100 + (i % 1000)}`,
          content: `wal ${i} ${'x'.repeat(20)}`,
          clientMessageId: `wal-${RUN_ID}-${i}`,
        }),
    );
    const after = (await pg.query('SELECT pg_current_wal_lsn() AS l')).rows[0].l;
    const bytes = Number((await pg.query('SELECT pg_wal_lsn_diff($1, $2) AS d', [after, before])).rows[0].d);
    sender.close();
    return { messages: n, walBytes: bytes, walPerMessage: Math.round(bytes / n) };
  } finally {
    await pg.end();
    await server.stop();
  }
}

function render(report) {
  const lines = [];
  lines.push('## S6: scale with data', '');
  lines.push(`Machine: ${report.machine}; two cores shared with other work (load averages below).`, '');
  lines.push(
    'One instance. The database is seeded in SQL (bench/lib/seed-scale.js): 100k users, 5k groups (g0 with 5,000 members), messages ' +
      'in two partitions; u3 has 500 unacknowledged 1:1 messages, u4 one pending message in `old`, a group of messages older than ' +
      'every other. Figures in ms, p50 / p99 (n repeats, sequential); ratio = large p50 / small p50.',
    '',
  );
  for (const mode of Object.keys(report.modes)) {
    const m = report.modes[mode];
    const sizes = Object.keys(m.sizes);
    lines.push(`### ${mode === 'cluster' ? 'PostgreSQL + Redis (cluster mode)' : 'embedded PGlite'}`, '');
    if (m.run)
      lines.push(
        `Run of ${m.run.when} (\`${m.run.command}\`); load average ${m.run.loadStart.join(' / ')} at start, ` +
          `${m.run.loadEnd.join(' / ')} at end.`,
        '',
      );
    lines.push(`Seeding: ${sizes.map((s) => `${Number(s).toLocaleString('en-US')} messages in ${m.sizes[s].seedSec} s`).join('; ')}.`, '');
    const small = sizes[0];
    const large = sizes[sizes.length - 1];
    lines.push(
      `| Operation | ${sizes.map((s) => `${Number(s).toLocaleString('en-US')} msgs p50 / p99`).join(' | ')} | ratio p50 | within 1.5× |`,
    );
    lines.push(`|---|${sizes.map(() => '---|').join('')}---|---|`);
    const names = [...new Set(sizes.flatMap((s) => Object.keys(m.sizes[s].results ?? {})))];
    for (const name of names) {
      const cells = sizes.map((s) => {
        const r = m.sizes[s].results?.[name];
        return r ? `${r.p50} / ${r.p99}` : '–';
      });
      const a = m.sizes[small].results?.[name];
      const b = m.sizes[large].results?.[name];
      const ratio = a && b && a.p50 > 0 ? round(b.p50 / a.p50, 2) : null;
      const depth = name === '1:1 history page, deep' ? 'pairDepth' : name === 'group history page, deep' ? 'groupDepth' : null;
      const label = depth
        ? `${name} (${sizes.map((s) => Number(m.sizes[s].facts?.[depth] ?? 0).toLocaleString('en-US')).join(' / ')} messages deep)`
        : name;
      lines.push(`| ${label} | ${cells.join(' | ')} | ${ratio ?? '–'} | ${ratio === null ? '–' : ratio <= 1.5 ? 'yes' : 'no'} |`);
    }
    for (const s of sizes) if (m.sizes[s].error) lines.push('', `At ${s} messages: failed: ${m.sizes[s].error}`);
    const sz = m.sizes[large].sizes;
    if (sz) {
      const perRow = (v) => round(Number(v) / Number(sz.rows), 1);
      lines.push(
        '',
        `Storage at ${Number(sz.rows).toLocaleString('en-US')} messages: heap ${round(Number(sz.heap) / 1048576, 1)} MiB ` +
          `(${perRow(sz.heap)} B/message), indexes ${round(Number(sz.indexes) / 1048576, 1)} MiB (${perRow(sz.indexes)} B/message), ` +
          `total ${round(Number(sz.total) / 1048576, 1)} MiB (${perRow(sz.total)} B/message); users ` +
          `${round(Number(sz.users) / 1048576, 1)} MiB, group_members ${round(Number(sz.group_members) / 1048576, 1)} MiB.`,
      );
      const ix = typeof sz.index_sizes === 'string' ? JSON.parse(sz.index_sizes) : sz.index_sizes;
      if (ix)
        lines.push(
          `Indexes: ${Object.entries(ix)
            .map(([k, v]) => `${k} ${round(Number(v) / 1048576, 1)} MiB`)
            .join(', ')}.`,
        );
    }
    if (m.wal)
      lines.push(
        `WAL: ${m.wal.walBytes.toLocaleString('en-US')} bytes for ${m.wal.messages} 1:1 messages sent through the protocol at ` +
          `${Number(large).toLocaleString('en-US')} messages: ${m.wal.walPerMessage} B/message.`,
      );
    lines.push('');
  }
  lines.push(
    `- Login: a new connection, a token login (type ${MessageType.LoginRequest}), ` +
      'until the LoginResponse and every pending message (offline replay) have ' +
      'arrived; the replayed messages are not acknowledged, so each repeat finds the same ones.',
    `- History: one connection asks 50 messages (type ${MessageType.HistoryRequest}) again and again; ` +
      'deep pages start `beforeId` at the 10,000th newest ' +
      'message of the conversation (fewer where the small database has fewer).',
    `- Group message: u_0 sends to g0 with all 5,000 members connected to the same instance; the 4,999 receiving sockets are held by ` +
      `${RECEIVERS} child processes, which report the time of their last receipt on the clock every process shares (CLOCK_MONOTONIC, ` +
      `process.hrtime): the figure runs from the send until every member has it, and the bench process itself holds only the sender's ` +
      `and the bystander's sockets.`,
    '- Bystander: one more connection pings every 20 ms while the operations above repeat.',
    '',
  );
  if (report.notes.length) lines.push(...report.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

function writeSection(file, section) {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const start = text.indexOf('## S6: scale with data');
  let next = start < 0 ? -1 : text.indexOf('\n## ', start + 5);
  const updated =
    start < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, start)}${section}${next < 0 ? '' : text.slice(next + 1)}`;
  writeFileSync(file, updated.endsWith('\n') ? updated : `${updated}\n`);
}

/** `argv`: the arguments of `npm run bench -- S6 ...`, with or without the S6. */
async function main(argv) {
  const { values } = parseBenchArgs(argv, { impliedS6: true });
  if (values.conversations) {
    const problems = await serviceProblems({ postgres: true, redis: true });
    if (problems.length) {
      for (const problem of problems) process.stderr.write(`bench: ${problem}\n`);
      process.exit(1);
    }
    await conversations.main(values.out ?? join(ROOT, 'docs', 'benchmarks.md'));
    return;
  }
  const sizes = list(values.sizes ?? '10000,5000000').map(Number);
  const modes = list(values.modes ?? 'cluster,embedded');
  const embeddedLarge = Number(values['embedded-messages'] ?? sizes[sizes.length - 1]);
  const out = values.out ?? join(ROOT, 'docs', 'benchmarks.md');
  if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: npm run build first');
  const cluster = modes.includes('cluster');
  const problems = await serviceProblems({ postgres: cluster, redis: cluster });
  // Nothing has started yet: the run ends here, with what to check and no report.
  if (problems.length) {
    for (const problem of problems) process.stderr.write(`bench: ${problem}\n`);
    process.exit(1);
  }
  const hash = await passwordHash();
  const command = `npm run bench -- ${['S6', ...argv.filter((a) => !/^S6$/i.test(a))].join(' ')}`;
  const report = {
    when: new Date().toISOString(),
    command,
    machine: JSON.stringify(machine()),
    loadStart: loadavg().map((l) => round(l, 2)),
    modes: {},
    notes: [],
  };
  for (const mode of modes) {
    report.modes[mode] = { sizes: {} };
    for (const size0 of sizes) {
      const size = mode === 'embedded' && size0 === sizes[sizes.length - 1] ? embeddedLarge : size0;
      const entry = (report.modes[mode].sizes[size] = {});
      try {
        say(`${mode}, ${size.toLocaleString('en-US')} messages: seeding`);
        const prepared = mode === 'cluster' ? await prepareCluster(size, hash) : prepareEmbedded(size, hash);
        Object.assign(entry, { seedSec: prepared.seedSec, timings: prepared.timings, sizes: prepared.sizes, facts: prepared.facts });
        say(`${mode}, ${size.toLocaleString('en-US')} messages: seeded in ${prepared.seedSec} s; measuring`);
        entry.results = await measure(mode, prepared);
        if (mode === 'cluster' && size === sizes[sizes.length - 1]) report.modes[mode].wal = await walPerMessage(prepared);
        if (mode === 'cluster') await adminQuery(`DROP DATABASE IF EXISTS ${prepared.name} WITH (FORCE)`);
        else rmSync(prepared.dataDir, { recursive: true, force: true });
      } catch (error) {
        entry.error = String(error.message ?? error).split('\n')[0];
        say(`${mode} ${size}: FAILED ${error.stack ?? error}`);
      }
    }
  }
  report.loadEnd = loadavg().map((l) => round(l, 2));
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  // A run of some modes keeps the figures of the others from the previous run (each mode says when it ran).
  const file = join(ROOT, 'bench', 'results', 's6.json');
  if (existsSync(file)) {
    const previous = JSON.parse(readFileSync(file, 'utf8'));
    for (const [mode, data] of Object.entries(previous.modes ?? {})) {
      if (!report.modes[mode])
        report.modes[mode] = {
          ...data,
          run: data.run ?? { when: previous.when, loadStart: previous.loadStart, loadEnd: previous.loadEnd, command: previous.command },
        };
    }
  }
  for (const mode of modes)
    report.modes[mode].run = { when: report.when, loadStart: report.loadStart, loadEnd: report.loadEnd, command: report.command };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  const section = render(report);
  writeSection(out, section);
  process.stdout.write(`\n${section}\n`);
  if (cluster) await conversations.main(out);
}

module.exports = { main };

if (require.main === module) {
  if (process.argv[2] === '--receivers') {
    receiversChild();
  } else if (process.argv[2] === '--seed-pglite') {
    exitWhenDone(seedPgliteChild(process.argv[3], Number(process.argv[4]), process.argv[5]));
  } else {
    benchArgsOrExit(process.argv.slice(2), { impliedS6: true });
    exitWhenDone(main(process.argv.slice(2)));
  }
}
