'use strict';
// Consecutive measured windows on a warm target, folded into one figure each: the median, with the
// windows' own values kept beside it (one window can catch a neighbour's test suite or a GC storm).
const { round } = require('../lib/common');

/** The median of the numbers among `values` (null when there is none); the mean of the middle two for an even count. */
function median(values) {
  const sorted = values.filter((v) => typeof v === 'number' && !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : round((sorted[mid - 1] + sorted[mid]) / 2, 2);
}

const sum = (values) => values.reduce((a, v) => a + (v ?? 0), 0);

/** Latency percentiles: the median of each one over the windows; the count summed, the maximum the largest. */
function latencyOf(windows) {
  const all = windows.map((w) => w.latencyMs).filter((l) => l?.count > 0);
  if (all.length === 0) return { count: 0 };
  const out = { count: sum(all.map((l) => l.count)) };
  for (const key of ['p50', 'p90', 'p99', 'p999', 'mean']) out[key] = median(all.map((l) => l[key]));
  out.max = Math.max(...all.map((l) => l.max));
  return out;
}

/** CPU of every process over all the windows together (cpuPct of their summed length), and the highest RSS seen. */
function procsOf(windows) {
  return windows[0].procs.map((first, i) => {
    const each = windows.map((w) => w.procs[i]);
    const seconds = sum(each.map((p) => p.windowSec));
    const cpu = each.some((p) => p.cpuSec === null) ? null : sum(each.map((p) => p.cpuSec));
    return {
      ...first,
      windowSec: round(seconds, 2),
      cpuSec: cpu === null ? null : round(cpu, 2),
      cpuPct: cpu === null ? null : round((100 * cpu) / seconds, 1),
      rssMb: each[each.length - 1].rssMb,
      peakRssMb: Math.max(...each.map((p) => p.peakRssMb)),
    };
  });
}

/**
 * Windows measured one after the other, as one result: rates and CPU per delivery are the medians
 * of the windows (`windows` keeps each one's rates, CPU per delivery and p99), counts are summed.
 */
function combineWindows(windows) {
  const med = (key) => median(windows.map((w) => w[key]));
  return {
    seconds: round(sum(windows.map((w) => w.seconds)), 2),
    deliveredPerSec: med('deliveredPerSec'),
    serverCpuUsPerDelivery: med('serverCpuUsPerDelivery'),
    sentPerSec: med('sentPerSec'),
    ackedPerSec: med('ackedPerSec'),
    failed: sum(windows.map((w) => w.failed)),
    closes: sum(windows.map((w) => w.closes)),
    dropped: sum(windows.map((w) => w.dropped)),
    latencyMs: latencyOf(windows),
    generatorLoopDelayP99Ms: Math.max(...windows.map((w) => w.generatorLoopDelayP99Ms)),
    windows: windows.map((w) => ({
      seconds: w.seconds,
      deliveredPerSec: w.deliveredPerSec,
      sentPerSec: w.sentPerSec,
      ackedPerSec: w.ackedPerSec,
      serverCpuUsPerDelivery: w.serverCpuUsPerDelivery,
      p99Ms: w.latencyMs.p99 ?? null,
    })),
    procs: procsOf(windows),
  };
}

module.exports = { median, combineWindows };
