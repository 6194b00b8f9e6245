// Decision maps of 2-D classification tasks: per optimizer, the class its trained network predicts over
// a grid of the input box, its decision boundary in its colour, and the training points on top.
import { noGrad, Tensor } from '@nablajs/core';
import { escapeXml, STYLE } from './svg';
import { formatTick, niceTicks } from './svg-axes';
import { marchingSquares } from './svg-contour';
import { px, seriesStyle } from './svg-style';

/**
 * The classes a trained classifier predicts over a grid of its 2-D input box.
 *
 * @example
 * ```ts
 * const grid: DecisionGrid = { bounds: [[-1, 1], [-1, 1]], resolution: 2, classes: [0, 1, 1, 1] };
 * ```
 */
export interface DecisionGrid {
  /** The input box `[[x1Min, x1Max], [x2Min, x2Max]]`. */
  bounds: [[number, number], [number, number]];
  /** Cells per side. */
  resolution: number;
  /** The class predicted at the centre of each cell: `resolution²` indices, row by row from x2Min, each row from x1Min. */
  classes: number[];
}

/**
 * Points of a 2-D classification set: the inputs and their classes.
 *
 * @example
 * ```ts
 * const points: LabelledPoints = { x: [0.1, -0.4], y: [0.3, 0.2], label: [0, 1] };
 * ```
 */
export interface LabelledPoints {
  /** The first input of each point. */
  x: number[];
  /** The second input of each point. */
  y: number[];
  /** The class of each point (0, 1, ...). */
  label: number[];
}

/**
 * One optimizer's map for {@link decisionMapsChart}.
 *
 * @example
 * ```ts
 * const map: DecisionMap = { label: 'adam', color: PALETTE[0], note: 'val accuracy 99.0%', grid };
 * ```
 */
export interface DecisionMap {
  /** The optimizer's label, over its map. */
  label: string;
  /** Its colour: the boundary's and the swatch's. */
  color: string;
  /** Its dash pattern and marker index (see {@link seriesStyle}); default: its position. */
  style?: number;
  /** A short text under the map (`val accuracy 97.5%`). */
  note?: string;
  /** The predicted classes. */
  grid: DecisionGrid;
}

/**
 * Options of {@link decisionMapsChart}.
 *
 * @example
 * ```ts
 * const options: DecisionMapsOptions = { title: 'Decision regions after training', maps, points };
 * ```
 */
export interface DecisionMapsOptions {
  /** The title over the maps. */
  title: string;
  /** One map per optimizer, drawn left to right, top to bottom. */
  maps: readonly DecisionMap[];
  /** The points drawn on every map (the training set). */
  points?: LabelledPoints;
  /** Width in pixels (default 560). */
  width?: number;
}

/**
 * The pale fills of the class regions, by class (far from every colour of the optimizer palette, which
 * stays for the boundaries), and the points drawn over them, neutral and told apart by fill and shape.
 *
 * @example
 * ```ts
 * CLASS_FILLS[1]; // '#d3dcef'
 * ```
 */
export const CLASS_FILLS = ['#f6e2c1', '#d3dcef', '#dcebd5', '#ecdbe8', '#ebebd0', '#d6ebea', '#eadbd3', '#e2e2e2'];

/** The fill of the training points of each class: hollow, dark, mid grey, in turn. */
const POINT_FILLS = ['#ffffff', '#333333', '#9a9a9a'];

/** A training point of class `c`: a circle for the first three classes, then a square, a triangle, ... */
function pointSvg(c: number, cx: number, cy: number): string {
  const fill = POINT_FILLS[c % POINT_FILLS.length];
  const paint = `class="class-point class-${c}" fill="${fill}" stroke="#333" stroke-width="0.7"`;
  const kind = Math.floor(c / POINT_FILLS.length) % 3;
  if (kind === 0) return `<circle cx="${px(cx)}" cy="${px(cy)}" r="2.2" ${paint}/>`;
  if (kind === 1) return `<rect x="${px(cx - 2)}" y="${px(cy - 2)}" width="4" height="4" ${paint}/>`;
  return `<path d="M${px(cx)},${px(cy - 2.6)}L${px(cx + 2.4)},${px(cy + 1.6)}L${px(cx - 2.4)},${px(cy + 1.6)}Z" ${paint}/>`;
}

/** Grid layout of `n` panels: up to 3 a row (2 for 4 maps). */
function columnsFor(n: number): number {
  return n <= 3 ? Math.max(1, n) : n === 4 ? 2 : 3;
}

