import { describe, expect, it } from 'vitest';
import { escapeXml, PALETTE } from './svg';
import { formatTick, niceTicks } from './svg-axes';
import { contourChart, contourLevels, logLevels, marchingSquares } from './svg-contour';
import { lineChart, lineChartFigure } from './svg-line-chart';
import { robustRange } from './svg-range';
import { DASHES, MARKER_SHAPES, seriesStyle, seriesSwatchHtml } from './svg-style';

const seriesPaths = (svg: string): string[] => svg.match(/<path class="series"[^>]*>/g) ?? [];

describe('ticks and levels', () => {
  it('picks 1-2-5 steps covering the range', () => {
    expect(niceTicks(0, 0.93, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 450, 6)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(niceTicks(-3, 3, 6)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
  });

  it('formats ticks briefly', () => {
    expect(formatTick(0.001)).toBe('0.001');
    expect(formatTick(0.0001)).toBe('1e-4');
    expect(formatTick(2500)).toBe('2500');
    expect(formatTick(25000)).toBe('25k');
    expect(formatTick(-1e7)).toBe('-1e7');
  });

  it('spaces levels in log scale', () => {
    logLevels(1, 1000, 4).forEach((v, i) => {
      expect(v).toBeCloseTo([1, 10, 100, 1000][i], 9);
    });
    // Above a minimum of 5: 5 + range * 10^(-3 + k).
    contourLevels(5, 105, 4).forEach((v, i) => {
      expect(v).toBeCloseTo(5 + [0.1, 1, 10, 100][i], 9);
    });
    // Both signs: symmetric around 0.
    const sym = contourLevels(-100, 100, 5);
    expect(sym[2]).toBeCloseTo(0, 12);
    expect(sym[0]).toBeCloseTo(-sym[4], 9);
  });
});

describe('marchingSquares', () => {
  it('cuts the corner above the level at the interpolated points', () => {
    // One cell: corners (0,0)=0, (1,0)=0, (0,1)=0, (1,1)=2; level 1 crosses the right and top edges halfway.
    expect(marchingSquares([0, 0, 0, 2], 1, 1, 1)).toEqual([[1, 0.5, 0.5, 1]]);
  });

  it('draws a closed ring around a peak', () => {
    // 2x2 cells, a peak of 4 in the middle: the level-2 contour is a diamond of 4 segments.
    const segs = marchingSquares([0, 0, 0, 0, 4, 0, 0, 0, 0], 2, 2, 2);
    expect(segs).toHaveLength(4);
    const points = segs.flatMap(([a, b, c, d]) => [`${a},${b}`, `${c},${d}`]);
    expect(new Set(points)).toEqual(new Set(['0.5,1', '1,0.5', '1.5,1', '1,1.5']));
  });

  it('skips cells entirely above or below and cells with NaN corners', () => {
    expect(marchingSquares([0, 0, 0, 0], 1, 1, 1)).toEqual([]);
    expect(marchingSquares([5, 5, 5, 5], 1, 1, 1)).toEqual([]);
    expect(marchingSquares([0, Number.NaN, 0, 2], 1, 1, 1)).toEqual([]);
  });
});

describe('lineChart', () => {
  const series = [
    { label: 'sgd', color: PALETTE[0], x: [0, 1, 2, 3], y: [1, 0.5, 0.25, 0.125] },
    { label: 'a <b> & "c"', color: PALETTE[1], x: [0, 1, 2, 3], y: [1, 0.1, 0.01, 0.001] },
  ];

  it('draws one series path per series, with the points in plot coordinates', () => {
    const svg = lineChart({
      title: 'Loss',
      xLabel: 'step',
      yLabel: 'loss',
      series,
      width: 400,
      height: 300,
      legend: false,
    });
    expect(svg.startsWith('<svg class="chart"')).toBe(true);
    expect(seriesPaths(svg)).toHaveLength(2);
    // Frame: left 62, top 30, width 400-78=322, height 300-30-44=226; x in [0, 3], y in [0, 1] (nice ticks).
    const first = /d="M([\d.]+),([\d.]+)L([\d.]+),([\d.]+)/.exec(seriesPaths(svg)[0])!;
    expect(Number(first[1])).toBeCloseTo(62, 2);
    expect(Number(first[2])).toBeCloseTo(30, 2);
    expect(Number(first[3])).toBeCloseTo(62 + 322 / 3, 1);
    expect(Number(first[4])).toBeCloseTo(30 + 226 / 2, 1);
  });

  it('escapes labels and never references a URL', () => {
    const svg = lineChart({ title: 'T & <x>', xLabel: 'x', yLabel: 'y', series });
    expect(svg).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(svg).toContain('T &amp; &lt;x&gt;');
    expect(svg).not.toMatch(/https?:/);
    expect(escapeXml(`'`)).toBe('&#39;');
  });

  it('leaves out non-positive values on a log axis and breaks the line at them', () => {
    const svg = lineChart({
      title: 'L',
      xLabel: 'x',
      yLabel: 'y',
      yScale: 'log',
      legend: false,
      series: [{ label: 's', color: '#000', x: [0, 1, 2, 3], y: [1, 0, 0.1, 0.01] }],
    });
    const d = /d="([^"]*)"/.exec(seriesPaths(svg)[0])![1];
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d.match(/L/g)).toHaveLength(1);
    expect(svg).toContain('(log scale)');
  });

  it('says so when there is nothing to draw', () => {
    const svg = lineChart({
      title: 'L',
      xLabel: 'x',
      yLabel: 'y',
      yScale: 'log',
      series: [{ label: 's', color: '#000', x: [0], y: [-1] }],
    });
    expect(svg).toContain('no data above zero');
    expect(seriesPaths(svg)).toHaveLength(1);
  });

  it('draws values of both signs on a symmetric log axis', () => {
    const svg = lineChart({
      title: 'L',
      xLabel: 'x',
      yLabel: 'y',
      yScale: 'symlog',
      series: [{ label: 's', color: '#000', x: [0, 1, 2], y: [1, -10, -1e6] }],
    });
    expect(svg).toContain('(symmetric log scale)');
    expect(svg).toContain('>-1e6<');
    expect(svg).toContain('>0<');
  });

  it('thins long series to a bounded number of points, keeping the extremes', () => {
    const n = 20000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => (i === 12345 ? 100 : 1 + Math.sin(i / 100)));
    const svg = lineChart({ title: 'L', xLabel: 'x', yLabel: 'y', series: [{ label: 's', color: '#000', x, y }] });
    const d = /d="([^"]*)"/.exec(seriesPaths(svg)[0])![1];
    expect(d.split(/[ML]/).length).toBeLessThan(1600);
    // The spike at 100 is kept by the thinning, and clipped at the top of the axis (which stays at 2).
    expect(svg).toContain('<title>s: 100 at x 12345, beyond the axis</title>');
    expect(svg).toContain('>2<');
    expect(svg).not.toContain('>100<');
  });
});

