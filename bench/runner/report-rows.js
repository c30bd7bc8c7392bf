'use strict';
// The summary table of the report: each scenario's figures against its baseline and its target.
const { round } = require('../lib/common');
const { SCENARIOS, S } = require('./context');
const { records } = require('./records');

const fmt = (v, digits = 0) =>
  v === null || v === undefined || Number.isNaN(v)
    ? '–'
    : typeof v === 'number'
      ? v.toLocaleString('en-US', { maximumFractionDigits: digits })
      : String(v);
const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? round(a / b, 2) : null);
const met = (ok) => (ok === null || ok === undefined ? '–' : ok ? 'yes' : '**no**');
/** Whether a ratio meets its target: null when there is no ratio (a figure missing). */
const judged = (r, meets) => (r === null ? null : meets(r));

function find(scenario, target, labelPart) {
  return records.find((r) => r.scenario === scenario && r.target === target && (!labelPart || r.label.includes(labelPart)));
}

function value(rec, path) {
  if (!rec) return null;
  if (rec.skipped) return `skipped (${rec.skipped})`;
  if (rec.error) return 'failed';
  return path(rec) ?? null;
}

/** The maximum delivered msg/s of a relay or group record (or why there is none). */
const maxDelivered = (rec) => value(rec, (r) => r.load.max.deliveredPerSec);

const num = (v) => (typeof v === 'number' ? v : null);

/** Our record of a scenario and the baselines' (B0's of `b0Scenario`), with each one's maximum delivered msg/s. */
function maxima(scenario, b0Scenario) {
  const rec = find(scenario, 'ours');
  const b1 = find(scenario, 'b1');
  const b0 = find(b0Scenario, 'b0');
  return { rec, b1, max: maxDelivered(rec), b1max: num(maxDelivered(b1)), b0max: num(maxDelivered(b0)) };
}

