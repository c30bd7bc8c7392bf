'use strict';
// S5: every client on one of three instances, POST /reBalance, time until balanced and messages lost.
const { QUICK, REDIS_PREFIX, SECRETS, S } = require('../runner/context');
const { startCluster } = require('../runner/processes');
const { runLoad } = require('../runner/load-runs');
const { guarded } = require('../runner/records');
const { loadConfig, seedCluster } = require('./targets');

async function s5() {
  const n = S.s5;
  await guarded('S5', 'ours', `ours, ${n} clients on 1 of 3 instances`, QUICK ? 35 : 80, async (procs) => {
    const seeded = await seedCluster('s5c', n);
    // Nothing moves by itself: the bench calls POST /reBalance.
    const env = { REBALANCE_DELAY_MS: '3600000', REBALANCE_INTERVAL_MS: '3600000', REBALANCE_COOLDOWN_MS: '0', REBALANCE_MIN_USERS: '0' };
    procs.push(...(await startCluster('ours-s5', 3, `${REDIS_PREFIX}s5:`, env)));
    const rebalance = {
      httpUrls: procs.map((p) => p.httpUrl),
      adminToken: SECRETS.ADMIN_TOKEN,
      senders: S.s5Senders,
      rate: S.s5Rate,
      preMs: S.s5Pre,
      postMs: S.s5Post,
      timeoutMs: S.s5Timeout,
      tolerance: 0.1,
    };
    const config = loadConfig('ours', 's5c', n, procs, { ackMs: 250, register: !seeded, scenario: 'rebalance', rebalance }, true);
    return { storage: 'PostgreSQL + Redis', load: await runLoad(config) };
  });
}

module.exports = { s5 };
