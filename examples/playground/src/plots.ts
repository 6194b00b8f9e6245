// The plots, drawn as SVG so that every part (axes, ticks, bands, markers) is an element the browser test can
// find: curves of the median over the seeds with an interquartile band, a contour map with the trajectories,
// and one decision map per optimizer. Only the rasters (the contour fill, the decision map) are images.

/** The colors of the racers, in order: saturated, for lines, borders and swatches. */
export const PALETTE = ['#e4572e', '#1f77b4', '#2ca02c', '#9467bd', '#f0a202', '#17becf', '#d62780', '#7f7f7f'];

/** The dash pattern of racer i's curve (besides its color), so that coinciding curves stay apart. */
export const DASHES = ['', '7 3', '2 3', '10 3 2 3', '4 4', '12 4', '1 2', '6 2 2 2'];

/**
 * The class colors of the decision maps: pale fills for the regions (far from every color of the palette:
 * the racers' colors stay for lines) and neutral points told apart by their shape, hollow for class 0 and
 * filled for class 1.
 */
export const CLASS_COLORS = {
  fill: ['#f6e2c1', '#d3dcef'],
  point: ['#ffffff', '#333333'],
  stroke: '#333333',
} as const;

const SVG = 'http://www.w3.org/2000/svg';

/** A new SVG element with attributes. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number> = {},
  text?: string,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * A tick label: plain decimals from 0.1 to 9999 (`0.1`, `1`, `20`, `500`), powers of ten and their
 * multiples outside it as `1e-2`, `5e-3`, `1e4`, and never a fractional exponent.
 */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 0.1 && a < 1e4) return String(Number(v.toPrecision(6)));
  const [mantissa, exponent] = v.toExponential().split('e');
  return `${Number(Number(mantissa).toPrecision(6))}e${Number(exponent)}`;
}

/** About `count` round ticks (1, 2 or 5 times a power of ten apart) within `[lo, hi]`. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++)
    ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

/**
 * Ticks of a log axis over `[10^a, 10^b]`: powers of ten (every second, fifth, ... one when there are many
 * decades), with 2 and 5 times them when fewer than two powers fall inside, then every integer multiple.
 */
export function logTicks(a: number, b: number): number[] {
  const powers: number[] = [];
  for (let k = Math.ceil(a - 1e-9); k <= b + 1e-9; k++) powers.push(k);
  if (powers.length >= 2) {
    const stride = Math.ceil(powers.length / 7);
    return powers.filter((k) => k % stride === 0).map((k) => Number((10 ** k).toPrecision(12)));
  }
  for (const mantissas of [
    [1, 2, 5],
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  ]) {
    const ticks: number[] = [];
    for (let k = Math.floor(a) - 1; k <= Math.ceil(b); k++)
      for (const m of mantissas) {
        const v = Number((m * 10 ** k).toPrecision(12));
        if (Math.log10(v) >= a - 1e-9 && Math.log10(v) <= b + 1e-9) ticks.push(v);
      }
    if (ticks.length >= 2) return ticks;
  }
  return [Number((10 ** ((a + b) / 2)).toPrecision(2))];
}

/** The nearest value `m * 10^k` with m in {1, 2, 5} at or below (`down`) or at or above (`up`) positive `v`. */
export function round125(v: number, direction: 'down' | 'up'): number {
  const k = Math.floor(Math.log10(v));
  const candidates = [-1, 0, 1].flatMap((d) => [1, 2, 5].map((m) => Number((m * 10 ** (k + d)).toPrecision(12))));
  return direction === 'down'
    ? Math.max(...candidates.filter((c) => c <= v * (1 + 1e-12)))
    : Math.min(...candidates.filter((c) => c >= v * (1 - 1e-12)));
}

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Draw the frame, grid lines, ticks and axis labels of a plot into `root`; `x` and `y` map values to pixels. */
function axes(
  root: SVGSVGElement,
  box: Box,
  x: { ticks: number[]; map: (v: number) => number; label: string },
  y: { ticks: number[]; map: (v: number) => number; label: string },
): void {
  const g = svg('g', { class: 'axes' });
  g.append(svg('rect', { class: 'frame', x: box.left, y: box.top, width: box.width, height: box.height }));
  const bottom = box.top + box.height;
  for (const t of x.ticks) {
    const px = x.map(t);
    g.append(svg('line', { class: 'grid', x1: px, x2: px, y1: box.top, y2: bottom }));
    g.append(
      svg('text', { class: 'tick', 'data-axis': 'x', x: px, y: bottom + 12, 'text-anchor': 'middle' }, formatTick(t)),
    );
  }
  for (const t of y.ticks) {
    const py = y.map(t);
    g.append(svg('line', { class: 'grid', x1: box.left, x2: box.left + box.width, y1: py, y2: py }));
    g.append(
      svg('text', { class: 'tick', 'data-axis': 'y', x: box.left - 4, y: py + 3, 'text-anchor': 'end' }, formatTick(t)),
    );
  }
  g.append(
    svg(
      'text',
      { class: 'axis-label', 'data-axis': 'x', x: box.left + box.width / 2, y: bottom + 27, 'text-anchor': 'middle' },
      x.label,
    ),
  );
  const cy = box.top + box.height / 2;
  g.append(
    svg(
      'text',
      {
        class: 'axis-label',
        'data-axis': 'y',
        x: 11,
        y: cy,
        'text-anchor': 'middle',
        transform: `rotate(-90 11 ${cy})`,
      },
      y.label,
    ),
  );
  root.append(g);
}

