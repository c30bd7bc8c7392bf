'use strict';
// S6, conversations: the latency of a ConversationsRequest page (36 → 37) for a user with 5,000
// conversations, in cluster mode (PostgreSQL + Redis), beside 100,000 other messages seeded in SQL
// (bench/lib/seed-scale.js; a page reads `messages` by primary key only, so their number hardly
// matters). The 5,000 conversations are stored through the server's own send statement
// (MESSAGE_SQL.insertDirect from dist/), so the conversation index is kept as the send path keeps
// it. Then one instance; the user pages through all of them at limit 100 and at the default 20,
// three times after a warm-up pass; p50 and p95 per page, and a Ping's round trip. About a minute.
// `npm run bench -- S6 --conversations` runs this part alone and writes the "S6, conversations"
// section of docs/benchmarks.md (or --out FILE); a full S6 run ends with it.
const { spawn } = require('node:child_process');
const { readFileSync, writeFileSync, existsSync } = require('node:fs');
const { loadavg } = require('node:os');
const { join } = require('node:path');
const { randomBytes } = require('node:crypto');
const WebSocket = require('ws');
const {
  sleep,
  freePort,
  httpJson,
  signToken,
  round,
  machine,
  benchServerEnv,
  benchSecrets,
  REDIS_URL,
  SERVER_NODE_ARGS,
} = require('./lib/common');
const { seedScale, migrate } = require('./lib/seed-scale');
const { databaseUrl, adminQuery } = require('./lib/postgres');

const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const CONVERSATIONS = 5000;
/** Page sizes: the largest a client may ask, and the default. */
const PAGES = [100, 20];
const PASSES = 3;
const BACKGROUND = { messages: 100_000, users: 20_000, groups: 1_000, bigGroup: 2_000, groupSize: 10 };
const OWNER = 'conv_owner';

function summary(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p) => round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))], 2);
  return { count: sorted.length, p50: at(50), p95: at(95), max: round(sorted[sorted.length - 1], 2) };
}

async function seed(url, say) {
  // The server's statements, from the build.
  const { MESSAGE_SQL } = require('../dist/messages/message.store');
  const { Client } = require('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await seedScale(client, BACKGROUND, (line) => say(`  seed ${line}`));
    const peers = Array.from({ length: CONVERSATIONS }, (_, i) => `conv_peer_${i}`);
    await client.query('INSERT INTO users (username, password_hash) SELECT unnest($1::text[]), $2', [[OWNER, ...peers], 'x']);
    // One message from each peer, then one back to every tenth: 5,500 sends in batches of 250, as the batch writer sends them.
    const sends = [...peers.map((p) => [p, OWNER]), ...peers.filter((_, i) => i % 10 === 0).map((p) => [OWNER, p])];
    for (let i = 0; i < sends.length; i += 250) {
      const batch = sends.slice(i, i + 250);
      await client.query(MESSAGE_SQL.insertDirect, [
        batch.map(([from]) => from),
        batch.map(([, to]) => to),
        batch.map(([from, to]) => `from ${from} to ${to}`),
        batch.map(() => null),
        batch.map((_, k) => i + k),
        batch.length,
      ]);
    }
    await client.query('ANALYZE direct_conversations');
  } finally {
    await client.end();
  }
}

async function startServer(url, secrets, runId) {
  const port = await freePort();
  const env = benchServerEnv(secrets, port, { DATABASE_URL: url, REDIS_URL, REDIS_PREFIX: `chat-bench-s6c:${runId}:` });
  const child = spawn(process.execPath, [...SERVER_NODE_ARGS, MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => (output = (output + c).slice(-5000)));
  child.stderr.on('data', (c) => (output = (output + c).slice(-5000)));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${output}`);
    try {
      if ((await httpJson('GET', `http://127.0.0.1:${port}/health`, { timeoutMs: 2000 })).status === 200) break;
    } catch {
      // not yet
    }
    await sleep(200);
  }
  return { ws: `ws://127.0.0.1:${port}/ws`, child };
}

function connect(url) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const waiting = new Map();
    let next = 1;
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      // The owner's offline replay carries the senders' sequenceIds: a response is matched by its type too.
      const done = waiting.get(`${frame.messageType}:${frame.sequenceId}`);
      if (done) {
        waiting.delete(frame.sequenceId);
        done(frame);
      }
    });
    socket.once('error', reject);
    socket.once('open', () =>
      resolve({
        request: (frame) =>
          new Promise((done) => {
            const sequenceId = next++;
            waiting.set(`${frame.messageType + 1}:${sequenceId}`, done);
            socket.send(JSON.stringify({ ...frame, sequenceId }));
          }),
        close: () => socket.close(1000),
      }),
    );
  });
}