/**
 * Decision maps as one inline `<svg>`: per optimizer a square panel of the input box, each cell filled
 * by the class predicted at its centre (pale class colours, `<g class="regions">`), the decision
 * boundary in the optimizer's colour and dash pattern (`<path class="boundary" data-label>`, the
 * level-½ contour of each class's indicator), and the training points on top (hollow class 0,
 * filled class 1, grey class 2, then other shapes). Every map shares the box of the first one.
 *
 * @example
 * ```ts
 * const svg = decisionMapsChart({
 *   title: 'Decision regions after training',
 *   maps: [{ label: 'adam', color: PALETTE[0], grid: run.decisionGrid }],
 *   points: { x: [0.1], y: [0.2], label: [1] },
 * });
 * ```
 */
export function decisionMapsChart(options: DecisionMapsOptions): string {
  const width = options.width ?? 560;
  const maps = options.maps;
  const columns = columnsFor(maps.length);
  const rows = Math.max(1, Math.ceil(maps.length / columns));
  const gap = 14;
  const left = 34;
  const panel = (width - 12 - (columns - 1) * gap) / columns;
  const plot = panel - left;
  const noted = maps.some((m) => m.note !== undefined);
  const rowHeight = 20 + plot + 18 + (noted ? 14 : 0);
  const top = 30;
  const height = top + rows * rowHeight + (rows - 1) * gap + 26;
  const out: string[] = [
    `<svg class="chart decision" viewBox="0 0 ${px(width)} ${px(height)}" width="${px(width)}" height="${px(height)}" role="img" aria-label="${escapeXml(options.title)}">`,
    `<style>${STYLE}</style>`,
    `<rect x="0" y="0" width="${px(width)}" height="${px(height)}" fill="#fff"/>`,
    `<text x="${px(left)}" y="18" class="title">${escapeXml(options.title)}</text>`,
  ];
  const bounds = maps[0]?.grid.bounds ?? [
    [0, 1],
    [0, 1],
  ];
  const [[x0, x1], [y0, y1]] = bounds;
  const xTicks = niceTicks(x0, x1, 3).filter((t) => t >= x0 - 1e-9 && t <= x1 + 1e-9);
  const yTicks = niceTicks(y0, y1, 3).filter((t) => t >= y0 - 1e-9 && t <= y1 + 1e-9);
  maps.forEach((map, k) => {
    const ox = 6 + (k % columns) * (panel + gap) + left;
    const oy = top + Math.floor(k / columns) * (rowHeight + gap) + 20;
    const sx = (v: number) => ox + ((v - x0) / (x1 - x0)) * plot;
    const sy = (v: number) => oy + plot - ((v - y0) / (y1 - y0)) * plot;
    const color = escapeXml(map.color);
    const label = escapeXml(map.label);
    const { dash } = seriesStyle(map.style ?? k);
    out.push(
      `<g class="decision-map" data-label="${label}">`,
      `<line x1="${px(ox)}" y1="${px(oy - 9)}" x2="${px(ox + 20)}" y2="${px(oy - 9)}" stroke="${color}" stroke-width="2.2" stroke-linecap="round"${dash === '' ? '' : ` stroke-dasharray="${dash}"`}/>`,
      `<text x="${px(ox + 25)}" y="${px(oy - 5)}" class="label">${label}</text>`,
      regionsSvg(map.grid, ox, oy, plot),
      boundarySvg(map.grid, ox, oy, plot, color, label, dash),
    );
    if (options.points !== undefined) {
      const { x, y, label: classes } = options.points;
      const dots: string[] = [];
      for (let i = 0; i < x.length; i++)
        if (x[i] >= x0 && x[i] <= x1 && y[i] >= y0 && y[i] <= y1) dots.push(pointSvg(classes[i], sx(x[i]), sy(y[i])));
      out.push(`<g class="class-points">${dots.join('')}</g>`);
    }
    out.push(
      `<rect x="${px(ox)}" y="${px(oy)}" width="${px(plot)}" height="${px(plot)}" fill="none" stroke="#999"/>`,
      ...xTicks.map(
        (t) =>
          `<text x="${px(sx(t))}" y="${px(oy + plot + 13)}" text-anchor="middle" class="axis">${formatTick(t)}</text>`,
      ),
      ...yTicks.map(
        (t) => `<text x="${px(ox - 4)}" y="${px(sy(t) + 4)}" text-anchor="end" class="axis">${formatTick(t)}</text>`,
      ),
      map.note === undefined
        ? ''
        : `<text x="${px(ox + plot / 2)}" y="${px(oy + plot + 28)}" text-anchor="middle" class="axis note">${escapeXml(map.note)}</text>`,
      '</g>',
    );
  });
  out.push(
    `<text x="${px(width / 2)}" y="${px(height - 8)}" text-anchor="middle" class="label">x1 (horizontal) and x2 (vertical), the two inputs</text>`,
    '</svg>',
  );
  return out.join('');
}

