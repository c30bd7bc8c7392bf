'use strict';
// S3: idle logged-in connections on B0 and on ours: RSS per connection, logins/s.
const { mkdirSync } = require('node:fs');
const { join } = require('node:path');
const { sleep, memory, cpuSeconds, round } = require('../lib/common');
const {
  QUICK,
  REDIS_PREFIX,
  WORK_DIR,
  TARGETS,
  FD_LIMIT,
  FD_MARGIN,
  S,
  S3_IDLE_MS,
  budgetLeftMs,
  say,
  warn,
} = require('../runner/context');
const { startOurs } = require('../runner/processes');
const { runLoad, baseLoadConfig } = require('../runner/load-runs');
const { guarded } = require('../runner/records');
const { seedCluster, startB0 } = require('./targets');

/** S3: n idle logged-in connections held by several load processes (each stays under the fd limit). */
async function idleRun(target, proc, users, register) {
  const perProcess = Math.min(10000, FD_LIMIT - FD_MARGIN);
  const shards = Math.ceil(users.count / perProcess);
  // RSS moves with the collector: V8's memory reducer gives memory back ~15-20 s after activity
  // stops, so RSS is sampled over an idle period and the median of its last quarter is used.
  const idleMs = S3_IDLE_MS;
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
        {
          ...baseLoadConfig(target, { prefix: users.prefix, start, count }, [proc.wsUrl]),
          register,
          scenario: 'idle',
          connectConcurrency: 100,
        },
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
  say(
    `  ${target}: ${connected} idle connections, server RSS ${round(before.rssKb / 1024)} → ${round(after.rssKb / 1024)} MB = ` +
      `${round(perConnKb, 2)} KB per connection`,
  );
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

/** How long after its start an idle instance's RSS is read: a new embedded instance is still settling before. */
const IDLE_INSTANCE_SEC = 45;

/**
 * An instance of each mode as an operator starts it (the embedded one on a new data folder), no clients: RSS
 * IDLE_INSTANCE_SEC after the start (or 5 s after both answer, if later), the median of the samples of the last 5 s.
 */
async function idleInstances(procs) {
  const dataDir = join(WORK_DIR, 's3-idle-embedded');
  mkdirSync(dataDir, { recursive: true });
  const started = Date.now();
  const modes = [
    ['embedded', startOurs('ours-idle-embedded', { storage: 'embedded', dataDir })],
    ['cluster', startOurs('ours-idle-cluster', { storage: 'cluster', redisPrefix: `${REDIS_PREFIX}s3idle:` })],
  ];
  const samples = { embedded: [], cluster: [] };
  const running = [];
  for (const [mode, start] of modes) {
    const proc = await start;
    procs.push(proc);
    running.push([mode, proc]);
  }
  // On a loaded machine the starts can take longer than the wait: then the last 5 s of samples follow them.
  const until = Math.max(started + IDLE_INSTANCE_SEC * 1000, Date.now() + 5000);
  while (Date.now() < until) {
    if (Date.now() >= until - 5000) {
      for (const [mode, proc] of running) samples[mode].push(memory(proc.pid).rssKb);
    }
    await sleep(250);
  }
  const median = (kbs) => round(kbs.sort((a, b) => a - b)[Math.floor(kbs.length / 2)] / 1024, 1);
  const result = { afterSec: IDLE_INSTANCE_SEC, embeddedRssMb: median(samples.embedded), clusterRssMb: median(samples.cluster) };
  say(`  ours, idle, ${IDLE_INSTANCE_SEC} s after start: embedded ${result.embeddedRssMb} MB, cluster ${result.clusterRssMb} MB RSS`);
  return result;
}

async function s3() {
  let n = S.s3;
  // Both targets run the same count; it shrinks when what is left of the budget cannot take it
  // (about 300 logins/s on our server here, 2,000/s on B0, and two idle periods each).
  const idleSec = S3_IDLE_MS / 1000;
  const leftSec = budgetLeftMs() / 1000;
  const fits = Math.floor((leftSec - 4 * idleSec - 30) / (1 / 2000 + 1 / 300));
  if (fits < n && !TARGETS) {
    const scaled = Math.max(1000, fits);
    warn(`S3: ${Math.round(leftSec)} s left of the budget: ${scaled} connections instead of ${n}`);
    n = scaled;
  }
  await guarded('S3', 'b0', `B0 raw ws relay, ${n} idle`, QUICK ? 12 : 70, async (procs) => {
    const p = await startB0(procs);
    return { idle: await idleRun('b0', p, { prefix: 'u', start: 0, count: n }, false) };
  });
  await guarded('S3', 'ours', `ours, ${n} idle (PostgreSQL + Redis)`, QUICK ? 20 : 140, async (procs) => {
    const seeded = await seedCluster('s3c', n);
    const p = await startOurs('ours-s3', { storage: 'cluster', redisPrefix: `${REDIS_PREFIX}s3:` });
    procs.push(p);
    return { storage: 'PostgreSQL + Redis', idle: await idleRun('ours', p, { prefix: 's3c', start: 0, count: n }, !seeded) };
  });
  await guarded('S3', 'ours', 'ours, an idle instance of each mode, no clients', IDLE_INSTANCE_SEC + 60, async (procs) => ({
    idleInstances: await idleInstances(procs),
  }));
}

module.exports = { s3 };
