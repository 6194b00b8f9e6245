import { Generator, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { circles } from './circles';
import { linearRegression } from './linear-regression';
import { moons } from './moons';
import { twoSpirals } from './two-spirals';
import { xor } from './xor';

/** The rows of an [n, 2] tensor and their labels. */
function points(data: { x: { data: ArrayLike<number> }; y: { data: ArrayLike<number> } }): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let i = 0; i < data.y.data.length; i++) out.push([data.x.data[2 * i], data.x.data[2 * i + 1], data.y.data[i]]);
  return out;
}

const classCounts = (labels: ArrayLike<number>) => [0, 1].map((c) => Array.from(labels).filter((v) => v === c).length);

describe('linearRegression', () => {
  it('gives x [n, 1] and y = 2x + 1 exactly without noise', () => {
    const { x, y } = linearRegression({ n: 50, noise: 0, generator: new Generator(0) });
    expect(x.shape).toEqual([50, 1]);
    expect(y.shape).toEqual([50, 1]);
    expect(x.dtype).toBe('float32');
    for (let i = 0; i < 50; i++) expect(y.data[i]).toBe(Math.fround(2 * x.data[i] + 1));
  });

  it('recovers slope 2, intercept 1 and noise 0.1 by least squares', () => {
    const { x, y } = linearRegression({ n: 2000, dtype: 'float64', generator: new Generator(1) });
    const n = 2000;
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      sx += x.data[i];
      sy += y.data[i];
    }
    const mx = sx / n;
    const my = sy / n;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      sxy += (x.data[i] - mx) * (y.data[i] - my);
      sxx += (x.data[i] - mx) ** 2;
    }
    const slope = sxy / sxx;
    const intercept = my - slope * mx;
    let rss = 0;
    for (let i = 0; i < n; i++) rss += (y.data[i] - slope * x.data[i] - intercept) ** 2;
    expect(slope).toBeCloseTo(2, 2);
    expect(intercept).toBeCloseTo(1, 2);
    expect(Math.sqrt(rss / (n - 2))).toBeGreaterThan(0.095);
    expect(Math.sqrt(rss / (n - 2))).toBeLessThan(0.105);
  });

  it('is reproducible by seed and honours slope, intercept and dtype', () => {
    const a = linearRegression({ generator: new Generator(3) });
    const b = linearRegression({ generator: new Generator(3) });
    expect(Array.from(a.y.data)).toEqual(Array.from(b.y.data));
    const c = linearRegression({
      n: 3,
      slope: -1,
      intercept: 4,
      noise: 0,
      dtype: 'float64',
      generator: new Generator(0),
    });
    expect(c.y.dtype).toBe('float64');
    for (let i = 0; i < 3; i++) expect(c.y.data[i]).toBe(4 - c.x.data[i]);
  });

  it('rejects bad options', () => {
    expect(() => linearRegression({ n: 0 })).toThrow(/linearRegression: n must be an integer >= 1, got 0/);
    expect(() => linearRegression({ noise: -1 })).toThrow(/noise must be a finite number >= 0, got -1/);
    expect(() => linearRegression({ dtype: 'int32' as 'float32' })).toThrow(ValueError);
    expect(() => linearRegression({ slope: Number.NaN })).toThrow(/slope must be a finite number/);
  });
});

describe('moons', () => {
  it('puts class 0 on the upper unit half circle and class 1 on the shifted lower one', () => {
    const data = moons({ n: 101, shuffle: false });
    expect(data.x.shape).toEqual([101, 2]);
    expect(data.y.dtype).toBe('int32');
    expect(classCounts(data.y.data)).toEqual([50, 51]);
    const rows = points(data);
    expect(rows[0][0]).toBeCloseTo(1, 6);
    expect(rows[0][1]).toBeCloseTo(0, 6);
    expect(rows[49][0]).toBeCloseTo(-1, 6);
    expect(rows[50].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 0.5, 1]);
    for (const [px, py, label] of rows) {
      if (label === 0) expect(Math.hypot(px, py)).toBeCloseTo(1, 6);
      else expect(Math.hypot(px - 1, py - 0.5)).toBeCloseTo(1, 6);
    }
  });

  it('adds noise of the requested spread, reproducibly', () => {
    const clean = points(moons({ n: 2000, shuffle: false }));
    const noisy = points(moons({ n: 2000, noise: 0.2, shuffle: false, dtype: 'float64', generator: new Generator(0) }));
    let ss = 0;
    for (let i = 0; i < clean.length; i++) ss += (noisy[i][0] - clean[i][0]) ** 2 + (noisy[i][1] - clean[i][1]) ** 2;
    expect(Math.sqrt(ss / (2 * clean.length))).toBeCloseTo(0.2, 2);
    const again = points(moons({ n: 2000, noise: 0.2, shuffle: false, dtype: 'float64', generator: new Generator(0) }));
    expect(again).toEqual(noisy);
  });

  it('shuffles by default, keeping each point with its label', () => {
    const ordered = points(moons({ n: 40, shuffle: false })).map((r) => r.join());
    const shuffled = points(moons({ n: 40, generator: new Generator(2) })).map((r) => r.join());
    expect(shuffled).not.toEqual(ordered);
    expect([...shuffled].sort()).toEqual([...ordered].sort());
  });
});

