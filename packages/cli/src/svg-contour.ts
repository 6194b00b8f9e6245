// Contour plots of 2-D functions with the paths of optimizers over them: the function sampled on a grid,
// filled levels, isolines by marching squares, and the trajectories.
import { ValueError } from '@nablajs/core';
import {
  escapeXml,
  type Frame,
  legendEntries,
  legendRows,
  legendSvg,
  markerSvg,
  pathData,
  type Series,
  STYLE,
  thin,
} from './svg';
import { formatTick, niceTicks } from './svg-axes';
import { px, seriesStyle } from './svg-style';

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

/**
 * The line segments of the level-`level` contour of a grid of values (marching squares). `values`
 * holds `(nx + 1) * (ny + 1)` samples, row `j` (y index) by column `i`; segments are in grid units.
 *
 * @example
 * ```ts
 * // a 1x1 grid with one corner above the level: one segment across that corner
 * marchingSquares([0, 0, 0, 2], 1, 1, 1); // [[1, 0.5, 0.5, 1]]: x1, y1, x2, y2, from the right edge to the top
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
 * contourLevels(0, 100, 3); // [0.1, 3.162, 100] (to rounding)
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
