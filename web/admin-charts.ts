import type { ClusterStats, InstanceStats, StatsMove, StatsSample } from './admin-api';

/**
 * The admin console's charts as plain data: which lines, where their points fall, the axes and
 * the text that says the latest values. No DOM here, so the geometry is tested on its own.
 */

export interface Point {
  at: number;
  value: number;
}

export interface SeriesInput {
  key: string;
  label: string;
  /** Picks the colour in style.css: `series-0`…`series-5`, `series-ok`, `series-danger`. */
  className: string;
  points: Point[];
  /** What the series counted over the window, for series of counts. */
  total?: number;
}

export interface ChartInput {
  id: string;
  title: string;
  /** Appended to values: `/s`, or empty for a gauge. */
  unit: string;
  series: SeriesInput[];
}

/** The time the chart spans and its drawing size (SVG user units). */
export interface Frame {
  now: number;
  windowMs: number;
  sampleMs: number;
  width: number;
  height: number;
}

export interface Tick {
  position: number;
  label: string;
}

export interface ChartLine {
  key: string;
  label: string;
  className: string;
  /** SVG path data; a gap in the samples starts a new subpath. */
  path: string;
  latest: number | null;
  total?: number;
}

export interface ChartModel {
  id: string;
  title: string;
  unit: string;
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  /** The value at the top of the y axis. */
  max: number;
  windowMinutes: number;
  yTicks: Tick[];
  xTicks: Tick[];
  lines: ChartLine[];
  /** One sentence with every line's latest value, for screen readers. */
  summary: string;
}

const MARGIN = { left: 44, top: 8, right: 8, bottom: 22 };
/** Instance colours; the seventh instance takes the first colour again. */
const PALETTE_SIZE = 6;
/** A sample missing for longer than this many intervals breaks the line. */
const GAP_INTERVALS = 2.5;
const X_TICK_MS = 5 * 60_000;

