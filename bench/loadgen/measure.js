'use strict';
// What the load generator counts: the running totals, and latency in HDR histograms.
const hdr = require('hdr-histogram-js');
const { round } = require('../lib/common');

class Stats {
  constructor() {
    this.sent = 0;
    this.acked = 0;
    this.failed = 0;
    this.delivered = 0;
    this.offline = 0;
    this.duplicates = 0;
    this.unmatched = 0;
    this.notices = 0;
    this.errors = 0;
    this.closes = 0;
    this.dropped = 0;
    this.reasons = {};
  }

  snapshot() {
    return { ...this, reasons: { ...this.reasons } };
  }
}

function newHistogram() {
  // microseconds, 1 µs .. 120 s, 3 significant digits
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
}

function summary(histogram) {
  if (histogram.totalCount === 0) return { count: 0 };
  const ms = (q) => round(histogram.getValueAtPercentile(q) / 1000, 2);
  return {
    count: histogram.totalCount,
    p50: ms(50),
    p90: ms(90),
    p99: ms(99),
    p999: ms(99.9),
    max: round(histogram.maxValue / 1000, 2),
    mean: round(histogram.mean / 1000, 2),
  };
}

module.exports = { Stats, newHistogram, summary };
