// A small SVG plotting module: line charts (linear, log or symmetric log y) and contour plots with
// trajectories. Output is plain inline SVG (no xmlns, no fonts, no scripts), so reports stay self-contained.
import { ValueError } from '@nablajs/core';

/**
 * The colours of the series, in order: Tableau 10, readable on white and distinct in print.
 *
 * @example
 * ```ts
 * const color = PALETTE[index % PALETTE.length];
 * ```
 */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#59a14f',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#9c755f',
  '#ff9da7',
  '#bab0ac',
];

/**
 * A point marked with a cross on a chart: where a run diverged.
 *
 * @example
 * ```ts
 * const marker: Marker = { x: 12, y: 0.8, title: 'sgd (seed 2) diverged at step 13' };
 * ```
 */
export interface Marker {
  /** x, in data coordinates. */
  x: number;
  /** y, in data coordinates; a value the axis cannot show (NaN, infinite, <= 0 on a log axis) is put at the top edge. */
  y: number;
  /** A tooltip (`seed 2 diverged at step 40`). */
  title?: string;
}

/** One line of a chart: a label and its points (non-finite values break the line). */
export interface Series {
  /** The label, as in the legend. */
  label: string;
  /** The colour (CSS). */
  color: string;
  /** x values. */
  x: readonly number[];
  /** y values, aligned with `x`. */
  y: readonly number[];
  /**
   * A shaded band behind the line (the interquartile range over seeds), its lower and upper edges
   * aligned with `x`; drawn as `<path class="band">`.
   */
  band?: { lo: readonly number[]; hi: readonly number[] };
  /** Points marked with a cross in the series' colour (`<path class="diverged">`): where runs diverged. */
  markers?: readonly Marker[];
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  /** The title, drawn above the plot. */
  title: string;
  /** The x-axis label. */
  xLabel: string;
  /** The y-axis label. */
  yLabel: string;
  /** The lines, one `<path class="series">` each. */
  series: readonly Series[];
  /**
   * The y axis: `linear` (default); `log` (log10; values <= 0 are left out); `symlog`, a symmetric
   * log, `sign(y) log10(1 + |y|)`, for values of both signs spanning many decades.
   */
  yScale?: 'linear' | 'log' | 'symlog';
  /** Width in pixels (default 560). */
  width?: number;
  /** Height in pixels (default 320). */
  height?: number;
  /** Draw a legend inside the chart (default true). */
  legend?: boolean;
  /** A short text at the end of the legend, saying what the lines and bands are (`median of 3 seeds; band: interquartile range`). */
  legendNote?: string;
}

/** A two-dimensional objective and the paths of optimizers over it, for {@link contourChart}. */
export interface ContourChartOptions {
  /** The title. */
  title: string;
  /** The function to draw (or give its samples in `values`). */
  f?: (x: number, y: number) => number;
  /**
   * The function sampled at the grid corners instead of `f`: `(resolution + 1)²` values, row by row
   * from the bottom (yMin), each row from xMin.
   */
  values?: ArrayLike<number>;
  /** The drawn region: `[[xMin, xMax], [yMin, yMax]]`. */
  bounds: readonly [readonly [number, number], readonly [number, number]];
  /** Trajectories: `x` and `y` are the coordinates of the iterates. */
  series: readonly Series[];
  /** Points to mark as minima. */
  minima?: readonly (readonly [number, number])[];
  /** Cells per side of the grid the function is sampled on (default 100). */
  resolution?: number;
  /** The number of log-spaced contour levels (default 14). */
  levels?: number;
  /** Size in pixels of the square plot (default 520). */
  size?: number;
  /** Draw a legend inside the chart (default true). */
  legend?: boolean;
}

interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Escape text for HTML and SVG content and attribute values.
 *
 * @example
 * ```ts
 * escapeXml('a < b & "c"'); // 'a &lt; b &amp; &quot;c&quot;'
 * ```
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number in SVG coordinates: two decimals, no exponent. */
function px(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

/**
 * Format a tick value briefly: `0.5`, `1e-3`, `1.2k`.
 *
 * @example
 * ```ts
 * formatTick(0.001); // '1e-3'
 * formatTick(2500); // '2.5k'
 * ```
 */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 && a < 1e6) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a >= 1e6 || a < 1e-3) {
    const [m, e] = v.toExponential(2).split('e');
    return `${+m}e${+e}`;
  }
  return `${+v.toPrecision(3)}`;
}

