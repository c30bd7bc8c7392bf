'use strict';
// S1: 1:1 relay on one instance: B0, B1, and ours embedded (PGlite) and on PostgreSQL + Redis.
const { mkdirSync } = require('node:fs');
const { join } = require('node:path');
const { REDIS_URL } = require('../lib/common');
/** The message types, loaded when first used: the bench may be started before `npm run build` made dist/. */
const messageTypes = () => require('../../dist/protocol').MessageType;
const { RUN_ID, REDIS_PREFIX, WORK_DIR, S, say } = require('../runner/context');
const { startBaseline, startOurs } = require('../runner/processes');
const { runLoad, runLoadPg } = require('../runner/load-runs');
const { seed } = require('../runner/database');
const { guarded } = require('../runner/records');
const { relayConfig, relayEstimateSec, loadConfig, seedCluster, b0Run } = require('./targets');

async function s1() {
  const n = S.s1;
  const relay = { scenario: 'relay', relay: relayConfig(false) };
  const est = relayEstimateSec();
  await guarded('S1', 'b0', 'B0 raw ws relay', est, (procs) => b0Run(procs, n, relay));
  await guarded('S1', 'b1', 'B1 Socket.IO + Redis adapter, 1 instance', est, async (procs) => {
    procs.push(await startBaseline('b1', 'b1', [REDIS_URL, `bench-${RUN_ID}-s1`]));
    return { load: await runLoad(loadConfig('b1', 'u', n, procs, relay, true)) };
  });
  await guarded('S1', 'ours', 'ours, embedded PGlite', est + 15, async (procs) => {
    const dataDir = join(WORK_DIR, 's1-embedded');
    mkdirSync(dataDir, { recursive: true });
    // A few hundred users register faster through the protocol than PGlite starts for seeding.
    const seeded = n <= 200 ? false : await seed('embedded', 's1e', n, dataDir);
    if (!seeded && n <= 200) say(`registering ${n} users through the protocol (type ${messageTypes().RegisterRequest})`);
    procs.push(await startOurs('ours-embedded', { storage: 'embedded', dataDir }));
    const config = loadConfig('ours', 's1e', n, procs, { register: !seeded, ...relay }, false);
    return { storage: 'embedded PGlite', load: await runLoad(config) };
  });
  await guarded('S1', 'ours', 'ours, PostgreSQL + Redis (cluster mode, 1 instance)', est + 5, async (procs) => {
    const seeded = await seedCluster('s1c', n);
    procs.push(await startOurs('ours-cluster', { storage: 'cluster', redisPrefix: `${REDIS_PREFIX}s1:` }));
    const config = loadConfig('ours', 's1c', n, procs, { register: !seeded, ...relay }, true);
    return { storage: 'PostgreSQL + Redis', load: await runLoadPg(config) };
  });
}

module.exports = { s1 };