/** Seeds, starts one instance, pages; returns the figures. */
async function measureConversations(say = (line) => process.stdout.write(`${line}\n`)) {
  const { MessageType } = require('../dist/protocol');
  const runId = randomBytes(4).toString('hex');
  const secrets = benchSecrets(runId);
  const name = `chat_bench_s6c_${runId}`;
  await adminQuery(`DROP DATABASE IF EXISTS ${name}`);
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = databaseUrl(name);
  let server;
  const started = Date.now();
  try {
    await migrate(url);
    say(`S6 conversations: seeding ${BACKGROUND.messages.toLocaleString('en-US')} messages and ${CONVERSATIONS} conversations`);
    await seed(url, say);
    const seedSec = round((Date.now() - started) / 1000, 1);
    server = await startServer(url, secrets, runId);
    const client = await connect(server.ws);
    const login = await client.request({ messageType: MessageType.LoginRequest, token: signToken(secrets.JWT_SECRET, OWNER) });
    if (!login.success) throw new Error(`login failed: ${login.reason}`);
    // A page of each size, every page of the list, PASSES times after a warm-up pass; Pings between, as the floor of a round trip.
    const bySize = {};
    for (const limit of PAGES) {
      const times = [];
      for (let pass = 0; pass <= PASSES; pass++) {
        let before = null;
        let listed = 0;
        do {
          const t0 = performance.now();
          const page = await client.request({ messageType: MessageType.ConversationsRequest, limit, ...(before && { before }) });
          const ms = performance.now() - t0;
          if (!page.success) throw new Error(`page refused: ${page.reason}`);
          if (pass > 0) times.push(ms);
          listed += page.conversations.length;
          before = page.next;
        } while (before);
        if (listed !== CONVERSATIONS) throw new Error(`listed ${listed} conversations, not ${CONVERSATIONS}`);
      }
      bySize[limit] = summary(times);
    }
    const pings = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await client.request({ messageType: MessageType.Ping, requestTime: Date.now() });
      pings.push(performance.now() - t0);
    }
    client.close();
    return {
      conversations: CONVERSATIONS,
      background: BACKGROUND.messages,
      bySize,
      ping: summary(pings),
      seedSec,
      totalSec: round((Date.now() - started) / 1000, 1),
    };
  } finally {
    if (server) {
      server.child.kill('SIGTERM');
      await new Promise((resolve) => (server.child.exitCode !== null ? resolve() : server.child.once('exit', resolve)));
    }
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  }
}

const BEGIN = '<!-- S6-conversations:begin -->';
const END = '<!-- S6-conversations:end -->';

function render(result, when, loadStart, loadEnd) {
  return [
    BEGIN,
    '## S6, conversations: a page of a user with 5,000 conversations',
    '',
    `\`npm run bench -- S6 --conversations\`, ${when}, cluster mode (PostgreSQL + Redis, one instance). ` +
      `${result.conversations.toLocaleString('en-US')} 1:1 conversations of one user, stored through the send statement, ` +
      `beside ${result.background.toLocaleString('en-US')} messages of others; the user pages through all of them, ` +
      `${PASSES} times after a warm-up pass, at each page size. A Ping's round trip on the same connection is the floor.`,
    '',
    '| request | pages | p50 | p95 | max |',
    '| --- | --- | --- | --- | --- |',
    ...Object.entries(result.bySize).map(
      ([limit, s]) => `| ConversationsRequest, \`limit\` ${limit} | ${s.count} | ${s.p50} ms | ${s.p95} ms | ${s.max} ms |`,
    ),
    `| Ping | ${result.ping.count} | ${result.ping.p50} ms | ${result.ping.p95} ms | ${result.ping.max} ms |`,
    '',
    `Target: p50 under 20 ms. Seeded in ${result.seedSec} s, ${result.totalSec} s in all. Load average ` +
      `${loadStart.join(' ')} at the start, ${loadEnd.join(' ')} at the end (other work shared the machine). ` +
      `Machine: ${JSON.stringify(machine())}.`,
    END,
  ].join('\n');
}

/** Writes (or replaces) the section in `file`, after the S6 section if there is no earlier one. */
function writeSection(file, section) {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const updated =
    begin >= 0 && end > begin ? text.slice(0, begin) + section + text.slice(end + END.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, updated);
}

async function main(out = join(ROOT, 'docs', 'benchmarks.md')) {
  const loadStart = loadavg().map((l) => round(l, 2));
  const result = await measureConversations();
  const section = render(
    result,
    new Date().toISOString(),
    loadStart,
    loadavg().map((l) => round(l, 2)),
  );
  writeSection(out, section);
  process.stdout.write(`\n${section}\n`);
  return result;
}

module.exports = { main, measureConversations };