/** The smallest 1, 2 or 5 × 10ⁿ at least `value` (and at least 1): a y axis that reads easily. */
export function niceCeiling(value: number): number {
  if (!(value > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((factor) => factor * power >= value - 1e-9)!;
  return step * power;
}

/** At most two decimals, none when whole. */
export function formatValue(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Counts of an interval as a rate per second. */
function perSecond(count: number, sampleMs: number): number {
  return (count * 1000) / sampleMs;
}

function sum(samples: StatsSample[], field: keyof StatsSample): number {
  return samples.reduce((total, sample) => total + sample[field], 0);
}

function instanceSeries(instances: InstanceStats[], value: (sample: StatsSample) => number, field?: keyof StatsSample): SeriesInput[] {
  return instances.map((instance, index) => ({
    key: instance.id,
    label: instance.host,
    className: `series-${index % PALETTE_SIZE}`,
    points: instance.samples.map((sample) => ({ at: sample.at, value: value(sample) })),
    ...(field ? { total: sum(instance.samples, field) } : {}),
  }));
}

/** Every sample time of the cluster with the sum of `field` over the instances that sampled in that interval. */
function clusterSeries(stats: ClusterStats, field: keyof StatsSample): Point[] {
  const slots = new Map<number, Point>();
  for (const sample of stats.instances.flatMap((instance) => instance.samples)) {
    const slot = Math.ceil(sample.at / stats.sampleMs);
    const point = slots.get(slot) ?? { at: slot * stats.sampleMs, value: 0 };
    point.value += perSecond(sample[field], stats.sampleMs);
    slots.set(slot, point);
  }
  return [...slots.values()].sort((a, b) => a.at - b.at);
}

/** One line for the whole cluster: `field` per second, and its count over the window. */
function clusterLine(stats: ClusterStats, field: 'logins' | 'refusals', className: string): SeriesInput {
  const total = sum(
    stats.instances.flatMap((instance) => instance.samples),
    field,
  );
  return { key: field, label: field, className, points: clusterSeries(stats, field), total };
}

/** The four charts of the console from one answer of GET /cluster/stats. */
export function statsCharts(stats: ClusterStats): ChartInput[] {
  const rate = (field: 'messages' | 'moves') => (sample: StatsSample) => perSecond(sample[field], stats.sampleMs);
  return [
    { id: 'messages', title: 'Messages per second', unit: '/s', series: instanceSeries(stats.instances, rate('messages'), 'messages') },
    { id: 'connections', title: 'Connections', unit: '', series: instanceSeries(stats.instances, (sample) => sample.connections) },
    {
      id: 'logins',
      title: 'Logins and refusals per second',
      unit: '/s',
      series: [clusterLine(stats, 'logins', 'series-ok'), clusterLine(stats, 'refusals', 'series-danger')],
    },
    {
      id: 'moves',
      title: 'Connections moved away per second',
      unit: '/s',
      series: instanceSeries(stats.instances, rate('moves'), 'moves'),
    },
  ];
}

/** Runs of points with no gap longer than `maxGapMs` between neighbours. */
function runs(points: Point[], maxGapMs: number): Point[][] {
  const result: Point[][] = [];
  for (const point of points) {
    const run = result.at(-1);
    if (run && point.at - run.at(-1)!.at <= maxGapMs) run.push(point);
    else result.push([point]);
  }
  return result;
}

function linePath(points: Point[], maxGapMs: number, x: (at: number) => number, y: (value: number) => number): string {
  return runs(points, maxGapMs)
    .map((run) => {
      const [first, ...rest] = run.map((point) => `${round(x(point.at))} ${round(y(point.value))}`);
      // A point alone is a zero-length subpath: its round line cap draws a dot.
      return rest.length === 0 ? `M${first} h0` : `M${first} L${rest.join(' L')}`;
    })
    .join(' ');
}

/** Lays a chart out in `frame`: the x axis the window up to `now`, the y axis from 0 to a round value above the highest point. */
export function buildChart(input: ChartInput, frame: Frame): ChartModel {
  const start = frame.now - frame.windowMs;
  const plot = { left: MARGIN.left, top: MARGIN.top, right: frame.width - MARGIN.right, bottom: frame.height - MARGIN.bottom };
  const visible = input.series.map((series) => ({ ...series, points: series.points.filter((p) => p.at >= start && p.at <= frame.now) }));
  const max = niceCeiling(Math.max(0, ...visible.flatMap((series) => series.points.map((p) => p.value))));
  const x = (at: number) => plot.left + ((at - start) / frame.windowMs) * (plot.right - plot.left);
  const y = (value: number) => plot.bottom - (value / max) * (plot.bottom - plot.top);
  const lines: ChartLine[] = visible.map((series) => ({
    key: series.key,
    label: series.label,
    className: series.className,
    path: linePath(series.points, GAP_INTERVALS * frame.sampleMs, x, y),
    latest: series.points.at(-1)?.value ?? null,
    ...(series.total !== undefined ? { total: series.total } : {}),
  }));
  const xTicks: Tick[] = [];
  for (let ago = frame.windowMs; ago >= 0; ago -= X_TICK_MS) {
    xTicks.push({ position: round(x(frame.now - ago)), label: ago === 0 ? 'now' : `−${Math.round(ago / 60_000)} min` });
  }
  const yTicks = [0, max / 2, max].map((value) => ({ position: round(y(value)), label: formatValue(value) }));
  const latest = lines.map((line) => `${line.label} ${line.latest === null ? 'no data' : `${formatValue(line.latest)}${input.unit}`}`);
  const windowMinutes = Math.round(frame.windowMs / 60_000);
  const summary = `${input.title}, last ${windowMinutes} minutes. Latest: ${latest.length > 0 ? latest.join('; ') : 'no instance'}.`;
  const { id, title, unit } = input;
  return { id, title, unit, width: frame.width, height: frame.height, plot, max, windowMinutes, yTicks, xTicks, lines, summary };
}

/** A move as the console lists it: `from → to, n, time` (the time as `format` writes it). */
export function moveText(move: StatsMove, format: (at: number) => string): string {
  return `${move.fromHost} → ${move.toHost}, ${move.count}, ${format(move.at)}`;
}
