// A small SVG plotting module: line charts (linear, log or symmetric log y; linear or log x) and contour
// plots with trajectories. Output is plain inline SVG (no xmlns, no fonts, no scripts), so reports stay
// self-contained.
import { ValueError } from '@nablajs/core';
import { robustRange } from './svg-range';
import { markerShapeSvg, px, seriesStyle } from './svg-style';

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
  /**
   * y, in data coordinates; a value the axis cannot show (NaN, infinite, <= 0 on a log axis) puts the
   * cross at the top edge (9 px lower for each series before it in the chart).
   */
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
  /** Points marked with a ring (`<g class="chosen">`): the chosen setting of a tuning search. */
  highlights?: readonly Marker[];
  /** The index of the series' dash pattern and marker shape (see {@link seriesStyle}); default: its position in the chart. */
  style?: number;
  /** Draw the series' marker at every point instead of a few along the line (a curve of a few measured points). */
  everyPoint?: boolean;
  /** Draw the line (default true); false leaves the points only (their markers, crosses and rings). */
  line?: boolean;
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
  /** The x axis: `linear` (default) or `log` (log10; values <= 0 are left out). */
  xScale?: 'linear' | 'log';
  /**
   * Fit the y axis to the bulk of the values and clip the few far outside to its edge (default true;
   * see {@link robustRange}); false fits it to every value.
   */
  robust?: boolean;
  /** A fixed y range `[lo, hi]` (linear axes), e.g. `[0, 1]` for fractions; the data then never widen it. */
  yDomain?: [number, number];
  /** The legend's label of the rings of {@link Series.highlights} (default `chosen`). */
  highlightLabel?: string;
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

/**
 * An entry of a chart's legend: a series (its line with its dash pattern, and its marker shape when the
 * chart draws markers), a symbol (`cross`: diverged, `clip`: clipped at the edge, `ring`: chosen), or
 * a note.
 */
type LegendEntry =
  | { kind: 'line'; color: string; label: string; style: number; marker: boolean }
  | { kind: 'cross' | 'clip' | 'ring'; color: string; label: string }
  | { kind: 'text'; label: string };

/** The legend of a chart: every series, then the symbols it uses, then the note. */
function legendEntries(
  series: readonly Series[],
  options: { note?: string; markers: boolean; clipped?: boolean; highlightLabel?: string },
): LegendEntry[] {
  const entries: LegendEntry[] = series.map((s, i) => ({
    kind: 'line',
    color: s.color,
    label: s.label,
    style: s.style ?? i,
    marker: options.markers,
  }));
  if (series.some((s) => (s.markers?.length ?? 0) > 0))
    entries.push({ kind: 'cross', color: '#333', label: 'diverged' });
  if (series.some((s) => (s.highlights?.length ?? 0) > 0))
    entries.push({ kind: 'ring', color: '#333', label: options.highlightLabel ?? 'chosen' });
  if (options.clipped) entries.push({ kind: 'clip', color: '#999', label: 'beyond the axis (clipped)' });
  if (options.note !== undefined && options.note !== '') entries.push({ kind: 'text', label: options.note });
  return entries;
}

function entryWidth(entry: LegendEntry): number {
  const chars = entry.kind === 'text' ? entry.label.length : Math.min(entry.label.length, 40);
  return (entry.kind === 'text' ? 0 : 30) + chars * (entry.kind === 'text' ? 6 : 7);
}

function crossPath(cx: number, cy: number, r: number): string {
  return `M${px(cx - r)},${px(cy - r)}L${px(cx + r)},${px(cy + r)}M${px(cx - r)},${px(cy + r)}L${px(cx + r)},${px(cy - r)}`;
}

/** A triangle with its tip at `(cx, edge)`, pointing out of the plot: up at the top edge (`side` 1), down at the bottom (-1). */
function clipPath(cx: number, edge: number, side: number): string {
  const base = edge + side * 7;
  return `M${px(cx)},${px(edge)}L${px(cx + 4.5)},${px(base)}L${px(cx - 4.5)},${px(base)}Z`;
}