describe('bands and divergence markers', () => {
  const base = { title: 'L', xLabel: 'x', yLabel: 'y', width: 400, height: 300, legend: false } as const;

  it('draws a band behind the line, from its upper edge out and its lower edge back, and fits the axis to it', () => {
    const svg = lineChart({
      ...base,
      series: [
        { label: 's', color: '#123456', x: [0, 1, 2], y: [1, 1, 1], band: { lo: [0.5, 0.5, 0.5], hi: [2, 2, 2] } },
      ],
    });
    const band = /<path class="band" data-label="s" d="([^"]*)" fill="#123456" fill-opacity="0.18"/.exec(svg);
    expect(band).not.toBeNull();
    // One closed ring of 6 points: the upper edge left to right, then the lower edge right to left.
    const points = band![1]
      .replace(/Z$/, '')
      .slice(1)
      .split('L')
      .map((p) => p.split(',').map(Number));
    expect(points).toHaveLength(6);
    expect(points[0][0]).toBeCloseTo(62, 2);
    expect(points[2][0]).toBeCloseTo(62 + 322, 2);
    expect(points[3][0]).toBeCloseTo(62 + 322, 2);
    expect(points[5][0]).toBeCloseTo(62, 2);
    expect(points[0][1]).toBeLessThan(points[5][1]);
    // The band, not the line, sets the y range: the top tick is 2.
    expect(svg).toContain('>2<');
    // The band comes before the line, so the line is drawn over it.
    expect(svg.indexOf('class="band"')).toBeLessThan(svg.indexOf('class="series"'));
  });

  it('breaks a band where an edge cannot be drawn', () => {
    const svg = lineChart({
      ...base,
      yScale: 'log',
      series: [
        {
          label: 's',
          color: '#000',
          x: [0, 1, 2, 3, 4],
          y: [1, 1, 1, 1, 1],
          band: { lo: [0.5, 0.5, 0, 0.5, 0.5], hi: [2, 2, 2, 2, 2] },
        },
      ],
    });
    const d = /<path class="band"[^>]* d="([^"]*)"/.exec(svg)![1];
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d.match(/Z/g)).toHaveLength(2);
  });

  it('marks where a run diverged with a cross and its tooltip, and says what the cross is in the legend', () => {
    const svg = lineChart({
      title: 'L',
      xLabel: 'x',
      yLabel: 'y',
      legendNote: 'median of 3 seeds; band: interquartile range',
      series: [
        {
          label: 'sgd',
          color: '#aa0000',
          x: [1, 2],
          y: [2, 1.5],
          markers: [
            { x: 2, y: 1.5, title: 'sgd diverged at step 3' },
            { x: 3, y: Number.NaN, title: 'off the chart' },
          ],
        },
        { label: 'adam', color: '#0000aa', x: [1, 2, 3], y: [2, 1, 0.5] },
      ],
    });
    const crosses = [
      ...svg.matchAll(
        /<path class="diverged" data-label="([^"]*)" d="([^"]*)" stroke="([^"]*)"[^>]*\/>(<title>[^<]*<\/title>)?/g,
      ),
    ];
    expect(crosses.map((m) => [m[1], m[3], m[4]])).toEqual([
      ['sgd', '#aa0000', '<title>sgd diverged at step 3</title>'],
      ['sgd', '#aa0000', '<title>off the chart</title>'],
    ]);
    // A cross is two strokes; the first one is centred on the last point of the line.
    const line = /<path class="series" data-label="sgd" d="M[\d.]+,[\d.]+L([\d.]+),([\d.]+)"/.exec(svg)!;
    const cross = /^M([\d.]+),([\d.]+)L([\d.]+),([\d.]+)M/.exec(crosses[0][2])!;
    expect((Number(cross[1]) + Number(cross[3])) / 2).toBeCloseTo(Number(line[1]), 1);
    expect((Number(cross[2]) + Number(cross[4])) / 2).toBeCloseTo(Number(line[2]), 1);
    expect(seriesPaths(svg)).toHaveLength(2);
    expect(svg).toContain('class="legend">diverged</text>');
    expect(svg).toContain('class="legend note">median of 3 seeds; band: interquartile range</text>');
  });

  it('draws a cross on a contour plot too', () => {
    const svg = contourChart({
      title: 'bowl',
      f: (x, y) => x * x + y * y,
      bounds: [
        [-1, 1],
        [-1, 1],
      ],
      resolution: 10,
      series: [{ label: 'a', color: PALETTE[0], x: [0.8, 0.9], y: [0.8, 0.95], markers: [{ x: 0.9, y: 0.95 }] }],
    });
    expect(svg.match(/<path class="diverged" data-label="a"/g)).toHaveLength(1);
    expect(svg).toContain('class="legend">diverged</text>');
  });
});

