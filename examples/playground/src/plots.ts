// Canvas drawing: a filled contour plot with trajectories, step curves, and decision boundaries.

/** The colors of the racers, in order. */
export const PALETTE = ['#e4572e', '#1f77b4', '#2ca02c', '#9467bd', '#f0a202', '#17becf', '#d62780', '#7f7f7f'];

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

function ramp(t: number): Rgb {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => RAMP[i][c] + (RAMP[i + 1][c] - RAMP[i][c]) * f) as Rgb;
}

/** A 2-D function's view: its grid (row 0 at the top) and the box it covers. */
export interface ContourView {
  size: number;
  values: number[];
  bounds: { x: readonly number[]; y: readonly number[] };
  minima: (readonly number[])[];
  start: readonly number[];
}

const LEVELS = 18;

/** Render the filled contours of `view` once, to an image reused at every frame. */
export function contourImage(view: ContourView): HTMLCanvasElement {
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
  return canvas;
}

/** Draw the contour image, the minima, the start and each racer's path (`x, y` pairs). */
export function drawContour(
  canvas: HTMLCanvasElement,
  image: HTMLCanvasElement,
  view: ContourView,
  paths: { color: string; points: number[] }[],
): void {
  const ctx = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  const [x0, x1] = view.bounds.x;
  const [y0, y1] = view.bounds.y;
  const px = (x: number) => ((x - x0) / (x1 - x0)) * w;
  const py = (y: number) => ((y1 - y) / (y1 - y0)) * h;
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(image, 0, 0, w, h);
  ctx.strokeStyle = '#111';
  ctx.lineWidth = 2;
  for (const [mx, my] of view.minima) {
    ctx.beginPath();
    ctx.moveTo(px(mx) - 6, py(my) - 6);
    ctx.lineTo(px(mx) + 6, py(my) + 6);
    ctx.moveTo(px(mx) + 6, py(my) - 6);
    ctx.lineTo(px(mx) - 6, py(my) + 6);
    ctx.stroke();
  }
  ctx.fillStyle = '#111';
  ctx.beginPath();
  ctx.arc(px(view.start[0]), py(view.start[1]), 5, 0, 2 * Math.PI);
  ctx.fill();
  for (const { color, points } of paths) {
    if (points.length < 2) continue;
    ctx.strokeStyle = color;
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    ctx.moveTo(px(points[0]), py(points[1]));
    for (let i = 2; i < points.length; i += 2) ctx.lineTo(px(points[i]), py(points[i + 1]));
    ctx.stroke();
    const n = points.length;
    ctx.fillStyle = color;
    ctx.strokeStyle = 'white';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.arc(px(points[n - 2]), py(points[n - 1]), 5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}

/** Curves `y(step)` per racer; `log` plots log10 of positive values. Each series is `[step, value, ...]`. */
export function drawCurves(
  canvas: HTMLCanvasElement,
  series: { color: string; points: number[] }[],
  options: { log: boolean; yMin?: number; yMax?: number },
): void {
  const ctx = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  const pad = { left: 44, right: 8, top: 8, bottom: 20 };
  ctx.clearRect(0, 0, w, h);
  const tf = (v: number) => (options.log ? Math.log10(Math.max(v, 1e-12)) : v);
  let maxStep = 1;
  let lo = options.yMin ?? Number.POSITIVE_INFINITY;
  let hi = options.yMax ?? Number.NEGATIVE_INFINITY;
  for (const { points } of series)
    for (let i = 0; i < points.length; i += 2) {
      const v = points[i + 1];
      if (!Number.isFinite(v)) continue;
      maxStep = Math.max(maxStep, points[i]);
      if (options.yMin === undefined) lo = Math.min(lo, tf(v));
      if (options.yMax === undefined) hi = Math.max(hi, tf(v));
    }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return;
  if (hi - lo < 1e-9) {
    hi += 0.5;
    lo -= 0.5;
  }
  const sx = (s: number) => pad.left + (s / maxStep) * (w - pad.left - pad.right);
  const sy = (v: number) => pad.top + ((hi - tf(v)) / (hi - lo)) * (h - pad.top - pad.bottom);
  ctx.strokeStyle = '#c9cedb';
  ctx.fillStyle = '#6b7285';
  ctx.font = '10px system-ui';
  ctx.lineWidth = 1;
  for (let t = 0; t <= 4; t++) {
    const v = lo + ((hi - lo) * t) / 4;
    const y = pad.top + ((hi - v) / (hi - lo)) * (h - pad.top - pad.bottom);
    ctx.beginPath();
    ctx.moveTo(pad.left, y);
    ctx.lineTo(w - pad.right, y);
    ctx.stroke();
    ctx.fillText(options.log ? `1e${v.toFixed(1)}` : v.toPrecision(3), 2, y + 3);
  }
  ctx.fillText(`${maxStep} steps`, w - pad.right - 50, h - 5);
  for (const { color, points } of series) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.8;
    ctx.beginPath();
    let drawing = false;
    for (let i = 0; i < points.length; i += 2) {
      const v = points[i + 1];
      if (!Number.isFinite(v)) continue;
      if (drawing) ctx.lineTo(sx(points[i]), sy(v));
      else ctx.moveTo(sx(points[i]), sy(v));
      drawing = true;
    }
    ctx.stroke();
  }
}

/** A decision boundary: `p(class 1)` on a grid over `[-box, box]²`, with the labelled points on top. */
export function drawBoundary(
  canvas: HTMLCanvasElement,
  grid: { size: number; values: number[] } | null,
  data: { points: number[]; labels: number[] },
  box: number,
): void {
  const ctx = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  if (grid !== null) {
    const off = document.createElement('canvas');
    off.width = grid.size;
    off.height = grid.size;
    const octx = off.getContext('2d')!;
    const image = octx.createImageData(grid.size, grid.size);
    grid.values.forEach((p, k) => {
      const a: Rgb = [252, 211, 160];
      const b: Rgb = [166, 206, 240];
      image.data.set([a[0] + (b[0] - a[0]) * p, a[1] + (b[1] - a[1]) * p, a[2] + (b[2] - a[2]) * p, 255], 4 * k);
    });
    octx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, w, h);
  } else {
    ctx.fillStyle = '#eee';
    ctx.fillRect(0, 0, w, h);
  }
  for (let i = 0; i < data.labels.length; i++) {
    const x = ((data.points[2 * i] + box) / (2 * box)) * w;
    const y = ((box - data.points[2 * i + 1]) / (2 * box)) * h;
    ctx.fillStyle = data.labels[i] === 1 ? '#1f5fa8' : '#d9480f';
    ctx.beginPath();
    ctx.arc(x, y, 2.2, 0, 2 * Math.PI);
    ctx.fill();
  }
}
