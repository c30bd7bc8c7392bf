import type { ClusterStats, StatsSample } from './admin-api';
import { ChartInput, Frame, buildChart, formatValue, moveText, niceCeiling, statsCharts } from './admin-charts';

const MINUTE = 60_000;
const NOW = 1_800_000_000_000;
const frame: Frame = { now: NOW, windowMs: 15 * MINUTE, sampleMs: MINUTE, width: 652, height: 130 };
// The plot is 600 × 100 inside the margins: x = 44 + 40 per minute, y = 108 − value × 100 / max.

function sample(at: number, fields: Partial<StatsSample> = {}): StatsSample {
  return { at, connections: 0, messages: 0, logins: 0, refusals: 0, moves: 0, ...fields };
}

function at(minutesAgo: number, value = 1) {
  return { at: NOW - minutesAgo * MINUTE, value };
}

function chart(points: { at: number; value: number }[]): ChartInput {
  return { id: 'c', title: 'Things', unit: '/s', series: [{ key: 'a', label: 'host-a', className: 'series-0', points }] };
}

describe('niceCeiling', () => {
  it('rounds up to 1, 2 or 5 times a power of ten, never below 1', () => {
    const values = [0, 0.3, 1, 1.2, 2, 2.1, 4.9, 5, 7, 10, 11, 199, 5000, 5001];
    expect(values.map(niceCeiling)).toEqual([1, 1, 1, 2, 2, 5, 5, 5, 10, 10, 20, 200, 5000, 10000]);
  });
});

describe('formatValue', () => {
  it('writes at most two decimals', () => {
    expect([0, 3, 0.5, 1 / 3, 12.345].map(formatValue)).toEqual(['0', '3', '0.5', '0.33', '12.35']);
  });
});

describe('buildChart', () => {
  it('spans the window up to now on x and 0 to a round maximum on y', () => {
    const model = buildChart(chart([at(10, 2), at(9, 4), at(0, 3)]), frame);
    expect(model.max).toBe(5);
    expect(model.plot).toEqual({ left: 44, top: 8, right: 644, bottom: 108 });
    expect(model.lines[0].path).toBe('M244 68 L284 28 M644 48 h0');
    expect(model.lines[0].latest).toBe(3);
    expect(model.xTicks).toEqual([
      { position: 44, label: '−15 min' },
      { position: 244, label: '−10 min' },
      { position: 444, label: '−5 min' },
      { position: 644, label: 'now' },
    ]);
    expect(model.yTicks).toEqual([
      { position: 108, label: '0' },
      { position: 58, label: '2.5' },
      { position: 8, label: '5' },
    ]);
  });

  it('joins samples up to two and a half intervals apart, and starts a new line after a longer gap', () => {
    const model = buildChart(chart([at(14), at(12), at(11), at(8), at(7)]), frame);
    expect(model.lines[0].path).toBe('M84 8 L164 8 L204 8 M324 8 L364 8');
  });

  it('leaves out points older than the window, and has no latest value without points', () => {
    const model = buildChart(chart([{ at: NOW - 16 * MINUTE, value: 50 }]), frame);
    expect(model.lines[0]).toMatchObject({ path: '', latest: null });
    expect(model.max).toBe(1);
    expect(model.summary).toBe('Things, last 15 minutes. Latest: host-a no data.');
  });

  it('says every line’s latest value with its unit', () => {
    const input: ChartInput = {
      id: 'c',
      title: 'Messages per second',
      unit: '/s',
      series: [
        { key: 'a', label: 'host-a', className: 'series-0', points: [{ at: NOW - MINUTE, value: 0.25 }] },
        { key: 'b', label: 'host-b', className: 'series-1', points: [{ at: NOW - MINUTE, value: 2 }], total: 120 },
      ],
    };
    const model = buildChart(input, frame);
    expect(model.summary).toBe('Messages per second, last 15 minutes. Latest: host-a 0.25/s; host-b 2/s.');
    expect(model.lines.map((line) => line.total)).toEqual([undefined, 120]);
  });
});

describe('statsCharts', () => {
  const stats: ClusterStats = {
    now: NOW,
    sampleMs: 5000,
    windowMs: 15 * MINUTE,
    instances: [
      {
        id: 'a',
        host: '10.0.0.1:9092',
        url: 'ws://10.0.0.1:9092/ws',
        samples: [
          sample(NOW - 9000, { messages: 10, connections: 3, logins: 2 }),
          sample(NOW - 4000, { messages: 5, connections: 4, refusals: 1 }),
        ],
      },
      {
        id: 'b',
        host: '10.0.0.2:9092',
        url: 'ws://10.0.0.2:9092/ws',
        samples: [sample(NOW - 7000, { logins: 3, refusals: 4, moves: 10 }), sample(NOW - 2000, { connections: 10 })],
      },
    ],
    moves: [],
  };
  const [messages, connections, logins, moves] = statsCharts(stats);

  it('draws messages per second per instance, with the count of the window', () => {
    const points = (...values: [number, number][]) => values.map(([ago, value]) => ({ at: NOW - ago, value }));
    expect(messages.series).toEqual([
      { key: 'a', label: '10.0.0.1:9092', className: 'series-0', points: points([9000, 2], [4000, 1]), total: 15 },
      { key: 'b', label: '10.0.0.2:9092', className: 'series-1', points: points([7000, 0], [2000, 0]), total: 0 },
    ]);
  });

  it('draws the connections of each instance as sampled', () => {
    expect(connections.series.map((series) => series.points.map((p) => p.value))).toEqual([
      [3, 4],
      [0, 10],
    ]);
    expect(connections.series.every((series) => series.total === undefined)).toBe(true);
  });

  it('draws logins and refusals per second of the whole cluster, the instances summed per interval', () => {
    // NOW is a multiple of 5000: the intervals end at NOW − 5000 and NOW.
    const points = (earlier: number, latest: number) => [
      { at: NOW - 5000, value: earlier },
      { at: NOW, value: latest },
    ];
    expect(logins.series).toEqual([
      { key: 'logins', label: 'logins', className: 'series-ok', points: points(1, 0), total: 5 },
      { key: 'refusals', label: 'refusals', className: 'series-danger', points: points(0.8, 0.2), total: 5 },
    ]);
  });

  it('draws the connections moved away per second per instance, with the count of the window', () => {
    expect(moves.series.map((series) => [series.total, series.points.map((p) => p.value)])).toEqual([
      [0, [0, 0]],
      [10, [2, 0]],
    ]);
  });
});

describe('moveText', () => {
  it('reads from → to, count, time', () => {
    const move = { at: NOW, from: 'a', fromHost: '10.0.0.1:9092', to: 'b', toHost: '10.0.0.2:9092', count: 40 };
    const time = (when: number) => new Date(when).toISOString().slice(11, 19);
    expect(moveText(move, time)).toBe('10.0.0.1:9092 → 10.0.0.2:9092, 40, 08:00:00');
  });
});