/**
 * "Nice" tick values covering `[lo, hi]`, about `count` of them, at multiples of 1, 2 or 5 times a
 * power of ten.
 *
 * @example
 * ```ts
 * niceTicks(0, 0.93, 5); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 * ```
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let t = start; t <= hi + step * 1e-9 + step; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : +t.toPrecision(12));
    if (t >= hi - step * 1e-9) break;
  }
  return ticks;
}

/**
 * Ticks for a log axis over `[lo, hi]` (both > 0): the powers of ten inside it, thinned to about 8;
 * with fewer than three, the 1-2-5 multiples; in a range narrower than that, plain "nice" ticks.
 */
function logTicks(lo: number, hi: number): number[] {
  const a = Math.ceil(Math.log10(lo) - 1e-9);
  const b = Math.floor(Math.log10(hi) + 1e-9);
  const stride = Math.max(1, Math.ceil((b - a + 1) / 8));
  const powers: number[] = [];
  for (let e = a; e <= b; e += stride) powers.push(10 ** e);
  if (powers.length >= 3) return powers;
  const multiples: number[] = [];
  for (let e = a - 1; e <= b; e++)
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) multiples.push(+t.toPrecision(12));
    }
  if (multiples.length >= 2) return multiples;
  return niceTicks(lo, hi, 5).filter((t) => t >= lo && t <= hi && t > 0);
}

/** Ticks for a symmetric log axis: 0 and signed powers of ten (from 1) reaching past `[lo, hi]`, about 9 in all. */
function symlogTicks(lo: number, hi: number): number[] {
  const reach = (v: number) => (v > 0 ? Math.max(0, Math.ceil(Math.log10(v) - 1e-9)) : -1);
  const up = reach(hi);
  const down = reach(-lo);
  const stride = Math.max(1, Math.ceil((up + down + 2) / 9));
  const side = (top: number) => {
    const out: number[] = [];
    if (top < 0) return out;
    let e = 0;
    for (; e < top; e += stride) out.push(10 ** e);
    out.push(10 ** e);
    return out;
  };
  return [
    ...side(down)
      .map((t) => -t)
      .reverse(),
    0,
    ...side(up),
  ];
}

/** Keep at most `max` points of a long series: per bucket, its first, lowest and highest points. */
function thin(x: readonly number[], y: readonly number[], max: number): { x: number[]; y: number[] } {
  if (x.length <= max) return { x: [...x], y: [...y] };
  const buckets = Math.floor(max / 3);
  const size = x.length / buckets;
  const ox: number[] = [];
  const oy: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(x.length, Math.floor((b + 1) * size));
    let lo = start;
    let hi = start;
    for (let i = start; i < end; i++) {
      if (y[i] < y[lo] || !Number.isFinite(y[lo])) lo = i;
      if (y[i] > y[hi] || !Number.isFinite(y[hi])) hi = i;
    }
    const picks = [...new Set([start, lo, hi])].sort((p, q) => p - q);
    for (const i of picks) {
      ox.push(x[i]);
      oy.push(y[i]);
    }
  }
  ox.push(x[x.length - 1]);
  oy.push(y[y.length - 1]);
  return { x: ox, y: oy };
}

