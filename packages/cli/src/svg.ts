// The shared pieces of the SVG plotting module (line charts in svg-line-chart.ts, contour plots in
// svg-contour.ts): the palette, the series, escaping, thinning, paths and the legend. Output is plain
// inline SVG (no xmlns, no fonts, no scripts), so reports stay self-contained.
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

/** The plot area of a chart, in pixels from the top left corner of its `<svg>`. */
export interface Frame {
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

/** Keep at most `max` points of a long series: per bucket, its first, lowest and highest points. */
export function thin(x: readonly number[], y: readonly number[], max: number): { x: number[]; y: number[] } {
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
export function pathData(points: readonly ([number, number] | null)[]): string {
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

/** The `d` attribute of a cross of half-width `r` centred on `(cx, cy)`. */
export function crossPath(cx: number, cy: number, r: number): string {
  return `M${px(cx - r)},${px(cy - r)}L${px(cx + r)},${px(cy + r)}M${px(cx - r)},${px(cy + r)}L${px(cx + r)},${px(cy - r)}`;
}

/** A triangle with its tip at `(cx, edge)`, pointing out of the plot: up at the top edge (`side` 1), down at the bottom (-1). */
export function clipPath(cx: number, edge: number, side: number): string {
  const base = edge + side * 7;
  return `M${px(cx)},${px(edge)}L${px(cx + 4.5)},${px(base)}L${px(cx - 4.5)},${px(base)}Z`;
}

/** The ring drawn around a highlighted point (the chosen setting). */
export function ringSvg(cx: number, cy: number, color: string): string {
  return `<circle cx="${px(cx)}" cy="${px(cy)}" r="7.5" fill="none" stroke="#222" stroke-width="3"/><circle cx="${px(cx)}" cy="${px(cy)}" r="7.5" fill="none" stroke="${color}" stroke-width="1.6"/>`;
}

/** A cross in the series' colour over a white halo, with its tooltip. */
export function markerSvg(s: Series, m: Marker, cx: number, cy: number): string {
  const d = crossPath(cx, cy, 5);
  const title = m.title === undefined ? '' : `<title>${escapeXml(m.title)}</title>`;
  return `<g class="marker"><path d="${d}" stroke="#fff" stroke-width="5" fill="none"/><path class="diverged" data-label="${escapeXml(s.label)}" d="${d}" stroke="${escapeXml(s.color)}" stroke-width="2.5" fill="none"/>${title}</g>`;
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
export function legendEntries(
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

/** The legend as a `<g class="legend">`, its entries in rows from `(x, y)` that wrap at `width`. */
export function legendSvg(entries: readonly LegendEntry[], x: number, y: number, width: number): string {
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

/** The number of rows {@link legendSvg} takes for `entries` in `width` pixels. */
export function legendRows(entries: readonly LegendEntry[], width: number): number {
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
