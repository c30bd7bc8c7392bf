'use strict';
// What the run measured, one record per scenario and target, and the guard every measurement runs in.
const { loadavg } = require('node:os');
const { round } = require('../lib/common');
const { TARGETS, budgetLeftMs, say, warn, state } = require('./context');
const { stopAll } = require('./processes');

const records = []; // {scenario, target, label, ...}

function record(scenario, target, label, data) {
  const entry = { scenario, target, label, ...data };
  records.push(entry);
  return entry;
}

/**
 * Runs one measurement (`work` starts its processes into `procs`) unless its target is not chosen,
 * the run was cut or the budget left is under `estimateSec`; records what it returns or how it failed.
 */
async function guarded(scenario, target, label, estimateSec, work) {
  if (TARGETS && !TARGETS.includes(target)) return null;
  const left = budgetLeftMs();
  if (state.aborted) return record(scenario, target, label, { skipped: state.aborted });
  if (left < estimateSec * 1000) {
    warn(`${scenario} ${label}: skipped, ${Math.round(left / 1000)} s left of the budget and it needs about ${estimateSec} s`);
    return record(scenario, target, label, { skipped: 'time budget' });
  }
  say(`${scenario} ${label}`);
  const procs = [];
  const t0 = Date.now();
  // The machine's 1-minute load average around each run: a neighbour's test suite shows here.
  const loadBefore = round(loadavg()[0], 1);
  try {
    const data = await work(procs);
    const usage = procs.map((p) => p.usage());
    const loadAfter = round(loadavg()[0], 1);
    return record(scenario, target, label, {
      ...data,
      processes: usage,
      seconds: round((Date.now() - t0) / 1000, 1),
      loadBefore,
      loadAfter,
    });
  } catch (error) {
    say(`${scenario} ${label} FAILED: ${error.message.split('\n').slice(0, 8).join('\n')}`);
    return record(scenario, target, label, { error: error.message.split('\n')[0].slice(0, 300) });
  } finally {
    await stopAll(procs).catch(() => undefined);
  }
}

module.exports = { records, guarded };
