import { ChartModel, formatValue } from './admin-charts';
import { h } from './dom';

const SVG = 'http://www.w3.org/2000/svg';

/** SVG elements by createElementNS, text by text nodes, like dom.ts's `h`; colours come from classes, not style attributes (CSP). */
function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

function grid(model: ChartModel): SVGGElement {
  const { left, right, bottom } = model.plot;
  return svg(
    'g',
    { class: 'chart-axes', 'aria-hidden': 'true' },
    ...model.yTicks.flatMap((tick) => [
      svg('line', { class: 'grid', x1: left, x2: right, y1: tick.position, y2: tick.position }),
      svg('text', { class: 'tick', x: left - 6, y: tick.position, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, tick.label),
    ]),
    ...model.xTicks.map((tick, index) => {
      // The first and last labels stay inside the image.
      const anchor = index === 0 ? 'start' : index === model.xTicks.length - 1 ? 'end' : 'middle';
      return svg('text', { class: 'tick', x: tick.position, y: bottom + 15, 'text-anchor': anchor }, tick.label);
    }),
  );
}

function totalText(model: ChartModel, total: number): HTMLSpanElement {
  return h('span', { className: 'hint', testId: 'legend-total', text: `${total} in ${model.windowMinutes} min` });
}

function latestText(model: ChartModel, latest: number | null): string {
  return latest === null ? '—' : `${formatValue(latest)}${model.unit}`;
}

/**
 * A chart as a figure: the SVG (an image whose title and description say what it shows and the
 * latest values) and a legend that writes each line's latest value, and its count over the window.
 */
export function renderChart(model: ChartModel): HTMLElement {
  const titleId = `chart-${model.id}-title`;
  const descriptionId = `chart-${model.id}-description`;
  const image = svg(
    'svg',
    { class: 'chart-image', viewBox: `0 0 ${model.width} ${model.height}`, role: 'img', 'aria-labelledby': `${titleId} ${descriptionId}` },
    svg('title', { id: titleId }, model.title),
    svg('desc', { id: descriptionId }, model.summary),
    grid(model),
    ...model.lines.map((line) =>
      svg('path', { class: `chart-line ${line.className}`, d: line.path, 'data-testid': 'chart-line', 'data-series': line.key }),
    ),
  );
  const legend = h(
    'ul',
    { className: 'chart-legend' },
    ...model.lines.map((line) => {
      const dataset: Record<string, string> = { series: line.key, latest: line.latest === null ? '' : String(line.latest) };
      if (line.total !== undefined) dataset.total = String(line.total);
      return h(
        'li',
        { testId: 'legend-item', dataset },
        h('span', { className: `swatch ${line.className}` }),
        h('span', { className: 'legend-label', text: line.label }),
        h('span', { className: 'legend-value', testId: 'legend-latest', text: latestText(model, line.latest) }),
        line.total === undefined ? null : totalText(model, line.total),
      );
    }),
  );
  return h(
    'figure',
    { className: 'chart', testId: `chart-${model.id}`, dataset: { max: String(model.max) } },
    h('figcaption', { text: model.title }),
    image,
    legend,
  );
}