/** The `d` attribute of a path through the points; a non-drawable point (null) starts a new piece. */
function pathData(points: readonly ([number, number] | null)[]): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (p === null) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${px(p[0])},${px(p[1])}`;
    pen = true;
  }
  return d;
}

type LegendEntry = { kind: 'line' | 'cross'; color: string; label: string } | { kind: 'text'; label: string };

function legendEntries(series: readonly Series[], note: string | undefined): LegendEntry[] {
  const entries: LegendEntry[] = series.map((s) => ({ kind: 'line', color: s.color, label: s.label }));
  if (series.some((s) => (s.markers?.length ?? 0) > 0))
    entries.push({ kind: 'cross', color: '#333', label: 'diverged' });
  if (note !== undefined && note !== '') entries.push({ kind: 'text', label: note });
  return entries;
}

function entryWidth(entry: LegendEntry): number {
  const chars = entry.kind === 'text' ? entry.label.length : Math.min(entry.label.length, 40);
  return (entry.kind === 'text' ? 0 : 26) + chars * (entry.kind === 'text' ? 6 : 7);
}

function crossPath(cx: number, cy: number, r: number): string {
  return `M${px(cx - r)},${px(cy - r)}L${px(cx + r)},${px(cy + r)}M${px(cx - r)},${px(cy + r)}L${px(cx + r)},${px(cy - r)}`;
}

function legendSvg(entries: readonly LegendEntry[], x: number, y: number, width: number): string {
  const parts: string[] = [];
  let cx = x;
  let cy = y;
  for (const entry of entries) {
    const w = entryWidth(entry);
    if (cx + w > x + width && cx > x) {
      cx = x;
      cy += 16;
    }
    if (entry.kind === 'text') {
      parts.push(`<text x="${px(cx)}" y="${px(cy)}" class="legend note">${escapeXml(entry.label)}</text>`);
    } else {
      parts.push(
        entry.kind === 'line'
          ? `<line x1="${px(cx)}" y1="${px(cy - 4)}" x2="${px(cx + 16)}" y2="${px(cy - 4)}" stroke="${escapeXml(entry.color)}" stroke-width="3"/>`
          : `<path d="${crossPath(cx + 8, cy - 4, 4)}" stroke="${escapeXml(entry.color)}" stroke-width="2" fill="none"/>`,
        `<text x="${px(cx + 20)}" y="${px(cy)}" class="legend">${escapeXml(entry.label.length > 40 ? `${entry.label.slice(0, 39)}…` : entry.label)}</text>`,
      );
    }
    cx += w + 8;
  }
  return `<g class="legend">${parts.join('')}</g>`;
}

function legendRows(entries: readonly LegendEntry[], width: number): number {
  let rows = 1;
  let cx = 0;
  for (const entry of entries) {
    const w = entryWidth(entry);
    if (cx + w > width && cx > 0) {
      rows++;
      cx = 0;
    }
    cx += w + 8;
  }
  return entries.length === 0 ? 0 : rows;
}

/** The closed outlines of a band over the runs of points where both edges can be drawn, at most about 1,500 points. */
function bandPath(
  x: readonly number[],
  lo: readonly number[],
  hi: readonly number[],
  point: (x: number, y: number) => [number, number] | null,
): string {
  const stride = Math.max(1, Math.ceil(x.length / 1500));
  let d = '';
  let upper: [number, number][] = [];
  let lower: [number, number][] = [];
  const flush = () => {
    if (upper.length > 1) {
      const ring = [...upper, ...lower.reverse()];
      d += `M${ring.map(([a, b]) => `${px(a)},${px(b)}`).join('L')}Z`;
    }
    upper = [];
    lower = [];
  };
  const indices: number[] = [];
  for (let i = 0; i < x.length; i += stride) indices.push(i);
  if (x.length > 0 && indices[indices.length - 1] !== x.length - 1) indices.push(x.length - 1);
  for (const i of indices) {
    const a = point(x[i], hi[i]);
    const b = point(x[i], lo[i]);
    if (a === null || b === null) flush();
    else {
      upper.push(a);
      lower.push(b);
    }
  }
  flush();
  return d;
}

// NOTE: a <style> inside inline SVG applies to the whole HTML page, so every selector is scoped to svg.chart.
const STYLE =
  'svg.chart text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;fill:#333}' +
  'svg.chart .title{font-size:14px;font-weight:600}svg.chart .axis{font-size:11px;fill:#555}' +
  'svg.chart .label{font-size:12px}svg.chart .legend{font-size:11px}';

/**
 * A line chart as an inline `<svg>`: axes with ticks and grid, one `<path class="series">` per
 * series (so a chart of k optimizers holds exactly k series paths), behind it the series' band as a
 * `<path class="band">` when it has one, its markers as crosses (`<path class="diverged">`), an optional
 * legend (with a `diverged` entry when there are markers, and the legend note). The y range covers the
 * lines, the bands and the markers. Long series are thinned to about 1,500 drawn points, keeping each
 * bucket's extremes.
 *
 * @example
 * ```ts
 * const svg = lineChart({
 *   title: 'Loss', xLabel: 'step', yLabel: 'loss', yScale: 'log',
 *   series: [{ label: 'adam', color: PALETTE[0], x: [0, 1, 2], y: [1, 0.5, 0.2] }],
 * });
 * ```
 */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 560;
  const height = options.height ?? 320;
  const log = options.yScale === 'log';
  const showLegend = options.legend ?? true;
  const entries = legendEntries(options.series, options.legendNote);
  const legendHeight = showLegend ? legendRows(entries, width - 78) * 16 + 6 : 0;
  const frame: Frame = {
    left: 62,
    top: 30 + legendHeight,
    width: width - 62 - 16,
    height: height - 30 - legendHeight - 44,
  };

  const drawable = (v: number) => Number.isFinite(v) && (!log || v > 0);
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  const include = (x: number, y: number) => {
    if (!Number.isFinite(x) || !drawable(y)) return;
    xMin = Math.min(xMin, x);
    xMax = Math.max(xMax, x);
    yMin = Math.min(yMin, y);
    yMax = Math.max(yMax, y);
  };
  for (const s of options.series) {
    for (let i = 0; i < s.x.length; i++) {
      include(s.x[i], s.y[i]);
      if (s.band !== undefined) {
        include(s.x[i], s.band.lo[i]);
        include(s.x[i], s.band.hi[i]);
      }
    }
    for (const m of s.markers ?? []) include(m.x, m.y);
  }
  const empty = !Number.isFinite(xMin);
  if (empty) {
    xMin = 0;
    xMax = 1;
    yMin = log ? 1 : 0;
    yMax = log ? 10 : 1;
  }
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax === yMin) {
    if (log) {
      yMin /= 2;
      yMax *= 2;
    } else {
      const pad = Math.abs(yMin) * 0.1 || 1;
      yMin -= pad;
      yMax += pad;
    }
  }
  const symlog = options.yScale === 'symlog';
  let yTicks: number[];
  if (symlog) {
    yTicks = symlogTicks(yMin, yMax);
    yMin = Math.min(yMin, yTicks[0]);
    yMax = Math.max(yMax, yTicks[yTicks.length - 1]);
  } else if (log) {
    // Pad the data range by 4% in log space, then label what falls inside.
    const span = Math.max(Math.log10(yMax) - Math.log10(yMin), 0.1);
    yMin = 10 ** (Math.log10(yMin) - span * 0.04);
    yMax = 10 ** (Math.log10(yMax) + span * 0.04);
    yTicks = logTicks(yMin, yMax);
  } else {
    yTicks = niceTicks(yMin, yMax, 5);
    yMin = Math.min(yMin, yTicks[0]);
    yMax = Math.max(yMax, yTicks[yTicks.length - 1]);
  }
  const xTicks = niceTicks(xMin, xMax, 6).filter((t) => t >= xMin - 1e-9 && t <= xMax + 1e-9);
  const ty = (v: number) => (log ? Math.log10(v) : symlog ? Math.sign(v) * Math.log10(1 + Math.abs(v)) : v);
  const sx = (v: number) => frame.left + ((v - xMin) / (xMax - xMin)) * frame.width;
  const sy = (v: number) => frame.top + frame.height - ((ty(v) - ty(yMin)) / (ty(yMax) - ty(yMin))) * frame.height;

  const out: string[] = [];
  out.push(
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(options.title)}">`,
    `<style>${STYLE}</style>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${px(frame.left)}" y="18" class="title">${escapeXml(options.title)}</text>`,
  );
  if (showLegend) out.push(legendSvg(entries, frame.left, 30 + 10, frame.width));
  out.push('<g class="grid">');
  for (const t of yTicks) {
    const y = sy(t);
    out.push(
      `<line x1="${px(frame.left)}" y1="${px(y)}" x2="${px(frame.left + frame.width)}" y2="${px(y)}" stroke="#e5e5e5"/>`,
      `<text x="${px(frame.left - 6)}" y="${px(y + 4)}" text-anchor="end" class="axis">${formatTick(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    const x = sx(t);
    out.push(
      `<line x1="${px(x)}" y1="${px(frame.top)}" x2="${px(x)}" y2="${px(frame.top + frame.height)}" stroke="#f0f0f0"/>`,
      `<text x="${px(x)}" y="${px(frame.top + frame.height + 16)}" text-anchor="middle" class="axis">${formatTick(t)}</text>`,
    );
  }
  out.push(
    '</g>',
    `<rect x="${px(frame.left)}" y="${px(frame.top)}" width="${px(frame.width)}" height="${px(frame.height)}" fill="none" stroke="#999"/>`,
    `<text x="${px(frame.left + frame.width / 2)}" y="${px(height - 8)}" text-anchor="middle" class="label">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(14 ${px(frame.top + frame.height / 2)}) rotate(-90)" text-anchor="middle" class="label">${escapeXml(options.yLabel)}${log ? ' (log scale)' : symlog ? ' (symmetric log scale)' : ''}</text>`,
  );
  const at = (x: number, y: number): [number, number] | null =>
    Number.isFinite(x) && drawable(y) ? [sx(x), sy(y)] : null;
  for (const s of options.series) {
    if (s.band === undefined) continue;
    const d = bandPath(s.x, s.band.lo, s.band.hi, at);
    if (d !== '')
      out.push(
        `<path class="band" data-label="${escapeXml(s.label)}" d="${d}" fill="${escapeXml(s.color)}" fill-opacity="0.18" stroke="none"/>`,
      );
  }
  for (const s of options.series) {
    const { x, y } = thin(s.x, s.y, 1500);
    const points = x.map((xi, i) => at(xi, y[i]));
    const single = points.filter((p) => p !== null).length === 1;
    out.push(
      `<path class="series" data-label="${escapeXml(s.label)}" d="${pathData(points) || 'M0,0'}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="${single ? 6 : 1.8}" stroke-linecap="round" stroke-linejoin="round"/>`,
    );
  }
  for (const s of options.series)
    for (const m of s.markers ?? []) {
      if (!Number.isFinite(m.x)) continue;
      const [cx, cy] = at(m.x, m.y) ?? [sx(m.x), frame.top + 6];
      out.push(markerSvg(s, m, cx, cy));
    }
  if (empty)
    out.push(
      `<text x="${px(frame.left + frame.width / 2)}" y="${px(frame.top + frame.height / 2)}" text-anchor="middle" class="label">no data${log ? ' above zero' : ''}</text>`,
    );
  out.push('</svg>');
  return out.join('');
}