/** A clip path named `id` over `box`, for the data layer. */
function clip(root: SVGSVGElement, id: string, box: Box): SVGGElement {
  const defs = svg('defs');
  const path = svg('clipPath', { id });
  path.append(svg('rect', { x: box.left, y: box.top, width: box.width, height: box.height }));
  defs.append(path);
  root.append(defs);
  const g = svg('g', { 'clip-path': `url(#${id})` });
  root.append(g);
  return g;
}

/** One racer's curve: `[step, median, q1, q3, ...]`, NaN where no seed is left. */
export interface CurveSeries {
  id: string;
  color: string;
  dash: string;
  label: string;
  points: number[];
  /** Draw the interquartile band (more than one seed). */
  band: boolean;
  /** Steps at which a seed diverged: an × on the curve there (the curve ends at the last one when all did). */
  divergedSteps: number[];
}

/** The options of {@link drawCurves}. */
export interface CurveOptions {
  xLabel: string;
  yLabel: string;
  /** A log axis (positive values; those below the range's floor are drawn at the floor). */
  log: boolean;
  yMin?: number;
  yMax?: number;
  /** Values below this are drawn at it (a range that a run escaping to -infinity does not squash). */
  clipBelow?: number;
  /** The x axis extends at least to this step. */
  minSteps?: number;
}

/** The most decades a log axis shows below its top (values under its floor are drawn at the floor). */
const MAX_DECADES = 12;
/** The most points a curve draws: longer series are thinned to this many (every k-th step, and the last). */
const MAX_POINTS = 500;

