// How the series of a chart stay apart besides their colour: a dash pattern and a marker shape per series
// index, so that lines that coincide (momentum under adagrad on the digits) both stay visible.

/**
 * The dash patterns of the series, by index (`stroke-dasharray`; `''` is solid). The lines are drawn
 * with round caps, which add half the stroke width at each end of a dash, so the gaps are wide.
 *
 * @example
 * ```ts
 * DASHES[1]; // '8 5'
 * ```
 */
export const DASHES: readonly string[] = [
  '',
  '8 5',
  '0.5 4.5',
  '10 4.5 0.5 4.5',
  '18 5',
  '10 4.5 0.5 4.5 0.5 4.5',
  '4 4.5',
  '18 4.5 6 4.5',
  '0.5 8',
  '24 4.5 0.5 4.5',
];

/**
 * The marker shapes of the series, by index: drawn a few times along each line (and at every point of a
 * sensitivity curve), and in the legend. None is a cross (a diverged run) or an edge triangle (a
 * clipped point).
 *
 * @example
 * ```ts
 * MARKER_SHAPES[0]; // 'circle'
 * ```
 */
export const MARKER_SHAPES = ['circle', 'square', 'diamond', 'triangle', 'triangle-down', 'pentagon'] as const;

/**
 * A marker shape (see {@link MARKER_SHAPES}).
 *
 * @example
 * ```ts
 * const shape: MarkerShape = seriesStyle(2).shape; // 'diamond'
 * ```
 */
export type MarkerShape = (typeof MARKER_SHAPES)[number];

/**
 * How series `index` is drawn besides its colour: its dash pattern and its marker shape. The two
 * lists have coprime lengths (10 and 6), so the first 30 series differ in the pair.
 *
 * @example
 * ```ts
 * seriesStyle(1); // { dash: '8 5', shape: 'square' }
 * ```
 */
export function seriesStyle(index: number): { dash: string; shape: MarkerShape } {
  const i = Math.max(0, Math.floor(index));
  return { dash: DASHES[i % DASHES.length], shape: MARKER_SHAPES[i % MARKER_SHAPES.length] };
}

/**
 * A number in SVG coordinates: two decimals, no exponent.
 *
 * @example
 * ```ts
 * px(1 / 3); // '0.33'
 * ```
 */
export function px(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

function polygon(cx: number, cy: number, r: number, corners: number, turn: number): string {
  const points: string[] = [];
  for (let k = 0; k < corners; k++) {
    const a = turn + (2 * Math.PI * k) / corners;
    points.push(`${px(cx + r * Math.sin(a))},${px(cy - r * Math.cos(a))}`);
  }
  return `M${points.join('L')}Z`;
}

/**
 * The SVG element of a marker of `shape` centred on `(cx, cy)`, about `2r` across, filled with `color`
 * and outlined in white so that it stands out on a line of the same colour.
 *
 * @example
 * ```ts
 * markerShapeSvg('square', 10, 10, 3.5, '#4e79a7'); // '<rect x="7.03" y="7.03" width="5.95" height="5.95" ...'
 * ```
 */
export function markerShapeSvg(shape: MarkerShape, cx: number, cy: number, r: number, color: string): string {
  const paint = `fill="${color}" stroke="#fff" stroke-width="0.8"`;
  switch (shape) {
    case 'circle':
      return `<circle cx="${px(cx)}" cy="${px(cy)}" r="${px(r * 0.95)}" ${paint}/>`;
    case 'square':
      return `<rect x="${px(cx - r * 0.85)}" y="${px(cy - r * 0.85)}" width="${px(r * 1.7)}" height="${px(r * 1.7)}" ${paint}/>`;
    case 'diamond':
      return `<path d="${polygon(cx, cy, r * 1.2, 4, 0)}" ${paint}/>`;
    case 'triangle':
      return `<path d="${polygon(cx, cy + r * 0.2, r * 1.25, 3, 0)}" ${paint}/>`;
    case 'triangle-down':
      return `<path d="${polygon(cx, cy - r * 0.2, r * 1.25, 3, Math.PI)}" ${paint}/>`;
    case 'pentagon':
      return `<path d="${polygon(cx, cy, r * 1.1, 5, 0)}" ${paint}/>`;
  }
}

/** A text glyph for each marker shape, for HTML legends. */
const GLYPHS: Record<MarkerShape, string> = {
  circle: '●',
  square: '■',
  diamond: '◆',
  triangle: '▲',
  'triangle-down': '▼',
  pentagon: '⬟',
};

/**
 * An HTML swatch of series `index` for a table (no SVG, so the report's charts stay its only `<svg>`
 * elements): a short line in `color` with the series' dash pattern (a CSS gradient), then its marker
 * shape as a glyph. `color` must already be safe in an attribute.
 *
 * @example
 * ```ts
 * `<td>${seriesSwatchHtml('#4e79a7', 1)}adam</td>`;
 * ```
 */
export function seriesSwatchHtml(color: string, index: number): string {
  const { dash, shape } = seriesStyle(index);
  let background = color;
  if (dash !== '') {
    // The dash pattern as hard colour stops, at the swatch's 3px height (round caps ignored).
    const lengths = dash.split(' ').map(Number);
    const stops: string[] = [];
    let at = 0;
    lengths.forEach((len, k) => {
      const paint = k % 2 === 0 ? color : 'transparent';
      const length = k % 2 === 0 ? Math.max(1.5, len * 0.6) : len * 0.5;
      stops.push(`${paint} ${px(at)}px ${px(at + length)}px`);
      at += length;
    });
    background = `repeating-linear-gradient(90deg,${stops.join(',')})`;
  }
  return `<span class="swatch" style="background:${background}"></span><span class="glyph" style="color:${color}">${GLYPHS[shape]}</span>`;
}