describe('contourChart', () => {
  it('draws filled cells, isolines, one path per trajectory and the minima', () => {
    const svg = contourChart({
      title: 'bowl',
      f: (x, y) => x * x + y * y,
      bounds: [
        [-1, 1],
        [-1, 1],
      ],
      resolution: 20,
      minima: [[0, 0]],
      series: [
        { label: 'a', color: PALETTE[0], x: [0.8, 0.4, 0.1], y: [0.8, 0.4, 0.1] },
        { label: 'b', color: PALETTE[1], x: [-0.8, -0.2], y: [0.5, 0.1] },
      ],
    });
    expect(seriesPaths(svg)).toHaveLength(2);
    expect(svg).toContain('class="isoline"');
    expect((svg.match(/<rect /g) ?? []).length).toBeGreaterThan(20);
    expect(svg).toContain('class="minimum"');
    expect(svg).toMatch(/<clipPath id="clip-[0-9]+">/);
    expect(svg).not.toMatch(/https?:/);
  });

  it('takes precomputed samples and checks their count', () => {
    const values = Array.from({ length: 9 }, (_, k) => k);
    const svg = contourChart({
      title: 't',
      values,
      resolution: 2,
      bounds: [
        [0, 1],
        [0, 1],
      ],
      series: [],
    });
    expect(svg).toContain('class="cells"');
    expect(() =>
      contourChart({
        title: 't',
        values: [1, 2],
        resolution: 2,
        bounds: [
          [0, 1],
          [0, 1],
        ],
        series: [],
      }),
    ).toThrow(/values must hold \(resolution \+ 1\)² = 9 samples, got 2/);
  });
});

