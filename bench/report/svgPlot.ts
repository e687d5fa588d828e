/** A small SVG plotting kit for the benchmark charts: panels, axes, lines, bars, legend (no library). */

export interface Panel {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Series {
  name: string;
  color: string;
  /** One value per category; NaN where there is none (the line breaks there). */
  values: readonly number[];
}

export type Scale = { kind: 'linear'; max: number } | { kind: 'log'; min: number; max: number };

const family = 'font-family="sans-serif"';
const font = `${family} font-size="11"`;

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Where a value sits on the panel's y axis (SVG y grows downwards). */
export function yOf(panel: Panel, scale: Scale, value: number): number {
  const fraction = scale.kind === 'linear' ? value / scale.max : (Math.log10(value) - Math.log10(scale.min)) / (Math.log10(scale.max) - Math.log10(scale.min));
  return panel.y + panel.height * (1 - Math.min(1, Math.max(0, fraction)));
}

/** Centre of category `index` of `count` along the panel's x axis. */
export function xOf(panel: Panel, index: number, count: number): number {
  return panel.x + (panel.width * (index + 0.5)) / count;
}

/** A rounded-up maximum with 4-5 ticks (linear), or decades (log). */
export function ticks(scale: Scale): number[] {
  if (scale.kind === 'log') {
    const out: number[] = [];
    for (let value = scale.min; value <= scale.max * 1.0001; value *= 10) out.push(value);
    return out;
  }
  const step = scale.max / 4;
  return [0, step, 2 * step, 3 * step, scale.max];
}

export function niceLinear(maxValue: number): Scale {
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(maxValue, 1e-9)));
  const nice = [1, 2, 2.5, 4, 5, 8, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= maxValue) ?? 10 * magnitude;
  return { kind: 'linear', max: nice };
}

export function niceLog(minValue: number, maxValue: number): Scale {
  return { kind: 'log', min: 10 ** Math.floor(Math.log10(Math.max(minValue, 1e-3))), max: 10 ** Math.ceil(Math.log10(Math.max(maxValue, 1e-3 * 10))) };
}

/** Frame, title, y ticks with grid lines, category labels under the x axis. */
export function axes(panel: Panel, scale: Scale, title: string, categories: readonly string[], xTitle: string): string[] {
  const out = [`<text x="${panel.x}" y="${panel.y - 12}" ${family} font-size="13" font-weight="bold">${escapeXml(title)}</text>`];
  for (const value of ticks(scale)) {
    const y = yOf(panel, scale, value).toFixed(1);
    out.push(`<line x1="${panel.x}" y1="${y}" x2="${panel.x + panel.width}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${panel.x - 6}" y="${y}" ${font} text-anchor="end" dominant-baseline="middle">${formatTick(value)}</text>`);
  }
  out.push(`<rect x="${panel.x}" y="${panel.y}" width="${panel.width}" height="${panel.height}" fill="none" stroke="#888"/>`);
  categories.forEach((label, index) => {
    out.push(`<text x="${xOf(panel, index, categories.length).toFixed(1)}" y="${panel.y + panel.height + 16}" ${font} text-anchor="middle">${escapeXml(label)}</text>`);
  });
  out.push(`<text x="${panel.x + panel.width / 2}" y="${panel.y + panel.height + 34}" ${font} text-anchor="middle" fill="#555">${escapeXml(xTitle)}</text>`);
  return out;
}

function formatTick(value: number): string {
  if (value === 0) return '0';
  if (value >= 1000) return `${value / 1000}k`;
  return value < 1 ? value.toString() : Number(value.toPrecision(3)).toString();
}

/** One polyline per series with a dot per point; NaN values break the line. */
export function lines(panel: Panel, scale: Scale, series: readonly Series[], count: number): string[] {
  return series.flatMap((one) => {
    const segments: string[][] = [[]];
    const dots: string[] = [];
    one.values.forEach((value, index) => {
      if (!Number.isFinite(value)) return void segments.push([]);
      const x = xOf(panel, index, count).toFixed(1);
      const y = yOf(panel, scale, value).toFixed(1);
      segments[segments.length - 1].push(`${x},${y}`);
      dots.push(`<circle cx="${x}" cy="${y}" r="3" fill="${one.color}"><title>${escapeXml(`${one.name}: ${value.toPrecision(3)}`)}</title></circle>`);
    });
    const polylines = segments.filter((points) => points.length > 1).map((points) => `<polyline points="${points.join(' ')}" fill="none" stroke="${one.color}" stroke-width="2"/>`);
    return [...polylines, ...dots];
  });
}

/** Grouped bars: per category one bar per series. */
export function bars(panel: Panel, scale: Scale, series: readonly Series[], count: number): string[] {
  const groupWidth = (panel.width / count) * 0.8;
  const barWidth = groupWidth / Math.max(1, series.length);
  return series.flatMap((one, seriesIndex) =>
    one.values.flatMap((value, index) => {
      if (!Number.isFinite(value)) return [];
      const x = xOf(panel, index, count) - groupWidth / 2 + seriesIndex * barWidth;
      const y = yOf(panel, scale, value);
      return [`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 1).toFixed(1)}" height="${(panel.y + panel.height - y).toFixed(1)}" fill="${one.color}"><title>${escapeXml(`${one.name}: ${value.toPrecision(3)}`)}</title></rect>`];
    }),
  );
}

export function legend(x: number, y: number, series: readonly Series[]): string[] {
  return series.flatMap((one, index) => {
    const left = x + (index % 3) * 260;
    const top = y + Math.floor(index / 3) * 18;
    return [`<rect x="${left}" y="${top - 9}" width="14" height="10" fill="${one.color}"/>`, `<text x="${left + 20}" y="${top}" ${font}>${escapeXml(one.name)}</text>`];
  });
}