/** Redraw the curves plot `root` (an `<svg>`): median lines, IQR bands, divergence markers, axes. */
export function drawCurves(root: SVGSVGElement, series: CurveSeries[], options: CurveOptions): void {
  const width = Number(root.getAttribute('width'));
  const height = Number(root.getAttribute('height'));
  const box: Box = { left: 52, top: 8, width: width - 52 - 18, height: height - 8 - 36 };
  root.replaceChildren();
  root.dataset.scale = options.log ? 'log' : 'linear';
  let maxStep = Math.max(1, options.minSteps ?? 1);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const consider = (v: number) => {
    if (!Number.isFinite(v) || (options.log && v <= 0)) return;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  };
  for (const s of series)
    for (let i = 0; i < s.points.length; i += 4) {
      if (Number.isNaN(s.points[i + 1])) continue;
      maxStep = Math.max(maxStep, s.points[i]);
      consider(s.points[i + 1]);
      if (s.band) {
        consider(s.points[i + 2]);
        consider(s.points[i + 3]);
      }
    }
  if (options.clipBelow !== undefined) lo = Math.max(lo, options.clipBelow);
  if (options.yMin !== undefined) lo = options.yMin;
  if (options.yMax !== undefined) hi = options.yMax;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = options.log ? 0.1 : 0;
    hi = options.log ? 10 : 1;
  }
  const tf = options.log ? Math.log10 : (v: number) => v;
  let a = tf(lo);
  let b = tf(hi);
  if (options.log) a = Math.max(a, b - MAX_DECADES);
  if (options.log && Math.floor(b) - Math.ceil(a) < 1) {
    // fewer than two powers of ten inside: the axis ends on 1-2-5 values, which are its ticks
    a = Math.log10(round125(10 ** a, 'down'));
    b = Math.log10(round125(10 ** b, 'up'));
    if (b - a < 1e-9) b = Math.log10(round125(10 ** b * 1.01, 'up'));
  } else if (b - a < 1e-9) {
    a -= Math.max(0.5, Math.abs(a) * 0.1);
    b += Math.max(0.5, Math.abs(b) * 0.1);
  } else if (options.yMin === undefined || options.yMax === undefined) {
    const pad = (b - a) * 0.04;
    if (options.yMin === undefined) a -= pad;
    if (options.yMax === undefined) b += pad;
  }
  const sx = (s: number) => box.left + (s / maxStep) * box.width;
  const sy = (v: number) => {
    const t = Number.isNaN(v) || v === Number.POSITIVE_INFINITY ? b : v <= 0 && options.log ? a : tf(v);
    return box.top + ((b - Math.min(b, Math.max(a, t))) / (b - a)) * box.height;
  };
  axes(
    root,
    box,
    { ticks: linearTicks(0, maxStep, 5), map: sx, label: options.xLabel },
    {
      ticks: options.log ? logTicks(a, b) : linearTicks(a, b, 5),
      map: (v) => box.top + ((b - tf(v)) / (b - a)) * box.height,
      label: options.yLabel,
    },
  );
  const data = clip(root, `${root.id}-clip`, box);
  for (const s of series) {
    const n = s.points.length / 4;
    const stride = Math.max(1, Math.ceil(n / MAX_POINTS));
    const keep: number[] = [];
    for (let k = 0; k < n; k++)
      if (!Number.isNaN(s.points[4 * k + 1]) && (k % stride === 0 || k === n - 1)) keep.push(k);
    if (keep.length === 0) continue;
    const at = (k: number, j: number) => `${sx(s.points[4 * k]).toFixed(1)},${sy(s.points[4 * k + j]).toFixed(1)}`;
    if (s.band && keep.length > 1) {
      const upper = keep.map((k) => at(k, 3));
      const lower = keep.map((k) => at(k, 2)).reverse();
      data.append(
        svg('path', {
          class: 'band',
          'data-racer': s.id,
          d: `M${upper.join('L')}L${lower.join('L')}Z`,
          fill: s.color,
          'fill-opacity': 0.18,
          stroke: 'none',
        }),
      );
    }
    data.append(
      svg('path', {
        class: 'median',
        'data-racer': s.id,
        d: `M${keep.map((k) => at(k, 1)).join('L')}`,
        fill: 'none',
        stroke: s.color,
        'stroke-width': 1.8,
        'stroke-dasharray': s.dash,
      }),
    );
    for (const step of new Set(s.divergedSteps)) {
      // the marker sits on the curve at the divergence's step, or where the curve ends when no seed is left
      // (the series holds every step from 1 on)
      let k = Math.min(n - 1, step - 1);
      while (k > 0 && Number.isNaN(s.points[4 * k + 1])) k--;
      const marker = divergedMarker(
        sx(step),
        sy(s.points[4 * k + 1]),
        s.color,
        s.id,
        `${s.label}: a seed diverged at step ${step}`,
      );
      marker.dataset.step = String(step);
      root.append(marker);
    }
  }
}

/** Render the filled contours of a grid (row 0 at the top) once, to a data URL reused at every frame. */
export function contourImage(view: { size: number; values: number[] }): string {
  const { size, values } = view;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  // NOTE: a log scale of (f - min) shows both the valley floor and the walls of Rosenbrock-like functions.
  const scale = Math.log1p(hi - lo);
  const level = values.map((v) => Math.floor((Math.log1p(v - lo) / scale) * LEVELS));
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(size, size);
  for (let row = 0; row < size; row++)
    for (let col = 0; col < size; col++) {
      const k = row * size + col;
      const [r, g, b] = ramp(level[k] / LEVELS);
      const edge =
        (col + 1 < size && level[k + 1] !== level[k]) || (row + 1 < size && level[k + size] !== level[k]) ? 0.75 : 1;
      image.data.set([r * edge, g * edge, b * edge, 255], 4 * k);
    }
  ctx.putImageData(image, 0, 0);
  return canvas.toDataURL();
}

type Rgb = [number, number, number];
// A few stops of a perceptually ordered light-to-dark ramp (low values light, as on a map of a valley).
const RAMP: Rgb[] = [
  [253, 253, 220],
  [199, 233, 180],
  [127, 205, 187],
  [65, 182, 196],
  [44, 127, 184],
  [37, 52, 148],
  [8, 29, 88],
];
const LEVELS = 18;