/** The ring drawn around a highlighted point (the chosen setting). */
function ringSvg(cx: number, cy: number, color: string): string {
  return `<circle cx="${px(cx)}" cy="${px(cy)}" r="7.5" fill="none" stroke="#222" stroke-width="3"/><circle cx="${px(cx)}" cy="${px(cy)}" r="7.5" fill="none" stroke="${color}" stroke-width="1.6"/>`;
}

function legendSymbol(entry: Exclude<LegendEntry, { kind: 'text' }>, cx: number, cy: number): string {
  const color = escapeXml(entry.color);
  switch (entry.kind) {
    case 'line': {
      const { dash, shape } = seriesStyle(entry.style);
      return `<line x1="${px(cx)}" y1="${px(cy)}" x2="${px(cx + 24)}" y2="${px(cy)}" stroke="${color}" stroke-width="2.2" stroke-linecap="round"${dash === '' ? '' : ` stroke-dasharray="${dash}"`}/>${
        entry.marker ? markerShapeSvg(shape, cx + 12, cy, 3.5, color) : ''
      }`;
    }
    case 'cross':
      return `<path d="${crossPath(cx + 12, cy, 4)}" stroke="${color}" stroke-width="2" fill="none"/>`;
    case 'clip':
      return `<path d="${clipPath(cx + 12, cy - 4, 1)}" fill="${color}" stroke="#222" stroke-width="0.8"/>`;
    case 'ring':
      return ringSvg(cx + 12, cy, color).replace(/r="7.5"/g, 'r="5"');
  }
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
        legendSymbol(entry, cx, cy - 4),
        `<text x="${px(cx + 29)}" y="${px(cy)}" class="legend">${escapeXml(entry.label.length > 40 ? `${entry.label.slice(0, 39)}…` : entry.label)}</text>`,
      );
    }
    cx += w + 12;
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
    cx += w + 12;
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

/**
 * The stylesheet inside every chart's `<svg>` (fonts and sizes of the title, axes, labels and legend).
 * A `<style>` inside inline SVG applies to the whole HTML page, so every selector is scoped to `svg.chart`.
 *
 * @example
 * ```ts
 * `<svg class="chart" ...><style>${STYLE}</style>...</svg>`;
 * ```
 */
export const STYLE =
  'svg.chart text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;fill:#333}' +
  'svg.chart .title{font-size:14px;font-weight:600}svg.chart .axis{font-size:11px;fill:#555}' +
  'svg.chart .label{font-size:12px}svg.chart .legend{font-size:11px}';

/**
 * A line chart and how many of its points lie beyond its y axis.
 *
 * @example
 * ```ts
 * const { svg, clipped }: LineChartFigure = lineChartFigure(options);
 * ```
 */
export interface LineChartFigure {
  /** The `<svg>` markup. */
  svg: string;
  /** The points of the lines that lie beyond the y axis and are drawn clipped to its edge (0 when none). */
  clipped: number;
}

/** The symmetric log of {@link LineChartOptions.yScale}: `sign(v) log10(1 + |v|)`. */
function symlogOf(v: number): number {
  return Math.sign(v) * Math.log10(1 + Math.abs(v));
}

/**
 * Where a series' markers go: `count` points spread evenly along the plot's width, shifted by the
 * series' position (`phase` in [0, 1)) so that the markers of lines that coincide do not cover each
 * other, each at the line's height there (interpolated between its drawn points, never at a clipped one).
 */
function markerPoints(
  points: readonly ({ p: [number, number]; side: number } | null)[],
  frame: Frame,
  count: number,
  phase: number,
): [number, number][] {
  const out: [number, number][] = [];
  for (let j = 0; j < count; j++) {
    const target = frame.left + (frame.width * (j + phase)) / count;
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i];
      const b = points[i + 1];
      if (a === null || b === null || a.side !== 0 || b.side !== 0) continue;
      const [ax, ay] = a.p;
      const [bx, by] = b.p;
      if (target < Math.min(ax, bx) || target > Math.max(ax, bx)) continue;
      const t = bx === ax ? 0 : (target - ax) / (bx - ax);
      out.push([ax + t * (bx - ax), ay + t * (by - ay)]);
      break;
    }
  }
  const drawn = points.filter((q) => q !== null && q.side === 0);
  if (out.length === 0 && drawn.length === 1) out.push(drawn[0]!.p);
  return out;
}