function buildRows() {
  const rows = [];
  const row = (scenario, figure, ours, base, baseLabel, r, target, ok) =>
    rows.push({ scenario, figure, ours, base, baseLabel, r, target, ok });
  /** A row of ours against a baseline's figure, the ratio judged by `meets` (no `meets`: not judged). */
  const versus = (scenario, figure, ours, base, baseLabel, target = '', meets = null) => {
    const r = ratio(num(ours), base);
    row(scenario, figure, ours, base, baseLabel, r, target, meets ? judged(r, meets) : null);
  };
  /** The two rows of a maximum: at least twice B1's, at least half B0's. */
  const againstBaselines = (scenario, figure, max, b1max, b1Label, b0max, b0Label) => {
    versus(scenario, figure, max, b1max, b1Label, '≥ 2x B1', (x) => x >= 2);
    versus(scenario, figure, max, b0max, b0Label, '≥ 0.5x B0', (x) => x >= 0.5);
  };
  const p99 = (rec) => value(rec, (r) => r.load.paced.latencyMs.p99);

  if (SCENARIOS.includes('S1')) {
    const b0 = find('S1', 'b0');
    const b1 = find('S1', 'b1');
    const b0max = num(maxDelivered(b0));
    const b1max = num(maxDelivered(b1));
    for (const [part, short] of [
      ['PostgreSQL', 'PostgreSQL + Redis'],
      ['embedded', 'embedded PGlite'],
    ]) {
      const rec = find('S1', 'ours', part);
      againstBaselines('S1', `max delivered msg/s, 1 instance (${short})`, maxDelivered(rec), b1max, 'B1 (1 inst.)', b0max, 'B0');
      const ourP99 = p99(rec);
      row(
        'S1',
        `latency at 50 % of max, p50 / p99 / p999 ms (${short})`,
        lat(rec),
        lat(b1),
        'B1 (1 inst.)',
        ratio(num(ourP99), num(p99(b1))),
        'p99 < 20 ms',
        typeof ourP99 === 'number' ? ourP99 < 20 : null,
      );
    }
    row('S1', 'latency at 50 % of max, p50 / p99 / p999 ms (B0)', lat(b0), null, '', null, '', null);
  }
  if (SCENARIOS.includes('S2')) {
    // S2 runs no B0: its B0 figure is S1's.
    const { rec, b1, max, b1max, b0max } = maxima('S2', 'S1');
    againstBaselines('S2', 'max delivered msg/s, senders on #1, recipients on #2', max, b1max, 'B1 (2 inst.)', b0max, 'B0 (S1, 1 proc.)');
    row(
      'S2',
      'latency at 50 % of max, p50 / p99 / p999 ms',
      lat(rec),
      lat(b1),
      'B1 (2 inst.)',
      ratio(num(p99(rec)), num(p99(b1))),
      '',
      null,
    );
  }
  if (SCENARIOS.includes('S3')) {
    const b0 = find('S3', 'b0');
    const rec = find('S3', 'ours', 'idle (');
    const kb = value(rec, (r) => r.idle.rssPerConnKb);
    const b0kb = num(value(b0, (r) => r.idle.rssPerConnKb));
    const n = value(rec, (r) => r.idle.connections);
    row(
      'S3',
      `RSS per idle logged-in connection, KB (${fmt(n)} conns)`,
      kb,
      b0kb,
      'B0',
      ratio(num(kb), b0kb),
      '≤ 8 KB',
      typeof kb === 'number' ? kb <= 8 : null,
    );
    versus('S3', `RSS per idle logged-in connection, KB (${fmt(n)} conns)`, kb, b0kb, 'B0', '≤ 1.5x B0', (x) => x <= 1.5);
    row(
      'S3',
      'logins/s while connecting (token login)',
      value(rec, (r) => r.idle.loginsPerSec),
      num(value(b0, (r) => r.idle.loginsPerSec)),
      'B0',
      null,
      '',
      null,
    );
    const idle = find('S3', 'ours', 'each mode');
    const embeddedMb = value(idle, (r) => r.idleInstances.embeddedRssMb);
    const after = value(idle, (r) => r.idleInstances.afterSec);
    row(
      'S3',
      `RSS of an idle embedded instance ${after} s after start, MB`,
      embeddedMb,
      null,
      '',
      null,
      '≤ 256 MB',
      typeof embeddedMb === 'number' ? embeddedMb <= 256 : null,
    );
    row(
      'S3',
      `RSS of an idle cluster-mode instance ${after} s after start, MB`,
      value(idle, (r) => r.idleInstances.clusterRssMb),
      null,
      '',
      null,
      '',
      null,
    );
  }
  if (SCENARIOS.includes('S4')) {
    const { rec, b1, max: d, b1max: b1d, b0max: b0d } = maxima('S4', 'S4');
    const figure = `group fan-out deliveries/s (${S.s4} members, 2 instances)`;
    versus('S4', figure, d, b1d, 'B1 (2 inst.)', '≥ 1x B1', (x) => x >= 1);
    versus('S4', figure, d, b0d, 'B0 (1 proc.)');
    const acked = (r) => r.load.max.ackedPerSec;
    versus('S4', 'group messages sent/s (acknowledged)', value(rec, acked), num(value(b1, acked)), 'B1 (2 inst.)');
  }
  if (SCENARIOS.includes('S5')) {
    const rec = find('S5', 'ours');
    if (rec?.load?.notRun) {
      row('S5', 'rebalance', `not run: ${rec.load.notRun}`, null, '', null, 'within 10 % in < 10 s, 0 lost', null);
    } else {
      const t = value(rec, (r) => (r.load.balancedAfterMs === null ? 'not balanced' : round(r.load.balancedAfterMs / 1000, 2)));
      row(
        'S5',
        `time until every instance is within 10 % of the mean, s (${S.s5} clients, 3 instances)`,
        t,
        null,
        '',
        null,
        '< 10 s',
        typeof t === 'number' ? t < 10 : null,
      );
      row(
        'S5',
        'messages acknowledged during the move',
        value(rec, (r) => r.load.ackedDuringMove),
        null,
        '',
        null,
        '',
        null,
      );
      const lost = value(rec, (r) => r.load.lost);
      row('S5', 'messages lost (acknowledged, never received)', lost, null, '', null, '0', typeof lost === 'number' ? lost === 0 : null);
    }
  }
  return rows;
}

function lat(rec) {
  const l = value(rec, (r) => r.load.paced.latencyMs);
  if (!l || typeof l !== 'object') return l;
  return `${fmt(l.p50, 1)} / ${fmt(l.p99, 1)} / ${fmt(l.p999, 1)}`;
}

module.exports = { fmt, met, buildRows };