describe('series told apart by more than colour', () => {
  // Six optimizers on exactly the same line: only the dashes and the markers can tell them apart.
  const same = Array.from({ length: 6 }, (_, k) => ({
    label: `opt${k}`,
    color: PALETTE[k],
    x: [0, 100, 200, 300, 400],
    y: [0.05, 0.05, 0.05, 0.05, 0.05],
  }));
  const svg = lineChart({ title: 'lr', xLabel: 'step', yLabel: 'learning rate', series: same });

  it('gives each of 6 series its own dash pattern and marker shape, and so does the legend', () => {
    const dashes = seriesPaths(svg).map((p) => /stroke-dasharray="([^"]*)"/.exec(p)?.[1] ?? '');
    expect(dashes).toEqual(DASHES.slice(0, 6));
    expect(new Set(dashes).size).toBe(6);
    const legend = /<g class="legend">(.*?)<\/g>/.exec(svg)![1];
    const legendDashes = [...legend.matchAll(/<line [^>]*?(?:stroke-dasharray="([^"]*)")?\/>/g)].map((m) => m[1] ?? '');
    expect(legendDashes).toEqual(dashes);
    // Each series' markers, in the legend and along the line, have its own shape.
    const groups = [...svg.matchAll(/<g class="series-marker" data-label="(opt\d)">(.*?)<\/g>/g)];
    expect(groups.map((g) => g[1])).toEqual(same.map((s) => s.label));
    const shapeOf = (markup: string) =>
      markup.startsWith('<circle')
        ? 'circle'
        : markup.startsWith('<rect')
          ? 'rect'
          : markup.split(' d=')[1]?.split('L').length;
    expect(new Set(groups.map((g) => `${shapeOf(g[2])}`)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(Array.from({ length: 30 }, (_, i) => JSON.stringify(seriesStyle(i)))).size).toBe(30);
    expect(MARKER_SHAPES).toHaveLength(6);
  });

  it('shifts the markers of each series along the line, so that coinciding lines do not hide them', () => {
    const xsOf = (label: string) => {
      const group = new RegExp(`<g class="series-marker" data-label="${label}">(.*?)</g>`).exec(svg)![1];
      // The centre of each marker: a circle's cx, a square's x plus half its width, a polygon's mean x.
      return [...group.matchAll(/<(circle|rect|path) ([^>]*)\/>/g)].map(([, tag, attrs]) => {
        const attr = (name: string) => Number(new RegExp(`\\b${name}="([^"]*)"`).exec(attrs)![1]);
        if (tag === 'circle') return attr('cx');
        if (tag === 'rect') return attr('x') + attr('width') / 2;
        const xs = [.../d="([^"]*)"/.exec(attrs)![1].matchAll(/[ML]([\d.]+),/g)].map((m) => Number(m[1]));
        return xs.reduce((sum, v) => sum + v, 0) / xs.length;
      });
    };
    const all = same.map((s) => xsOf(s.label));
    expect(all.every((xs) => xs.length >= 2)).toBe(true);
    const flat = all.flat().map((x) => Math.round(x));
    expect(new Set(flat).size).toBe(flat.length);
  });

  it('draws a dashed swatch and the marker glyph for the HTML tables', () => {
    expect(seriesSwatchHtml('#123456', 0)).toBe(
      '<span class="swatch" style="background:#123456"></span><span class="glyph" style="color:#123456">●</span>',
    );
    expect(seriesSwatchHtml('#123456', 1)).toMatch(
      /repeating-linear-gradient\(90deg,#123456 0px 4.8px,transparent 4.8px 7.3px\)/,
    );
    expect(seriesSwatchHtml('#123456', 1)).toContain('■');
  });
});

describe('a robust y range', () => {
  it('keeps a whole loss curve, however steep its start, and ignores flat data', () => {
    const loss = Array.from({ length: 450 }, (_, i) => 0.05 + 2.3 * Math.exp(-i / 30));
    expect(robustRange(loss)).toMatchObject({ lo: Math.min(...loss), hi: Math.max(...loss), clipped: false });
    expect(robustRange([0.1, 0.1, 0.1, 0])).toMatchObject({ lo: 0, hi: 0.1, clipped: false });
    expect(robustRange([Number.NaN, 1, Number.POSITIVE_INFINITY])).toMatchObject({ lo: 1, hi: 1, clipped: false });
  });

  it('leaves out one spike far below the rest, in log space', () => {
    const logF = Array.from({ length: 1500 }, (_, i) => 1 - i / 200);
    logF[371] = -26.7;
    const r = robustRange(logF);
    expect(r.clipped).toBe(true);
    expect(r.lo).toBeCloseTo(1 - 1499 / 200, 9);
    expect(r.hi).toBe(1);
    expect(r.min).toBe(-26.7);
  });

  it('does not let one 1e-27 point stretch a log axis: the point is clipped at the bottom and marked', () => {
    const steps = Array.from({ length: 1500 }, (_, i) => i);
    const decay = (rate: number, floor: number) => steps.map((i) => Math.max(floor, 12 * Math.exp(-i * rate)));
    const lion = decay(0.02, 0.03);
    lion[372] = 2.18e-27;
    const options = {
      title: 'f at each iterate',
      xLabel: 'step',
      yLabel: 'f(x, y)',
      yScale: 'log' as const,
      width: 400,
      height: 300,
      series: [
        { label: 'sgd', color: PALETTE[0], x: steps, y: decay(0.01, 1e-4) },
        { label: 'adam', color: PALETTE[1], x: steps, y: decay(0.012, 1e-7) },
        { label: 'lion', color: PALETTE[2], x: steps, y: lion },
      ],
    };
    const { svg, clipped } = lineChartFigure(options);
    expect(clipped).toBe(1);
    // The axis ends near the lowest other value (1e-7), not at 1e-27.
    const ticks = [...svg.matchAll(/class="axis">([^<]*)</g)].map((m) => m[1]);
    expect(ticks).toContain('1e-7');
    expect(ticks.some((t) => /^1e-(1\d|2\d)$/.test(t))).toBe(false);
    // The point sits on the bottom edge, under a triangle pointing down with its value as the tooltip.
    const mark =
      /<path class="clipped" data-label="lion" d="M([\d.]+),([\d.]+)L[\d.]+,([\d.]+)L[^"]*"[^>]*><title>([^<]*)<\/title>/.exec(
        svg,
      )!;
    expect(mark[4]).toBe('lion: 2.18e-27 at step 372, beyond the axis');
    const frame = /<rect x="62" y="([\d.]+)" width="322" height="([\d.]+)" fill="none"/.exec(svg)!;
    const bottom = Number(frame[1]) + Number(frame[2]);
    expect(Number(mark[2])).toBeCloseTo(bottom, 2);
    expect(Number(mark[3])).toBeLessThan(bottom);
    const lionPath = /<path class="series" data-label="lion" d="([^"]*)"/.exec(svg)![1];
    expect(lionPath).toContain(`,${bottom}L`);
    expect(svg).toContain('class="legend">beyond the axis (clipped)</text>');
    // Without the robust range, the spike sets the axis.
    const stretched = lineChartFigure({ ...options, robust: false });
    expect(stretched.clipped).toBe(0);
    expect(stretched.svg).not.toContain('class="clipped"');
    expect(stretched.svg).toMatch(/class="axis">1e-2\d</);
  });

  it('clips nothing on an ordinary chart', () => {
    const { svg, clipped } = lineChartFigure({
      title: 'accuracy',
      xLabel: 'epoch',
      yLabel: 'validation accuracy',
      series: [{ label: 'sgd', color: '#000', x: [1, 2, 3, 4], y: [0.1, 0.8, 0.9, 0.95] }],
    });
    expect(clipped).toBe(0);
    expect(svg).not.toContain('clipped');
  });
});