function ramp(t: number): Rgb {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => RAMP[i][c] + (RAMP[i + 1][c] - RAMP[i][c]) * f) as Rgb;
}

/** A 2-D function's view: the contour image and the box it covers. */
export interface ContourView {
  image: string;
  bounds: { x: readonly number[]; y: readonly number[] };
  minima: (readonly number[])[];
  start: readonly number[];
}

/** Each racer's trajectories on the contour plot: one path per seed (seed 1 first), and which diverged. */
export interface Trajectory {
  id: string;
  color: string;
  label: string;
  paths: number[][];
  diverged: boolean[];
}

const drawnViews = new WeakMap<SVGSVGElement, ContourView>();

/**
 * Draw the contour plot `root` (an `<svg>`): the map, axes x and y, the minima and the start (once per view),
 * then the paths (at every call), with an × where a seed diverged.
 */
export function drawContour(root: SVGSVGElement, view: ContourView, trajectories: Trajectory[]): void {
  const width = Number(root.getAttribute('width'));
  const height = Number(root.getAttribute('height'));
  const box: Box = { left: 44, top: 8, width: width - 44 - 12, height: height - 8 - 36 };
  const [x0, x1] = view.bounds.x;
  const [y0, y1] = view.bounds.y;
  const px = (x: number) => box.left + ((x - x0) / (x1 - x0)) * box.width;
  const py = (y: number) => box.top + ((y1 - y) / (y1 - y0)) * box.height;
  // far-away points are pulled in (they are clipped anyway) so that the path stays drawable
  const cx = (x: number) => Math.min(box.left + 3 * box.width, Math.max(box.left - 2 * box.width, px(x))).toFixed(1);
  const cy = (y: number) => Math.min(box.top + 3 * box.height, Math.max(box.top - 2 * box.height, py(y))).toFixed(1);
  if (drawnViews.get(root) !== view) {
    drawnViews.set(root, view);
    root.replaceChildren();
    root.append(
      svg('image', {
        class: 'contour-map',
        href: view.image,
        x: box.left,
        y: box.top,
        width: box.width,
        height: box.height,
        preserveAspectRatio: 'none',
      }),
    );
    axes(
      root,
      box,
      { ticks: linearTicks(x0, x1, 5), map: px, label: 'x' },
      { ticks: linearTicks(y0, y1, 5), map: py, label: 'y' },
    );
    const marks = clip(root, `${root.id}-clip`, box);
    for (const [mx, my] of view.minima)
      marks.append(
        svg('path', {
          class: 'minimum',
          d: cross(px(mx), py(my), 6),
          stroke: '#111',
          'stroke-width': 2,
        }),
      );
    marks.append(svg('circle', { class: 'start', cx: px(view.start[0]), cy: py(view.start[1]), r: 5, fill: '#111' }));
    marks.append(svg('g', { class: 'trajectories' }));
  }
  const data = root.querySelector<SVGGElement>('g.trajectories')!;
  data.replaceChildren();
  for (const t of trajectories)
    t.paths.forEach((points, seed) => {
      if (points.length < 2) return;
      const n = points.length / 2;
      const stride = Math.max(1, Math.ceil(n / 1500));
      const parts: string[] = [];
      for (let k = 0; k < n; k++)
        if (k % stride === 0 || k === n - 1) {
          const [x, y] = [points[2 * k], points[2 * k + 1]];
          if (Number.isFinite(x) && Number.isFinite(y)) parts.push(`${cx(x)},${cy(y)}`);
        }
      if (parts.length === 0) return;
      data.append(
        svg('path', {
          class: 'trajectory',
          'data-racer': t.id,
          'data-seed': seed + 1,
          d: `M${parts.join('L')}`,
          fill: 'none',
          stroke: t.color,
          'stroke-width': seed === 0 ? 2.5 : 1.2,
          'stroke-opacity': seed === 0 ? 1 : 0.6,
        }),
      );
      const [ex, ey] = parts[parts.length - 1].split(',').map(Number);
      if (t.diverged[seed])
        data.append(divergedMarker(ex, ey, t.color, t.id, `${t.label}, seed ${seed + 1}: diverged`));
      else if (seed === 0)
        data.append(
          svg('circle', { class: 'end', cx: ex, cy: ey, r: 5, fill: t.color, stroke: 'white', 'stroke-width': 1.5 }),
        );
    });
}

