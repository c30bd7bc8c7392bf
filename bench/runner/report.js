'use strict';
// The report (docs/benchmarks.md, or --quick: bench/results/benchmarks-quick.md) rendered from the records.
const { relative } = require('node:path');
const { machine, SERVER_NODE_ARGS } = require('../lib/common');
/** The message types, loaded when first used: the bench may be started before `npm run build` made dist/. */
const messageTypes = () => require('../../dist/protocol').MessageType;
const { ROOT, QUICK, COMMAND, LOAD_AT_START, FD_LIMIT, FD_MARGIN, S, S3_IDLE_MS, WARNINGS, RESULTS_JSON, state } = require('./context');
const { records } = require('./records');
const { fmt, met, buildRows } = require('./report-rows');

/** One figure of each window of a result, in the order measured. */
const eachOf = (result, key, digits = 0) => (result.windows ?? []).map((w) => fmt(w[key], digits)).join(' / ');

/** A median figure with its windows' values beside it. */
const withWindows = (result, key, digits = 0) =>
  result.windows?.length > 1 ? `${fmt(result[key], digits)} [${eachOf(result, key, digits)}]` : fmt(result[key], digits);

/** The 1-minute load average when a run started → when it ended. */
const loadOf = (r) => (r.loadBefore === undefined ? '–' : `${fmt(r.loadBefore, 1)} → ${fmt(r.loadAfter ?? null, 1)}`);