/** A cross in the series' colour over a white halo, with its tooltip. */
function markerSvg(s: Series, m: Marker, cx: number, cy: number): string {
  const d = crossPath(cx, cy, 5);
  const title = m.title === undefined ? '' : `<title>${escapeXml(m.title)}</title>`;
  return `<g class="marker"><path d="${d}" stroke="#fff" stroke-width="5" fill="none"/><path class="diverged" data-label="${escapeXml(s.label)}" d="${d}" stroke="${escapeXml(s.color)}" stroke-width="2.5" fill="none"/>${title}</g>`;
}

/**
 * The line segments of the level-`level` contour of a grid of values (marching squares). `values`
 * holds `(nx + 1) * (ny + 1)` samples, row `j` (y index) by column `i`; segments are in grid units.
 *
 * @example
 * ```ts
 * // a 1x1 grid with one corner above the level: one segment across that corner
 * marchingSquares([0, 0, 0, 2], 1, 1, 1); // [[0.5, 1, 1, 0.5]]
 * ```
 */
export function marchingSquares(values: ArrayLike<number>, nx: number, ny: number, level: number): number[][] {
  const segments: number[][] = [];
  const at = (i: number, j: number) => values[j * (nx + 1) + i];
  const lerp = (a: number, b: number) => {
    const t = (level - a) / (b - a);
    return Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0.5;
  };
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) {
      const v0 = at(i, j);
      const v1 = at(i + 1, j);
      const v2 = at(i + 1, j + 1);
      const v3 = at(i, j + 1);
      if (![v0, v1, v2, v3].every(Number.isFinite)) continue;
      const c = (v0 > level ? 1 : 0) | (v1 > level ? 2 : 0) | (v2 > level ? 4 : 0) | (v3 > level ? 8 : 0);
      if (c === 0 || c === 15) continue;
      // Edge crossing points: bottom (0-1), right (1-2), top (3-2), left (0-3).
      const bottom = [i + lerp(v0, v1), j];
      const right = [i + 1, j + lerp(v1, v2)];
      const top = [i + lerp(v3, v2), j + 1];
      const left = [i, j + lerp(v0, v3)];
      const seg = (a: number[], b: number[]) => segments.push([a[0], a[1], b[0], b[1]]);
      const centre = (v0 + v1 + v2 + v3) / 4 > level;
      switch (c) {
        case 1:
        case 14:
          seg(left, bottom);
          break;
        case 2:
        case 13:
          seg(bottom, right);
          break;
        case 3:
        case 12:
          seg(left, right);
          break;
        case 4:
        case 11:
          seg(right, top);
          break;
        case 6:
        case 9:
          seg(bottom, top);
          break;
        case 7:
        case 8:
          seg(left, top);
          break;
        case 5:
          if (centre) {
            seg(left, top);
            seg(bottom, right);
          } else {
            seg(left, bottom);
            seg(right, top);
          }
          break;
        case 10:
          if (centre) {
            seg(left, bottom);
            seg(right, top);
          } else {
            seg(bottom, right);
            seg(left, top);
          }
          break;
      }
    }
  return segments;
}