/** The class regions of a grid: each row's runs of one class as one rectangle. */
function regionsSvg(grid: DecisionGrid, ox: number, oy: number, plot: number): string {
  const n = grid.resolution;
  const cell = plot / n;
  const rects: string[] = [];
  for (let j = 0; j < n; j++) {
    let start = 0;
    for (let i = 1; i <= n; i++) {
      const c = grid.classes[j * n + start];
      if (i < n && grid.classes[j * n + i] === c) continue;
      if (Number.isInteger(c) && c >= 0)
        rects.push(
          `<rect x="${px(ox + start * cell)}" y="${px(oy + plot - (j + 1) * cell)}" width="${px((i - start) * cell + 0.5)}" height="${px(cell + 0.5)}" fill="${CLASS_FILLS[c % CLASS_FILLS.length]}"/>`,
        );
      start = i;
    }
  }
  return `<g class="regions" shape-rendering="crispEdges">${rects.join('')}</g>`;
}

/** The decision boundary: the level-½ contour of each class's indicator over the cell centres (one class when there are two). */
function boundarySvg(
  grid: DecisionGrid,
  ox: number,
  oy: number,
  plot: number,
  color: string,
  label: string,
  dash: string,
): string {
  const n = grid.resolution;
  const cell = plot / n;
  const present = [...new Set(grid.classes)].filter((c) => Number.isInteger(c)).sort((a, b) => a - b);
  const drawn = present.length === 2 ? present.slice(1) : present.length > 2 ? present : [];
  let d = '';
  for (const c of drawn) {
    const indicator = grid.classes.map((v) => (v === c ? 1 : 0));
    for (const [a, b, e, f] of marchingSquares(indicator, n - 1, n - 1, 0.5))
      d += `M${px(ox + (a + 0.5) * cell)},${px(oy + plot - (b + 0.5) * cell)}L${px(ox + (e + 0.5) * cell)},${px(oy + plot - (f + 0.5) * cell)}`;
  }
  return `<path class="boundary" data-label="${label}" d="${d || 'M0,0'}" fill="none" stroke="${color}" stroke-width="1.8" stroke-linecap="round"${dash === '' ? '' : ` stroke-dasharray="${dash}"`}/>`;
}

/**
 * Sample a trained 2-D classifier for {@link DecisionGrid}: the box of `inputs` (`[N, 2]`) widened by
 * 10% on each side, `resolution` cells a side, the class with the highest output at each cell centre
 * (evaluated in one batch without gradients).
 *
 * @example
 * ```ts
 * run.decisionGrid = decisionGridOf((x) => model.forward(x), data.train.x, 60);
 * ```
 */
export function decisionGridOf(forward: (input: Tensor) => Tensor, inputs: Tensor, resolution = 60): DecisionGrid {
  const values = inputs.values;
  const lo = [Infinity, Infinity];
  const hi = [-Infinity, -Infinity];
  for (let i = 0; i + 1 < values.length; i += 2)
    for (const a of [0, 1]) {
      lo[a] = Math.min(lo[a], values[i + a]);
      hi[a] = Math.max(hi[a], values[i + a]);
    }
  const pad = [0, 1].map((a) => (hi[a] - lo[a]) * 0.1 || 1);
  const bounds: [[number, number], [number, number]] = [
    [lo[0] - pad[0], hi[0] + pad[0]],
    [lo[1] - pad[1], hi[1] + pad[1]],
  ];
  const n = resolution;
  const centres = inputs.dtype === 'float64' ? new Float64Array(n * n * 2) : new Float32Array(n * n * 2);
  for (let j = 0; j < n; j++)
    for (let i = 0; i < n; i++) {
      const k = j * n + i;
      centres[2 * k] = bounds[0][0] + ((i + 0.5) * (bounds[0][1] - bounds[0][0])) / n;
      centres[2 * k + 1] = bounds[1][0] + ((j + 0.5) * (bounds[1][1] - bounds[1][0])) / n;
    }
  const classes = noGrad(() => forward(new Tensor(centres, [n * n, 2], inputs.dtype)).argmax(1));
  return { bounds, resolution: n, classes: Array.from(classes.values, Number) };
}

/**
 * The points of a 2-D classification set (`x`: `[N, 2]`, `y`: `[N]` class indices) for
 * {@link decisionMapsChart}.
 *
 * @example
 * ```ts
 * const points = labelledPointsOf(data.train.x, data.train.y);
 * ```
 */
export function labelledPointsOf(x: Tensor, y: Tensor): LabelledPoints {
  const values = x.values;
  const labels = y.values;
  const out: LabelledPoints = { x: [], y: [], label: [] };
  for (let i = 0; i < labels.length; i++) {
    out.x.push(values[2 * i]);
    out.y.push(values[2 * i + 1]);
    out.label.push(Number(labels[i]));
  }
  return out;
}