/** The path of an × of half-size `r` at `(x, y)`. */
function cross(x: number, y: number, r: number): string {
  return `M${x - r},${y - r}L${x + r},${y + r}M${x + r},${y - r}L${x - r},${y + r}`;
}

/** An × in the racer's color, outlined in black, with a tooltip: where a run diverged. */
function divergedMarker(x: number, y: number, color: string, id: string, title: string): SVGGElement {
  const g = svg('g', { class: 'diverged-marker', 'data-racer': id });
  g.append(svg('title', {}, title));
  g.append(svg('path', { d: cross(x, y, 6), stroke: '#111', 'stroke-width': 4.5 }));
  g.append(svg('path', { d: cross(x, y, 6), stroke: color, 'stroke-width': 2.5 }));
  return g;
}

/** The raster of a decision map: `p(class 1)` on a grid (row 0 at the top), blended between the class fills. */
export function boundaryImage(grid: { size: number; values: number[] }): string {
  const canvas = document.createElement('canvas');
  canvas.width = grid.size;
  canvas.height = grid.size;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(grid.size, grid.size);
  const [a, b] = CLASS_COLORS.fill.map(hexRgb);
  grid.values.forEach((p, k) => {
    image.data.set([0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * p)).concat(255), 4 * k);
  });
  ctx.putImageData(image, 0, 0);
  return canvas.toDataURL();
}

/** `#rrggbb` as `[r, g, b]`. */
export function hexRgb(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * Build a decision map in `root` (an `<svg>`): axes x1 and x2 over `[-box, box]`, the training points (by
 * class) on top of an image element whose raster {@link setBoundary} replaces as training goes.
 */
export function drawBoundaryFrame(
  root: SVGSVGElement,
  data: { points: number[]; labels: number[] },
  half: number,
  title: { text: string; color: string },
): void {
  const width = Number(root.getAttribute('width'));
  const height = Number(root.getAttribute('height'));
  const box: Box = { left: 40, top: 18, width: width - 40 - 12, height: height - 18 - 34 };
  const px = (x: number) => box.left + ((x + half) / (2 * half)) * box.width;
  const py = (y: number) => box.top + ((half - y) / (2 * half)) * box.height;
  root.replaceChildren();
  root.append(
    svg('rect', {
      class: 'decision-map',
      x: box.left,
      y: box.top,
      width: box.width,
      height: box.height,
      fill: '#eeeeee',
    }),
  );
  root.append(
    svg('image', {
      class: 'decision-map',
      x: box.left,
      y: box.top,
      width: box.width,
      height: box.height,
      preserveAspectRatio: 'none',
    }),
  );
  const ticks = linearTicks(-half, half, 3);
  axes(root, box, { ticks, map: px, label: 'x1' }, { ticks, map: py, label: 'x2' });
  root.append(svg('text', { class: 'map-title', x: box.left, y: 12, fill: title.color }, title.text));
  root.append(
    svg('text', { class: 'map-seed', x: box.left + box.width, y: 12, 'text-anchor': 'end', fill: '#555' }, ''),
  );
  const points = svg('g', { class: 'class-points' });
  for (let i = 0; i < data.labels.length; i++) {
    const c = data.labels[i] === 1 ? 1 : 0;
    points.append(
      svg('circle', {
        class: `class-point class-${c}`,
        cx: px(data.points[2 * i]).toFixed(1),
        cy: py(data.points[2 * i + 1]).toFixed(1),
        r: 2.3,
        fill: CLASS_COLORS.point[c],
        stroke: CLASS_COLORS.stroke,
        'stroke-width': 0.8,
      }),
    );
  }
  root.append(points);
}

/**
 * Show a new decision raster in a map built by {@link drawBoundaryFrame}, and which seed's model it is
 * (`seed` is 0-based, shown from 1; nothing is said with a single seed).
 */
export function setBoundary(
  root: SVGSVGElement,
  grid: { size: number; values: number[]; seed?: number; seeds?: number },
): void {
  root.querySelector('image.decision-map')?.setAttribute('href', boundaryImage(grid));
  const label = root.querySelector('text.map-seed');
  if (label)
    label.textContent = grid.seed !== undefined && (grid.seeds ?? 1) > 1 ? `seed ${grid.seed + 1} (median)` : '';
}