/**
 * `count` levels spaced evenly in log scale between `lo` and `hi` (both > 0).
 *
 * @example
 * ```ts
 * logLevels(1, 1000, 4); // [1, 10, 100, 1000]
 * ```
 */
export function logLevels(lo: number, hi: number, count: number): number[] {
  const a = Math.log(lo);
  const b = Math.log(hi);
  return Array.from({ length: count }, (_, k) => Math.exp(a + ((b - a) * k) / Math.max(1, count - 1)));
}

/**
 * Contour levels of a function whose samples range over `[lo, hi]`: log-spaced above the minimum
 * (`lo + 10^k`-like, so that the levels crowd toward the bottom of a valley), or, for a function of
 * both signs, spaced evenly in a symmetric log of the value (so that a saddle's two sides show alike).
 *
 * @example
 * ```ts
 * contourLevels(0, 100, 3); // [0.01, 1, 100] (approximately)
 * ```
 */
export function contourLevels(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  if (lo < 0 && hi > 0) {
    const c = Math.max(-lo, hi) * 1e-4;
    const f = (v: number) => Math.sign(v) * Math.log10(1 + Math.abs(v) / c);
    const g = (u: number) => Math.sign(u) * c * (10 ** Math.abs(u) - 1);
    const a = f(lo);
    const b = f(hi);
    return Array.from({ length: count }, (_, k) => g(a + ((b - a) * (k + 1)) / (count + 1)));
  }
  const range = hi - lo;
  return logLevels(range * 1e-3, range, count).map((v) => lo + v);
}