describe('a log x axis', () => {
  it('spaces decades evenly, says so, and puts crosses whose y it cannot show at the top', () => {
    const svg = lineChart({
      title: 'S',
      xLabel: 'lr',
      yLabel: 'loss',
      xScale: 'log',
      width: 400,
      height: 300,
      legend: false,
      series: [
        {
          label: 'a',
          color: '#000',
          x: [1e-3, 1e-2, 1e-1],
          y: [1, 0.5, Number.NaN],
          everyPoint: true,
          markers: [{ x: 1e-1, y: Number.NaN }],
          highlights: [{ x: 1e-2, y: 0.5, title: 'chosen' }],
        },
      ],
    });
    const [a, b] = [.../d="M([\d.]+),[\d.]+L([\d.]+),/.exec(seriesPaths(svg)[0])!].slice(1).map(Number);
    const cross = /<path class="diverged" data-label="a" d="M([\d.]+),([\d.]+)L([\d.]+)/.exec(svg)!;
    // Equal steps per decade: the cross at 1e-1 is as far right of 1e-2 as 1e-2 is of 1e-3.
    expect((Number(cross[1]) + Number(cross[3])) / 2 - b).toBeCloseTo(b - a, 1);
    expect(Number(cross[2]) + 5).toBeCloseTo(30 + 6, 1);
    expect(svg).toContain('>lr (log scale)<');
    expect(svg.match(/<g class="chosen" data-label="a">/g)).toHaveLength(1);
    expect(svg).toContain('<title>chosen</title>');
    // A marker at every drawable point.
    expect(/<g class="series-marker" data-label="a">(.*?)<\/g>/.exec(svg)![1].match(/<circle/g)).toHaveLength(2);
  });
});

describe('a fixed y domain', () => {
  it('keeps a fraction axis at [0, 1] whatever the data (performance profiles)', () => {
    const series = [{ label: 'sgd', color: PALETTE[0], x: [1, 2, 3], y: [0, 0, 0] }];
    const ticksOf = (svg: string) => [...svg.matchAll(/class="axis">([^<]*)</g)].map((m) => Number(m[1]));
    const fixed = ticksOf(lineChart({ title: 'p', xLabel: 'τ', yLabel: 'fraction', series, yDomain: [0, 1] }));
    const free = ticksOf(lineChart({ title: 'p', xLabel: 'τ', yLabel: 'fraction', series }));
    expect(Math.min(...fixed.filter((t) => t <= 0))).toBe(0);
    expect(fixed).toContain(1);
    // Without it, flat zeros get an axis of their own around 0 (below it too).
    expect(free.some((t) => t < 0)).toBe(true);
  });
});