function render() {
  const m = machine();
  const rows = buildRows();
  const lines = [];
  lines.push('# Benchmarks');
  lines.push('');
  const quickNote = QUICK ? ' (**--quick: counts scaled down ~10x, short windows; smoke test, not the figures of record**)' : '';
  lines.push(`Produced by \`${COMMAND}\` on ${new Date().toISOString()}${quickNote}.`);
  lines.push(
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.kernel}; open files limit ` +
      `${m.fdLimit?.soft}/${m.fdLimit?.hard}. Loopback only; the load generator, the servers, PostgreSQL and Redis share the same ` +
      `${m.cores} cores.`,
  );
  const la = (v) => v.map((x) => x.toFixed(1)).join(' / ');
  lines.push(
    `Load average (1 / 5 / 15 min) before the run ${la(LOAD_AT_START)}, after ${la(require('node:os').loadavg())}: anything else ` +
      `running on the machine (a test suite) lowers every figure; the figures of record need a quiet machine.`,
  );
  if (state.aborted) lines.push(`\n**Run state.aborted: ${state.aborted}.** Figures missing below were not measured.`);
  lines.push('');
  lines.push('| Scenario | Figure | Ours | Baseline | Baseline figure | Ratio | Target | Met? |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const r of rows)
    lines.push(
      `| ${r.scenario} | ${r.figure} | ${fmt(r.ours, 2)} | ${r.baseLabel} | ${fmt(r.base, 2)} | ${r.r === null ? '–' : `${r.r}x`} | ` +
        `${r.target} | ${met(r.ok)} |`,
    );
  lines.push('');
  lines.push('## Runs');
  lines.push('');
  lines.push(
    `Every rate is the median of ${S.windows} consecutive windows of ${S.max / 1000} s (paced: ${S.paced / 1000} s) on the same ` +
      "warm server, with the windows' own values in brackets in the order measured; latency percentiles are the medians of the " +
      "windows' percentiles. Server CPU µs/delivery: every server-side process's CPU in a window over that window's deliveries, " +
      'median of the windows. Load: the 1-minute load average when the run started and when it ended.',
  );
  lines.push('');
  lines.push(
    '| Scenario | Target | Setup | Load | Max: delivered/s [windows] | Max: sent/s, p50 / p99 ms | Max: server CPU µs/delivery ' +
      '[windows] | Paced: rate, delivered/s [windows], p50 / p99 / p999 ms | Paced: server CPU µs/delivery [windows] | Notes |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  /** A row with `setup` and `notes`, and a dash for every figure column it has none for. */
  const row = (r, setup, notes, figures = ['–', '–', '–', '–', '–']) =>
    lines.push(`| ${r.scenario} | ${r.label} | ${setup} | ${loadOf(r)} | ${figures.join(' | ')} | ${notes} |`);
  for (const r of records) {
    if (r.skipped || r.error) {
      row(r, '–', r.skipped ? `skipped: ${r.skipped}` : `failed: ${String(r.error).replace(/\|/g, '/')}`);
      continue;
    }
    const l = r.load;
    if (r.idleInstances) {
      const i = r.idleInstances;
      row(
        r,
        'started, no clients',
        `RSS ${i.afterSec} s after start: embedded (new data folder) ${i.embeddedRssMb} MB, cluster mode ${i.clusterRssMb} MB`,
      );
      continue;
    }
    if (r.idle) {
      const i = r.idle;
      row(
        r,
        `${fmt(i.connections)} conns in ${i.connectSec} s (${fmt(i.loginsPerSec)}/s, ${i.loadProcesses} load procs)`,
        `server RSS ${i.rssBeforeMb} → ${i.rssAfterMb} MB; ${i.rssPerConnKb} KB/conn; ` +
          `server CPU while connecting ${i.serverCpuSecConnecting} s`,
      );
      continue;
    }
    const setup = l?.setup
      ? `${fmt(l.setup.connected)} clients, ` +
        `${l.setup.registered ? `registered (type ${messageTypes().RegisterRequest}) + ` : ''}${l.setup.loginMode} login, ` +
        `${l.setup.seconds} s`
      : '–';
    if (l?.notRun) {
      row(r, setup, `not run: ${l.notRun}`);
      continue;
    }
    if (r.scenario === 'S5') {
      row(
        r,
        setup,
        `balanced (registry) after ${fmt(l.balancedAfterMs)} ms, clients' view ` +
          `${fmt(l.clientViewBalancedAfterMs)} ms; ${l.moves} moves (${l.moveFailures} failed, p50 ${fmt(l.moveMsP50)} ms, max ` +
          `${fmt(l.moveMsMax)} ms); acked ${l.ackedTotal}, during move ${l.ackedDuringMove}; lost ${l.lost} (${l.lostBeforeRelogin} ` +
          `before re-login); dups ${l.totals.duplicates}; before ${(l.before ?? []).map((x) => x.connections).join('/')} after ` +
          `${(l.after ?? []).map((x) => x.connections).join('/')}`,
      );
      continue;
    }
    const mx = l.max;
    const pc = l.paced;
    const notes = [];
    if (l.members) notes.push(`${l.members} members, ${l.senders} senders x ${l.perSenderInflight} in flight`);
    if (l.senders && !l.members) notes.push(`${l.senders} senders → ${l.recipients} recipients, ${l.perSenderInflight} in flight each`);
    if (mx.failed) notes.push(`${mx.failed} refused`);
    if (l.totals?.closes) notes.push(`${l.totals.closes} unexpected closes`);
    if (Object.keys(l.totals?.reasons ?? {}).length)
      notes.push(`reasons: ${JSON.stringify(l.totals.reasons).replace(/\|/g, '/').slice(0, 200)}`);
    if (pc && pc.deliveredPerSec < pc.targetRate * 0.95) notes.push('paced rate not sustained');
    if (pc?.dropped) notes.push(`${pc.dropped} paced sends dropped (in-flight cap)`);
    if (pc?.windows) notes.push(`paced p99 of each window ${eachOf(pc, 'p99Ms', 1)} ms`);
    notes.push(`generator loop delay p99 ${mx.generatorLoopDelayP99Ms} ms`);
    const latency = (ms) => `${fmt(ms.p50, 1)} / ${fmt(ms.p99, 1)}`;
    row(r, setup, notes.join('; '), [
      withWindows(mx, 'deliveredPerSec'),
      `${fmt(mx.sentPerSec)}, ${latency(mx.latencyMs)}`,
      withWindows(mx, 'serverCpuUsPerDelivery', 1),
      pc ? `${fmt(pc.targetRate)}/s, ${withWindows(pc, 'deliveredPerSec')}, ${latency(pc.latencyMs)} / ${fmt(pc.latencyMs.p999, 1)}` : '–',
      pc ? withWindows(pc, 'serverCpuUsPerDelivery', 1) : '–',
    ]);
  }
  const diagnostics = records.filter((r) => r.load?.pgActivity && Object.keys(r.load.pgActivity).length);
  if (diagnostics.length) {
    lines.push('');
    lines.push('## PostgreSQL activity during the windows');
    lines.push('');
    lines.push(
      "`pg_stat_activity` of the bench database sampled every ~25 ms: how many of the server's statements were running at once, and " +
        'the most frequent statement/wait pairs (% of samples). Many samples with exactly one statement and `IO/WALSync` waits mean ' +
        'that writes go one at a time and wait for the disk.',
    );
    lines.push('');
    lines.push(
      '| Scenario | Target | Window | Samples | Statements running at once (% of samples) | Top statement / wait | Transactions, ' +
        'rows inserted / updated (per message inserted) |',
    );
    lines.push('|---|---|---|---|---|---|---|');
    for (const r of diagnostics) {
      for (const [name, a] of Object.entries(r.load.pgActivity)) {
        const conc = Object.entries(a.concurrentPct)
          .map(([k, v]) => `${k}: ${v} %`)
          .join(', ');
        const waits = a.topWaits.map((w) => `${w.what} ${w.pctOfSamples} %`).join('; ');
        const c = a.counters;
        const rows = c
          ? Object.entries(c.tables)
              .map(([t, d]) => `${t} +${d.ins}/~${d.upd}`)
              .join(', ')
          : '–';
        const per = a.perInsertedMessage
          ? ` (${a.perInsertedMessage.xacts} xacts, ${a.perInsertedMessage.rowUpdates} row updates per message)`
          : '';
        lines.push(
          `| ${r.scenario} | ${r.label} | ${name} | ${a.samples} | ${conc} | ${waits} | ${c ? `${c.xacts} xacts; ${rows}${per}` : '–'} |`,
        );
      }
    }
  }
  lines.push('');
  lines.push('## CPU and peak RSS per process');
  lines.push('');
  lines.push(
    'CPU is user+system seconds over the measured windows of a run (all of them together) as % of one core (200 % = both ' +
      'cores); for S3 it is the server CPU spent ' +
      'while the clients connected. Peak RSS is VmHWM over the process life (for PostgreSQL and Redis: the summed RSS of their ' +
      'processes, shared memory counted in each).',
  );
  lines.push('');
  lines.push('| Scenario | Target | Window | Process | CPU % | CPU s | Peak RSS MB |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const r of records) {
    if (!r.load) {
      if (r.idle)
        for (const p of r.processes ?? [])
          lines.push(`| ${r.scenario} | ${r.label} | connect | ${p.name} | – | ${r.idle.serverCpuSecConnecting} | ${p.peakRssMb} |`);
      if (r.idle) lines.push(`| ${r.scenario} | ${r.label} | connect | load generators | – | – | ${r.idle.loadRssMb.join(' + ')} |`);
      continue;
    }
    for (const [name, w] of [
      ['max', r.load.max],
      ['paced', r.load.paced],
    ]) {
      if (!w?.procs) continue;
      for (const p of w.procs)
        lines.push(`| ${r.scenario} | ${r.label} | ${name} | ${p.name} | ${fmt(p.cpuPct)} | ${fmt(p.cpuSec, 1)} | ${fmt(p.peakRssMb)} |`);
    }
  }
  lines.push('');
  lines.push('## Method');
  lines.push('');
  lines.push(
    [
      '- Load generator: `bench/load.js`, raw `ws` clients (socket.io-client for B1), one process (S3: several, each below the ' +
        "open-files limit). Latency is the recipient's receive time minus the send time written into `content`; in paced windows it is " +
        'the *scheduled* send time (open loop, no coordinated omission), recorded in an HDR histogram (hdr-histogram-js).',
      `- Max windows: closed loop, every sender keeps a fixed number of sends in flight (1:1: ${S.inflight} in total, enough to ` +
        `saturate every target here without building long queues; S4: 8 group messages per sender), one ${S.warmup / 1000} s ` +
        `warm-up, then ${S.windows} windows of ${S.max / 1000} s measured one after the other on the same warm server. ` +
        '"Delivered msg/s" counts messages received by recipients. "Server CPU µs/delivery" is the CPU of every server-side ' +
        'process (instances, PostgreSQL, Redis) in a window divided by its deliveries: it is less sensitive than throughput to ' +
        'other load on the machine. Paced windows: open loop at 50 % of the median maximum, one ' +
        `${S.pacedWarmup / 1000} s warm-up, then ${S.windows} windows of ${S.paced / 1000} s. Every figure is the median of its ` +
        "windows (latency: the median of the windows' percentiles), the windows' own values in brackets in the Runs table, so a " +
        'window disturbed by something else on the machine shows and does not move the figure; the 1-minute load average before ' +
        'and after each run is beside it.',
      `- Our server: \`node ${SERVER_NODE_ARGS.join(' ')} dist/main.js\` with the environment of test/helpers (HOST/PUBLIC_HOST 127.0.0.1, LOG_LEVEL=warn), ` +
        'MALLOC_MMAP_THRESHOLD_=131072 (flag and variable as `npm start` and the Dockerfile set them), and ' +
        'RATE_LIMIT_PER_SEC=1000000, RATE_LIMIT_BURST=10000000, with the per-address connection and request limits off (every ' +
        'simulated client comes from 127.0.0.1). Embedded: DATA_DIR (PGlite). PostgreSQL + Redis: DATABASE_URL (database ' +
        '`chat_bench_<id>`, dropped after) and REDIS_URL with a REDIS_PREFIX per scenario. It stores every message before ' +
        `acknowledging it; recipients acknowledge (type ${messageTypes().Ack}) in batches every second (S5: 250 ms). ` +
        'The baselines store nothing and get ' +
        'no acks.',
      "- Users are seeded into the `users` table with one precomputed argon2id hash (the server's parameters) instead of registering " +
        "each one (argon2 costs ~45 ms of a core per hash), and log in with a session token signed with the bench's JWT_SECRET " +
        `(\`{messageType:${messageTypes().LoginRequest}, token}\`); a few log in with their password to check the seeded hashes. ` +
        `B0/B1 log in with \`{messageType:${messageTypes().LoginRequest}, ` +
        'username}`.',
      '- B0: `bench/baselines/b0-relay.js` (user → sockets map, group → sockets map). B1: `bench/baselines/b1-socketio.js` ' +
        '(Socket.IO 4, @socket.io/redis-adapter 8, rooms `user:NAME` and `group:NAME`; every emit goes through the adapter, also with ' +
        'one instance).',
      '- S2 and S4 place half of the clients on each instance; in S2 the senders are the half on instance 1 and the recipients the ' +
        'half on instance 2. S4: one group with every client as member, a few senders (alternating instances) with 8 group messages in ' +
        "flight each; deliveries/s counts every copy received, the sender's own included.",
      `- S3: idle logged-in connections held by ${Math.ceil(S.s3 / Math.min(10000, FD_LIMIT - FD_MARGIN))} load process(es) (the ` +
        `open-files limit is per process). RSS per connection = (server RSS with the connections - RSS before) / connections, each RSS ` +
        `the median of the last quarter of a ${S3_IDLE_MS / 1000} s idle period (V8's memory reducer returns memory some 15-20 s after ` +
        `activity stops; quick runs do not wait for it).`,
      '- PostgreSQL diagnostics (PostgreSQL-backed runs): `pg_stat_activity` of the bench database sampled every ~25 ms during the ' +
        'windows, and `pg_stat_database` / `pg_stat_user_tables` counters at the window edges (backends flush these about once a ' +
        'second, so counts are approximate, ratios per inserted message less so).',
      '- S5: three instances with REBALANCE_DELAY_MS/REBALANCE_INTERVAL_MS at one hour (nothing moves by itself), all clients on ' +
        'instance 1, a subset sending paced 1:1 messages throughout; the bench calls `POST /reBalance` and polls `/cluster/instances` ' +
        'every ~100 ms until every instance is within 10 % of the mean. ' +
        `Clients follow type ${messageTypes().ReBalance} (connect to \`url\`, log in with their ` +
        'token, then close the old connection once its sends are answered). Lost = acknowledged to the sender but never received ' +
        '(deduplicated by messageId), checked again after the recipients log in once more.',
    ].join('\n'),
  );
  if (WARNINGS.length) {
    lines.push('');
    lines.push('## Warnings');
    lines.push('');
    for (const w of WARNINGS) lines.push(`- ${w}`);
  }
  lines.push('');
  lines.push(
    `Raw results of this run: \`${relative(ROOT, RESULTS_JSON)}\` (not tracked by git). Harness: \`bench/\` (see bench/README.md).`,
  );
  lines.push('');
  return lines.join('\n');
}

module.exports = { render };
