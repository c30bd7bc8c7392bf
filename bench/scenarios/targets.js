'use strict';
// What the scenarios share: the targets started the same way in several of them, and the load
// configs they run.
const { REDIS_URL } = require('../lib/common');
const { QUICK, RUN_ID, REDIS_PREFIX, S } = require('../runner/context');
const { startBaseline, startCluster } = require('../runner/processes');
const { runLoad, runLoadPg, watchOf, baseLoadConfig } = require('../runner/load-runs');
const { seed, ensureSchema } = require('../runner/database');

/** The relay windows of S1 and S2; `split`: senders on instance 1, recipients on instance 2. */
function relayConfig(split) {
  return {
    split,
    warmupMs: S.warmup,
    windows: S.windows,
    maxMs: S.max,
    pacedWarmupMs: S.pacedWarmup,
    pacedMs: S.paced,
    pacedFraction: 0.5,
    inflight: S.inflight,
  };
}

/** What the budget guard keeps for a target's start, seeding, logins and drains, beside its windows. */
const SETUP_ALLOWANCE_SEC = QUICK ? 12 : 20;

/** Seconds a relay run (S1, S2) needs: the max and paced warm-ups and windows, and the setup. */
const relayEstimateSec = () => (S.warmup + S.pacedWarmup + S.windows * (S.max + S.paced)) / 1000 + SETUP_ALLOWANCE_SEC;

/** Seconds a group run (S4) needs: the warm-up and the windows, and the setup. */
const groupEstimateSec = () => (S.warmup + S.windows * S.max) / 1000 + SETUP_ALLOWANCE_SEC;

/** The load config for users prefix0 … prefix(n-1) on every process of `procs`, which are watched (`withDb`: PostgreSQL and Redis too). */
function loadConfig(target, prefix, n, procs, extra, withDb) {
  return {
    ...baseLoadConfig(
      target,
      { prefix, start: 0, count: n },
      procs.map((p) => p.wsUrl),
    ),
    ...extra,
    watch: watchOf(procs, withDb),
  };
}

/** Users seeded on the shared PostgreSQL database (its schema made first); false when they must register instead. */
async function seedCluster(prefix, n) {
  await ensureSchema();
  return seed('cluster', prefix, n);
}

/** B0, one process, in `procs`. */
async function startB0(procs) {
  const p = await startBaseline('b0', 'b0');
  procs.push(p);
  return p;
}

/** A run on B0 with n users. */
async function b0Run(procs, n, extra) {
  await startB0(procs);
  return { load: await runLoad(loadConfig('b0', 'u', n, procs, extra, false)) };
}

/** A run on two B1 instances sharing one Redis adapter, half of the n users on each. */
async function b1SplitRun(procs, scenario, n, extra) {
  const key = `bench-${RUN_ID}-${scenario}`;
  procs.push(await startBaseline('b1', 'b1#1', [REDIS_URL, key]), await startBaseline('b1', 'b1#2', [REDIS_URL, key]));
  return { load: await runLoad(loadConfig('b1', 'u', n, procs, { placement: 'split', ...extra }, true)) };
}

/** A run on two of our instances (PostgreSQL + Redis), half of the n users `<scenario>c*` on each. */
async function oursSplitRun(procs, scenario, n, extra) {
  const prefix = `${scenario}c`;
  const seeded = await seedCluster(prefix, n);
  procs.push(...(await startCluster(`ours-${scenario}`, 2, `${REDIS_PREFIX}${scenario}:`)));
  const config = loadConfig('ours', prefix, n, procs, { register: !seeded, placement: 'split', ...extra }, true);
  return { storage: 'PostgreSQL + Redis', load: await runLoadPg(config) };
}

module.exports = { relayConfig, relayEstimateSec, groupEstimateSec, loadConfig, seedCluster, startB0, b0Run, b1SplitRun, oursSplitRun };