describe('circles', () => {
  it('puts class 0 on the unit circle and class 1 on the circle of radius factor', () => {
    const data = circles({ n: 20, factor: 0.5, shuffle: false });
    expect(classCounts(data.y.data)).toEqual([10, 10]);
    for (const [px, py, label] of points(data)) expect(Math.hypot(px, py)).toBeCloseTo(label === 0 ? 1 : 0.5, 6);
    const rows = points(data);
    expect(rows[0][0]).toBeCloseTo(1, 6);
    expect(rows[1][0]).toBeCloseTo(Math.cos((2 * Math.PI) / 10), 6);
  });

  it('rejects a factor outside [0, 1)', () => {
    expect(() => circles({ factor: 1 })).toThrow(/circles: factor must be in \[0, 1\), got 1/);
  });
});

describe('twoSpirals', () => {
  it('makes two spirals of radius s and angle 2π turns s, the second turned by π', () => {
    const data = twoSpirals({ n: 200, turns: 2, shuffle: false, dtype: 'float64' });
    const rows = points(data);
    expect(classCounts(data.y.data)).toEqual([100, 100]);
    for (let k = 0; k < 100; k++) {
      const s = (k + 1) / 100;
      const theta = 4 * Math.PI * s;
      expect(rows[k][0]).toBeCloseTo(s * Math.cos(theta), 12);
      expect(rows[k][1]).toBeCloseTo(s * Math.sin(theta), 12);
      expect(rows[100 + k][0]).toBeCloseTo(-rows[k][0], 12);
      expect(rows[100 + k][1]).toBeCloseTo(-rows[k][1], 12);
    }
    expect(rows[99][0]).toBeCloseTo(1, 12);
    expect(rows[99][1]).toBeCloseTo(0, 12);
  });

  it('rejects non-positive turns', () => {
    expect(() => twoSpirals({ turns: 0 })).toThrow(/twoSpirals: turns must be a positive number, got 0/);
  });
});

describe('xor', () => {
  it('cycles through the XOR truth table', () => {
    const data = xor({ n: 8, shuffle: false });
    expect(data.x.toArray()).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    expect(data.y.toArray()).toEqual([0, 1, 1, 0, 0, 1, 1, 0]);
  });

  it('keeps every noisy point nearest to its own corner for small noise', () => {
    for (const [px, py, label] of points(xor({ n: 400, noise: 0.1, generator: new Generator(0) })))
      expect(Number(px > 0.5) ^ Number(py > 0.5)).toBe(label);
  });

  it('rejects a bad n or noise and a bad generator', () => {
    expect(() => xor({ n: 2.5 })).toThrow(/xor: n must be an integer >= 1, got 2.5/);
    expect(() => xor({ noise: Number.POSITIVE_INFINITY })).toThrow(/xor: noise must be a finite number >= 0/);
    expect(() => xor({ generator: {} as Generator })).toThrow(/xor: generator must be a Generator/);
  });

  it('refuses options a set does not know (scikit-learn names, a typo), each set with its own', () => {
    expect(() => moons({ n_samples: 10 } as never)).toThrow(/moons: unknown option "n_samples"/);
    expect(() => circles({ factor: 0.5, noize: 0.1 } as never)).toThrow(
      /circles: unknown option "noize" \(did you mean "noise"\?\)/,
    );
    expect(() => twoSpirals({ factor: 0.5 } as never)).toThrow(
      /twoSpirals: unknown option "factor"; options are .*turns/,
    );
    expect(() => linearRegression({ coef: 2 } as never)).toThrow(/linearRegression: unknown option "coef"/);
    expect(circles({ n: 10, factor: 0.5 }).x.shape).toEqual([10, 2]);
    expect(twoSpirals({ n: 10, turns: 2 }).x.shape).toEqual([10, 2]);
  });
});
