'use strict';
// S4: group fan-out, one group with every client as member, on B0, two B1 instances and two of ours.
const { RUN_ID, S } = require('../runner/context');
const { guarded } = require('../runner/records');
const { groupEstimateSec, b0Run, b1SplitRun, oursSplitRun } = require('./targets');

async function s4() {
  const n = S.s4;
  const fanOut = { groupName: `bench-${RUN_ID}`, senders: S.s4Senders, window: 8, warmupMs: S.warmup, windows: S.windows, maxMs: S.max };
  const group = { scenario: 'group', group: fanOut };
  const est = groupEstimateSec();
  await guarded('S4', 'b0', 'B0 raw ws relay, 1 process', est, (procs) => b0Run(procs, n, group));
  await guarded('S4', 'b1', 'B1 Socket.IO + Redis adapter, 2 instances', est, (procs) => b1SplitRun(procs, 's4', n, group));
  await guarded('S4', 'ours', 'ours, 2 instances (PostgreSQL + Redis)', est + 15, (procs) => oursSplitRun(procs, 's4', n, group));
}

module.exports = { s4 };