/**
 * A line chart as an inline `<svg>`: axes with ticks and grid, one `<path class="series">` per
 * series (so a chart of k optimizers holds exactly k series paths), each with its colour, its dash
 * pattern and a few markers of its shape along it (see {@link seriesStyle}; the position in the chart by
 * default), so that lines that coincide stay apart; behind it the series' band as a `<path class="band">`
 * when it has one, its markers as crosses (`<path class="diverged">`), its highlights as rings
 * (`<g class="chosen">`), and an optional legend (every series with its dash and marker, a `diverged`
 * entry when there are crosses, the legend note).
 *
 * The y range is robust (see {@link robustRange}, in log space on a log axis): the bulk of the lines,
 * bands and markers sets it, and a few points far outside, such as one spike, are drawn clipped to
 * its edge with a triangle pointing out (`<path class="clipped">`, with the value as its tooltip)
 * instead of squashing the axis; the legend then says so. Long series are thinned to about 1,500
 * drawn points, keeping each bucket's extremes.
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
  return lineChartFigure(options).svg;
}

/**
 * {@link lineChart}, with the number of points it clipped at the edge of its y axis (for a caption).
 *
 * @example
 * ```ts
 * const { svg, clipped } = lineChartFigure({ title: 'f', xLabel: 'step', yLabel: 'f', yScale: 'log', series });
 * const caption = clipped > 0 ? 'Triangles mark points beyond the axis.' : '';
 * ```
 */