/** A light-to-mid cool grey ramp for the filled levels: low values light, so coloured trajectories stand out. */
function fillColor(t: number): string {
  const from = [252, 252, 250];
  const to = [158, 165, 176];
  const c = from.map((f, k) => Math.round(f + (to[k] - f) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/**
 * A contour plot of a 2-D function as an inline `<svg>`: the function sampled on a grid, each cell
 * filled by its log-spaced level (runs of equal cells merged into one rectangle), isolines by
 * marching squares, the minima marked with a cross, and one `<path class="series">` per trajectory
 * from a circle (start) to a square (end), clipped to the plot.
 *
 * @example
 * ```ts
 * const svg = contourChart({
 *   title: 'Rosenbrock', f: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
 *   bounds: [[-2, 2], [-1, 3]], minima: [[1, 1]],
 *   series: [{ label: 'adam', color: PALETTE[0], x: [-1.5, -1.2, 0.9], y: [2, 1.5, 0.8] }],
 * });
 * ```
 */
export function contourChart(options: ContourChartOptions): string {
  const n = options.resolution ?? 100;
  const levelCount = options.levels ?? 14;
  const size = options.size ?? 520;
  const showLegend = options.legend ?? true;
  const [[x0, x1], [y0, y1]] = options.bounds;
  const aspect = (y1 - y0) / (x1 - x0);
  const plotW = aspect > 1 ? size / aspect : size;
  const plotH = aspect > 1 ? size : size * aspect;
  const entries = legendEntries(options.series, undefined);
  const legendHeight = showLegend ? legendRows(entries, plotW) * 16 + 6 : 0;
  const frame: Frame = { left: 52, top: 30 + legendHeight, width: plotW, height: plotH };
  const width = Math.max(frame.left + plotW + 20, 360);
  const height = frame.top + plotH + 44;
  const sx = (v: number) => frame.left + ((v - x0) / (x1 - x0)) * frame.width;
  const sy = (v: number) => frame.top + frame.height - ((v - y0) / (y1 - y0)) * frame.height;

  // Sample at cell corners.
  const values = new Float64Array((n + 1) * (n + 1));
  if (options.values !== undefined && options.values.length !== values.length)
    throw new ValueError(
      `contourChart: values must hold (resolution + 1)² = ${values.length} samples, got ${options.values.length}`,
    );
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = 0; j <= n; j++)
    for (let i = 0; i <= n; i++) {
      const k = j * (n + 1) + i;
      const v =
        options.values !== undefined
          ? options.values[k]
          : (options.f?.(x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * j) / n) ?? Number.NaN);
      values[k] = v;
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  const levels = contourLevels(lo, hi, levelCount);
  const levelOf = (v: number) => {
    let k = 0;
    while (k < levels.length && v > levels[k]) k++;
    return k;
  };

  const out: string[] = [];
  const clipId = `clip-${Math.abs(hash(options.title + options.series.map((s) => s.label).join('|')))}`;
  out.push(
    `<svg class="chart contour" viewBox="0 0 ${px(width)} ${px(height)}" width="${px(width)}" height="${px(height)}" role="img" aria-label="${escapeXml(options.title)}">`,
    `<style>${STYLE}</style>`,
    `<rect x="0" y="0" width="${px(width)}" height="${px(height)}" fill="#fff"/>`,
    `<text x="${px(frame.left)}" y="18" class="title">${escapeXml(options.title)}</text>`,
    `<defs><clipPath id="${clipId}"><rect x="${px(frame.left)}" y="${px(frame.top)}" width="${px(frame.width)}" height="${px(frame.height)}"/></clipPath></defs>`,
  );
  if (showLegend) out.push(legendSvg(entries, frame.left, 40, plotW));

  // Filled cells: the level of each cell's centre (mean of its corners), runs merged per row.
  const cw = frame.width / n;
  const ch = frame.height / n;
  out.push('<g class="cells" shape-rendering="crispEdges">');
  for (let j = 0; j < n; j++) {
    let runStart = 0;
    let runLevel = -1;
    for (let i = 0; i <= n; i++) {
      let level = -2;
      if (i < n) {
        const k = j * (n + 1) + i;
        const c = (values[k] + values[k + 1] + values[k + n + 1] + values[k + n + 2]) / 4;
        level = Number.isFinite(c) ? levelOf(c) : -1;
      }
      if (level !== runLevel) {
        if (i > 0 && runLevel >= 0)
          out.push(
            `<rect x="${px(frame.left + runStart * cw)}" y="${px(frame.top + frame.height - (j + 1) * ch)}" width="${px((i - runStart) * cw + 0.5)}" height="${px(ch + 0.5)}" fill="${fillColor(runLevel / levels.length)}"/>`,
          );
        runStart = i;
        runLevel = level;
      }
    }
  }
  out.push('</g><g class="isolines" fill="none" stroke="#4d5b6b" stroke-opacity="0.35" stroke-width="0.7">');
  for (const level of levels) {
    const segs = marchingSquares(values, n, n, level);
    if (segs.length === 0) continue;
    const d = segs
      .map(
        ([a, b, c, e]) =>
          `M${px(frame.left + a * cw)},${px(frame.top + frame.height - b * ch)}L${px(frame.left + c * cw)},${px(frame.top + frame.height - e * ch)}`,
      )
      .join('');
    out.push(`<path class="isoline" d="${d}"/>`);
  }
  out.push('</g>');

  // Axes.
  const xTicks = niceTicks(x0, x1, 5).filter((t) => t >= x0 - 1e-9 && t <= x1 + 1e-9);
  const yTicks = niceTicks(y0, y1, 5).filter((t) => t >= y0 - 1e-9 && t <= y1 + 1e-9);
  out.push('<g class="axes">');
  for (const t of xTicks)
    out.push(
      `<line x1="${px(sx(t))}" y1="${px(frame.top + frame.height)}" x2="${px(sx(t))}" y2="${px(frame.top + frame.height + 4)}" stroke="#777"/>`,
      `<text x="${px(sx(t))}" y="${px(frame.top + frame.height + 16)}" text-anchor="middle" class="axis">${formatTick(t)}</text>`,
    );
  for (const t of yTicks)
    out.push(
      `<line x1="${px(frame.left - 4)}" y1="${px(sy(t))}" x2="${px(frame.left)}" y2="${px(sy(t))}" stroke="#777"/>`,
      `<text x="${px(frame.left - 6)}" y="${px(sy(t) + 4)}" text-anchor="end" class="axis">${formatTick(t)}</text>`,
    );
  out.push(
    '</g>',
    `<rect x="${px(frame.left)}" y="${px(frame.top)}" width="${px(frame.width)}" height="${px(frame.height)}" fill="none" stroke="#999"/>`,
    `<text x="${px(frame.left + frame.width / 2)}" y="${px(height - 8)}" text-anchor="middle" class="label">x</text>`,
    `<text transform="translate(14 ${px(frame.top + frame.height / 2)}) rotate(-90)" text-anchor="middle" class="label">y</text>`,
  );

  // Trajectories (clipped) with their start and end markers, then the minima on top.
  out.push(`<g clip-path="url(#${clipId})">`);
  for (const s of options.series) {
    const { x, y } = thin(s.x, s.y, 3000);
    const points = x.map((xi, i) =>
      Number.isFinite(xi) && Number.isFinite(y[i]) ? ([sx(xi), sy(y[i])] as [number, number]) : null,
    );
    const color = escapeXml(s.color);
    out.push(
      `<path class="series" data-label="${escapeXml(s.label)}" d="${pathData(points) || 'M0,0'}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" stroke-opacity="0.9"/>`,
    );
    const finite = points.filter((p): p is [number, number] => p !== null);
    if (finite.length > 0) {
      const [ax, ay] = finite[0];
      const [bx, by] = finite[finite.length - 1];
      out.push(
        `<circle cx="${px(ax)}" cy="${px(ay)}" r="4" fill="#fff" stroke="${color}" stroke-width="2"/>`,
        `<rect x="${px(bx - 4)}" y="${px(by - 4)}" width="8" height="8" fill="${color}" stroke="#fff" stroke-width="1"/>`,
      );
    }
    for (const m of s.markers ?? [])
      if (Number.isFinite(m.x) && Number.isFinite(m.y)) out.push(markerSvg(s, m, sx(m.x), sy(m.y)));
  }
  out.push('</g>');
  for (const [mx, my] of options.minima ?? []) {
    if (mx < x0 || mx > x1 || my < y0 || my > y1) continue;
    const [cx, cy] = [sx(mx), sy(my)];
    const cross = `M${px(cx - 6)},${px(cy - 6)}L${px(cx + 6)},${px(cy + 6)}M${px(cx - 6)},${px(cy + 6)}L${px(cx + 6)},${px(cy - 6)}`;
    out.push(
      `<g class="minimum" fill="none"><path class="marker" d="${cross}" stroke="#fff" stroke-width="4"/><path class="marker" d="${cross}" stroke="#222" stroke-width="2"/></g>`,
    );
  }
  out.push('</svg>');
  return out.join('');
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}
