// Line charts (linear, log or symmetric log y; linear or log x), with bands, markers, crosses, rings
// and the points beyond a robust y range clipped to its edge.

import {
  clipPath,
  escapeXml,
  type Frame,
  legendEntries,
  legendRows,
  legendSvg,
  markerSvg,
  pathData,
  ringSvg,
  type Series,
  STYLE,
  thin,
} from './svg';
import { formatTick, logTicks, niceTicks, padLog, symlogTicks } from './svg-axes';
import { robustRange } from './svg-range';
import { markerShapeSvg, px, seriesStyle } from './svg-style';

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
