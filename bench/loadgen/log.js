'use strict';
// The load generator's progress lines: to bench/run.js over IPC when forked, else to stderr.
const log = (msg) => {
  if (process.send) process.send({ type: 'log', msg });
  else process.stderr.write(`[load] ${msg}\n`);
};

module.exports = { log };
