import { el } from './dom.js';
import { figure } from './format.js';

const svgNs = 'http://www.w3.org/2000/svg';
const width = 240;
const height = 64;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

/**
 * One small chart of a sampled figure, drawn as inline SVG by this code: a line over the samples'
 * times, the latest value in words (the chart itself is an image with a text label).
 */
export function chart(title: string, unit: string, points: readonly { at: number; value: number }[]): HTMLElement {
  const latest = points.at(-1)?.value ?? 0;
  const max = Math.max(1, ...points.map((point) => point.value));
  // Headroom above the highest point: a steady figure is a line, not the chart's top edge.
  const top = max * 1.25;
  const first = points[0]?.at ?? 0;
  const span = Math.max(1, (points.at(-1)?.at ?? 1) - first);
  const coordinates = points.map((point) => `${((point.at - first) / span) * width},${height - 2 - (point.value / top) * (height - 6)}`).join(' ');
  const label = `${title}: ${figure(latest)} ${unit} now, at most ${figure(max)} over ${points.length} samples`;
  const image = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'none', class: 'spark' });
  image.append(svg('line', { x1: '0', y1: String(height - 1), x2: String(width), y2: String(height - 1), class: 'axis' }));
  if (points.length > 1) image.append(svg('polyline', { points: coordinates, class: 'line', fill: 'none' }));
  return el('figure', { class: 'chart' }, el('figcaption', {}, el('span', {}, title), el('strong', { 'data-figure': title }, `${figure(latest)} ${unit}`)), image);
}