export function lineChartFigure(options: LineChartOptions): LineChartFigure {
  const width = options.width ?? 560;
  const height = options.height ?? 320;
  const log = options.yScale === 'log';
  const symlog = options.yScale === 'symlog';
  const xLog = options.xScale === 'log';
  const showLegend = options.legend ?? true;
  const ty = (v: number) => (log ? Math.log10(v) : symlog ? symlogOf(v) : v);
  const fromTy = (u: number) => (log ? 10 ** u : symlog ? Math.sign(u) * (10 ** Math.abs(u) - 1) : u);
  const tx = (v: number) => (xLog ? Math.log10(v) : v);
  const drawable = (v: number) => Number.isFinite(v) && (!log || v > 0);
  const drawableX = (v: number) => Number.isFinite(v) && (!xLog || v > 0);

  // The data range: x over every drawable point, y robust over the lines, bands, crosses and rings.
  let xMin = Infinity;
  let xMax = -Infinity;
  const ys: number[] = [];
  const include = (x: number, y: number, always = false) => {
    if (!drawableX(x) || !(always || drawable(y))) return;
    xMin = Math.min(xMin, x);
    xMax = Math.max(xMax, x);
    if (drawable(y)) ys.push(ty(y));
  };
  for (const s of options.series) {
    for (let i = 0; i < s.x.length; i++) {
      include(s.x[i], s.y[i]);
      if (s.band !== undefined) {
        include(s.x[i], s.band.lo[i]);
        include(s.x[i], s.band.hi[i]);
      }
    }
    // A cross whose y the axis cannot show goes at the top edge, so its x still counts.
    for (const m of s.markers ?? []) include(m.x, m.y, true);
    for (const h of s.highlights ?? []) include(h.x, h.y);
  }
  const range = options.robust === false ? null : robustRange(ys);
  let yMin = fromTy(range?.lo ?? Math.min(...ys));
  let yMax = fromTy(range?.hi ?? Math.max(...ys));
  const empty = ys.length === 0;
  if (!Number.isFinite(xMin)) {
    xMin = xLog ? 1 : 0;
    xMax = xLog ? 10 : 1;
  }
  if (empty) {
    yMin = log ? 1 : 0;
    yMax = log ? 10 : 1;
  }
  if (xMax === xMin) {
    xMin = xLog ? xMin / 2 : xMin;
    xMax = xLog ? xMax * 2 : xMin + 1;
  }
  if (options.yDomain !== undefined && !log) [yMin, yMax] = options.yDomain;
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
  let yTicks: number[];
  if (symlog) {
    yTicks = symlogTicks(yMin, yMax);
    yMin = Math.min(yMin, yTicks[0]);
    yMax = Math.max(yMax, yTicks[yTicks.length - 1]);
  } else if (log) {
    // Pad the data range by 4% in log space, then label what falls inside.
    [yMin, yMax] = padLog(yMin, yMax);
    yTicks = logTicks(yMin, yMax);
  } else {
    yTicks = niceTicks(yMin, yMax, 5);
    yMin = Math.min(yMin, yTicks[0]);
    yMax = Math.max(yMax, yTicks[yTicks.length - 1]);
  }
  let xTicks: number[];
  if (xLog) {
    [xMin, xMax] = padLog(xMin, xMax);
    xTicks = logTicks(xMin, xMax);
  } else xTicks = niceTicks(xMin, xMax, 6).filter((t) => t >= xMin - 1e-9 && t <= xMax + 1e-9);

  // Which side of the axis a value lies beyond: 1 above, -1 below, 0 on it.
  const top = ty(yMax);
  const bottom = ty(yMin);
  const slack = (top - bottom) * 1e-9;
  const sideOf = (v: number) => (ty(v) > top + slack ? 1 : ty(v) < bottom - slack ? -1 : 0);
  let clipped = 0;
  if (!empty)
    for (const s of options.series)
      for (let i = 0; i < s.x.length; i++) if (drawableX(s.x[i]) && drawable(s.y[i]) && sideOf(s.y[i]) !== 0) clipped++;

  const entries = legendEntries(options.series, {
    note: options.legendNote,
    markers: true,
    clipped: clipped > 0,
    highlightLabel: options.highlightLabel,
  });
  const legendHeight = showLegend ? legendRows(entries, width - 78) * 16 + 6 : 0;
  const frame: Frame = {
    left: 62,
    top: 30 + legendHeight,
    width: width - 62 - 16,
    height: height - 30 - legendHeight - 44,
  };
  const sx = (v: number) => frame.left + ((tx(v) - tx(xMin)) / (tx(xMax) - tx(xMin))) * frame.width;
  const sy = (v: number) => frame.top + frame.height - ((ty(v) - bottom) / (top - bottom)) * frame.height;
  /** A point in plot coordinates, its y clamped to the frame, and the side it was clipped at; null when it cannot be drawn. */
  const place = (x: number, y: number): { p: [number, number]; side: number } | null => {
    if (!drawableX(x) || !drawable(y)) return null;
    const side = sideOf(y);
    const cy = side > 0 ? frame.top : side < 0 ? frame.top + frame.height : sy(y);
    return { p: [sx(x), cy], side };
  };
  const at = (x: number, y: number) => place(x, y)?.p ?? null;

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
    `<text x="${px(frame.left + frame.width / 2)}" y="${px(height - 8)}" text-anchor="middle" class="label">${escapeXml(options.xLabel)}${xLog ? ' (log scale)' : ''}</text>`,
    `<text transform="translate(14 ${px(frame.top + frame.height / 2)}) rotate(-90)" text-anchor="middle" class="label">${escapeXml(options.yLabel)}${log ? ' (log scale)' : symlog ? ' (symmetric log scale)' : ''}</text>`,
  );
  for (const s of options.series) {
    if (s.band === undefined || s.line === false) continue;
    const d = bandPath(s.x, s.band.lo, s.band.hi, at);
    if (d !== '')
      out.push(
        `<path class="band" data-label="${escapeXml(s.label)}" d="${d}" fill="${escapeXml(s.color)}" fill-opacity="0.18" stroke="none"/>`,
      );
  }
  const markerCount = Math.max(2, Math.round(frame.width / 90));
  const overlays: string[] = [];
  options.series.forEach((s, index) => {
    const { dash, shape } = seriesStyle(s.style ?? index);
    const color = escapeXml(s.color);
    const label = escapeXml(s.label);
    const { x, y } = thin(s.x, s.y, 1500);
    const placed = x.map((xi, i) => place(xi, y[i]));
    const points = placed.map((q) => q?.p ?? null);
    const single = points.filter((p) => p !== null).length === 1;
    const stroke = s.line === false ? 'none' : color;
    out.push(
      `<path class="series" data-label="${label}" d="${pathData(points) || 'M0,0'}" fill="none" stroke="${stroke}" stroke-width="${single ? 6 : 1.8}" stroke-linecap="round" stroke-linejoin="round"${dash === '' || single ? '' : ` stroke-dasharray="${dash}"`}/>`,
    );
    const marks = s.everyPoint
      ? placed.flatMap((q) => (q !== null && q.side === 0 ? [q.p] : []))
      : markerPoints(placed, frame, markerCount, (index + 0.5) / Math.max(1, options.series.length));
    if (marks.length > 0)
      out.push(
        `<g class="series-marker" data-label="${label}">${marks.map(([mx, my]) => markerShapeSvg(shape, mx, my, 3.5, color)).join('')}</g>`,
      );
    // One triangle per run of clipped points, at the farthest of the run.
    let run: { i: number; side: number } | null = null;
    const flush = () => {
      if (run === null) return;
      const [cx, cy] = placed[run.i]!.p;
      const where = Number.isInteger(x[run.i]) ? String(x[run.i]) : formatTick(x[run.i]);
      const title = `${s.label}: ${formatTick(y[run.i])} at ${options.xLabel} ${where}, beyond the axis`;
      overlays.push(
        `<path class="clipped" data-label="${label}" d="${clipPath(cx, cy, run.side > 0 ? 1 : -1)}" fill="${color}" stroke="#222" stroke-width="0.8"><title>${escapeXml(title)}</title></path>`,
      );
      run = null;
    };
    placed.forEach((q, i) => {
      if (q === null || q.side === 0 || (run !== null && run.side !== q.side)) flush();
      if (q === null || q.side === 0) return;
      if (run === null || ty(y[i]) * q.side > ty(y[run.i]) * q.side) run = { i, side: q.side };
    });
    flush();
  });
  out.push(...overlays);
  // A cross whose y the axis cannot show goes at the top edge, each series a little lower than the one
  // before, so that the crosses of several series at the same x stay apart.
  options.series.forEach((s, index) => {
    for (const m of s.markers ?? []) {
      if (!drawableX(m.x)) continue;
      const [cx, cy] = at(m.x, m.y) ?? [sx(m.x), frame.top + 6 + 9 * index];
      out.push(markerSvg(s, m, cx, cy));
    }
  });
  for (const s of options.series)
    for (const h of s.highlights ?? []) {
      const p = at(h.x, h.y);
      if (p === null) continue;
      const title = h.title === undefined ? '' : `<title>${escapeXml(h.title)}</title>`;
      out.push(
        `<g class="chosen" data-label="${escapeXml(s.label)}">${ringSvg(p[0], p[1], escapeXml(s.color))}${title}</g>`,
      );
    }
  if (empty)
    out.push(
      `<text x="${px(frame.left + frame.width / 2)}" y="${px(frame.top + frame.height / 2)}" text-anchor="middle" class="label">no data${log ? ' above zero' : ''}</text>`,
    );
  out.push('</svg>');
  return { svg: out.join(''), clipped };
}

/** `[lo, hi]` (both > 0) padded by 4% of its span in log space (at least 0.1 decades). */
function padLog(lo: number, hi: number): [number, number] {
  const span = Math.max(Math.log10(hi) - Math.log10(lo), 0.1);
  return [10 ** (Math.log10(lo) - span * 0.04), 10 ** (Math.log10(hi) + span * 0.04)];
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
  const entries = legendEntries(options.series, { markers: false });
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
  options.series.forEach((s, index) => {
    const { dash } = seriesStyle(s.style ?? index);
    const { x, y } = thin(s.x, s.y, 3000);
    const points = x.map((xi, i) =>
      Number.isFinite(xi) && Number.isFinite(y[i]) ? ([sx(xi), sy(y[i])] as [number, number]) : null,
    );
    const color = escapeXml(s.color);
    out.push(
      `<path class="series" data-label="${escapeXml(s.label)}" d="${pathData(points) || 'M0,0'}" fill="none" stroke="${color}" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" stroke-opacity="0.9"${dash === '' ? '' : ` stroke-dasharray="${dash}"`}/>`,
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
  });
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
