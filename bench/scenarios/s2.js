'use strict';
// S2: 1:1 relay across two instances, senders on one, recipients on the other.
const { S } = require('../runner/context');
const { guarded } = require('../runner/records');
const { relayConfig, relayEstimateSec, b1SplitRun, oursSplitRun } = require('./targets');

async function s2() {
  const n = S.s2;
  const relay = { scenario: 'relay', relay: relayConfig(true) };
  const est = relayEstimateSec();
  await guarded('S2', 'b1', 'B1 Socket.IO + Redis adapter, 2 instances', est, (procs) => b1SplitRun(procs, 's2', n, relay));
  await guarded('S2', 'ours', 'ours, 2 instances (PostgreSQL + Redis)', est + 10, (procs) => oursSplitRun(procs, 's2', n, relay));
}

module.exports = { s2 };
