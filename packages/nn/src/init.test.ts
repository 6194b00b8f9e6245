import { DTypeError, Generator, manualSeed, type Tensor, ValueError, zeros as zerosTensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import {
  calculateFanInAndFanOut,
  calculateGain,
  constant,
  kaimingNormal,
  kaimingUniform,
  normal,
  ones,
  orthogonal,
  truncNormal,
  uniform,
  xavierNormal,
  xavierUniform,
  zeros,
} from './init';

const f64 = (shape: number[]) => zerosTensor(shape, { dtype: 'float64' });
const gen = (seed: number) => ({ generator: new Generator(seed) });

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const d = t.data;
  let s = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < d.length; i++) {
    s += d[i];
    min = Math.min(min, d[i]);
    max = Math.max(max, d[i]);
  }
  const mean = s / d.length;
  let v = 0;
  for (let i = 0; i < d.length; i++) v += (d[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / d.length), min, max };
}

/** `W Wᵀ` (rows x rows) of a tensor viewed as [rows, size/rows]. */
function gram(t: Tensor, transposeFirst: boolean): number[][] {
  const rows = t.shape[0];
  const cols = t.size / rows;
  const [n, k] = transposeFirst ? [cols, rows] : [rows, cols];
  const at = (i: number, j: number) => (transposeFirst ? t.data[j * cols + i] : t.data[i * cols + j]);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    out.push([]);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += at(i, l) * at(j, l);
      out[i].push(s);
    }
  }
  return out;
}

function expectIdentity(m: number[][], scale = 1, tol = 1e-12): void {
  for (let i = 0; i < m.length; i++)
    for (let j = 0; j < m[i].length; j++) expect(Math.abs(m[i][j] - (i === j ? scale : 0))).toBeLessThan(tol);
}

describe('calculateGain', () => {
  it("gives PyTorch's gains", () => {
    for (const n of ['linear', 'conv1d', 'conv2d', 'conv3d', 'convTranspose2d', 'sigmoid'] as const)
      expect(calculateGain(n)).toBe(1);
    expect(calculateGain('tanh')).toBe(5 / 3);
    expect(calculateGain('relu')).toBe(Math.SQRT2);
    expect(calculateGain('leakyRelu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(calculateGain('leakyRelu', 0.2)).toBeCloseTo(1.3867504905630728, 15);
    expect(calculateGain('leakyRelu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(calculateGain('selu')).toBe(0.75);
    // PyTorch's own spellings
    expect(calculateGain('leaky_relu', 0.2)).toBe(calculateGain('leakyRelu', 0.2));
    expect(calculateGain('leaky_relu')).toBe(calculateGain('leakyRelu'));
    expect(calculateGain('conv_transpose2d')).toBe(1);
    expect(() => calculateGain('swish' as 'relu')).toThrow(/calculateGain: unsupported nonlinearity "swish"/);
  });

  it('computes fans like PyTorch', () => {
    expect(calculateFanInAndFanOut(zerosTensor([8, 3, 5, 5]))).toEqual({ fanIn: 75, fanOut: 200 });
    expect(calculateFanInAndFanOut(zerosTensor([4, 6]))).toEqual({ fanIn: 6, fanOut: 4 });
    expect(() => calculateFanInAndFanOut(zerosTensor([5]))).toThrow(/fewer than 2 dimensions, got shape \[5\]/);
  });
});

describe('simple initialisers', () => {
  it('uniform fills U(a, b) in place', () => {
    const t = f64([20000]);
    expect(uniform(t, -3, 1, gen(1))).toBe(t);
    const s = stats(t);
    expect(s.min).toBeGreaterThanOrEqual(-3);
    expect(s.max).toBeLessThan(1);
    expect(Math.abs(s.mean - -1)).toBeLessThan(0.03);
    expect(Math.abs(s.std - 4 / Math.sqrt(12))).toBeLessThan(0.02);
  });

  it('normal fills N(mean, std²) in place', () => {
    const t = f64([20000]);
    expect(normal(t, 2, 0.5, gen(2))).toBe(t);
    const s = stats(t);
    expect(Math.abs(s.mean - 2)).toBeLessThan(0.015);
    expect(Math.abs(s.std - 0.5)).toBeLessThan(0.01);
  });

  it('constant, zeros and ones fill in place, also int32 tensors', () => {
    const t = f64([3]);
    expect(Array.from(constant(t, 0.25).data)).toEqual([0.25, 0.25, 0.25]);
    expect(Array.from(ones(t).data)).toEqual([1, 1, 1]);
    expect(Array.from(zeros(t).data)).toEqual([0, 0, 0]);
    expect(Array.from(ones(zerosTensor([2], { dtype: 'int32' })).data)).toEqual([1, 1]);
  });

  it('draw from the global generator unless one is given, so manualSeed makes them reproducible', () => {
    manualSeed(5);
    const a = uniform(f64([10]));
    manualSeed(5);
    const b = uniform(f64([10]));
    const c = uniform(f64([10]));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(b.data)).not.toEqual(Array.from(c.data));
    expect(Array.from(normal(f64([5]), 0, 1, gen(3)).data)).toEqual(Array.from(normal(f64([5]), 0, 1, gen(3)).data));
  });

  it('reject bad arguments', () => {
    expect(() => uniform(zerosTensor([2], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => uniform(f64([2]), 1, 0)).toThrow('uniform: a must be <= b, got a = 1 and b = 0');
    expect(() => normal(f64([2]), 0, -1)).toThrow('normal: std must be >= 0, got -1');
    expect(() => uniform([1, 2] as unknown as Tensor)).toThrow('uniform: tensor must be a Tensor');
  });
});

describe('Xavier and Kaiming', () => {
  it('xavierUniform draws U(±gain·√(6/(fanIn + fanOut)))', () => {
    const t = f64([200, 300]);
    xavierUniform(t, 2, gen(4));
    const bound = 2 * Math.sqrt(6 / 500);
    const s = stats(t);
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.max).toBeGreaterThan(0.999 * bound);
    expect(Math.abs(s.std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.01);
  });

  it('xavierNormal draws N(0, (gain·√(2/(fanIn + fanOut)))²), using the receptive field', () => {
    const t = f64([64, 32, 3, 3]);
    xavierNormal(t, calculateGain('tanh'), gen(5));
    const std = (5 / 3) * Math.sqrt(2 / (32 * 9 + 64 * 9));
    const s = stats(t);
    expect(Math.abs(s.mean)).toBeLessThan(0.05 * std);
    // 18432 samples: the standard error of the sample std is about 0.5%
    expect(Math.abs(s.std / std - 1)).toBeLessThan(0.02);
  });

  it('kaimingUniform draws U(±gain·√(3/fan)) for fanIn and fanOut', () => {
    const t = f64([256, 128]);
    kaimingUniform(t, gen(6));
    const bound = Math.sqrt(2 / (1 + 0)) * Math.sqrt(3 / 128);
    let s = stats(t);
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.max).toBeGreaterThan(0.999 * bound);
    kaimingUniform(t, { mode: 'fanOut', nonlinearity: 'relu', ...gen(7) });
    s = stats(t);
    const boundOut = Math.SQRT2 * Math.sqrt(3 / 256);
    expect(s.max).toBeLessThanOrEqual(boundOut);
    expect(s.max).toBeGreaterThan(0.999 * boundOut);
    // PyTorch's Linear default: a = √5 gives U(±1/√fanIn)
    kaimingUniform(t, { a: Math.sqrt(5), ...gen(8) });
    s = stats(t);
    expect(s.max).toBeLessThanOrEqual(1 / Math.sqrt(128));
    expect(s.max).toBeGreaterThan(0.999 / Math.sqrt(128));
  });

  it('kaimingNormal draws N(0, (gain/√fan)²)', () => {
    const t = f64([128, 64, 3, 3]);
    kaimingNormal(t, { mode: 'fanOut', nonlinearity: 'relu', ...gen(9) });
    const std = Math.SQRT2 / Math.sqrt(128 * 9);
    const s = stats(t);
    expect(Math.abs(s.std / std - 1)).toBeLessThan(0.01);
    expect(Math.abs(s.mean)).toBeLessThan(0.05 * std);
    kaimingNormal(t, { a: 0.2, ...gen(10) });
    expect(Math.abs(stats(t).std / (calculateGain('leakyRelu', 0.2) / Math.sqrt(64 * 9)) - 1)).toBeLessThan(0.01);
  });

  it('reject tensors without fans and unknown modes', () => {
    expect(() => xavierUniform(f64([5]))).toThrow(/xavierUniform: fan in and fan out can not be computed/);
    expect(() => kaimingNormal(f64([3, 3]), { mode: 'fan' as 'fanIn' })).toThrow(
      `kaimingNormal: mode must be 'fanIn' or 'fanOut' (or 'fan_in', 'fan_out'), got "fan"`,
    );
    // PyTorch's spellings of the modes draw the same values
    for (const [torchName, name] of [
      ['fan_in', 'fanIn'],
      ['fan_out', 'fanOut'],
    ] as const) {
      const a = kaimingNormal(f64([4, 6]), { mode: torchName, ...gen(3) });
      const b = kaimingNormal(f64([4, 6]), { mode: name, ...gen(3) });
      expect(Array.from(a.values)).toEqual(Array.from(b.values));
    }
    expect(() => xavierNormal(zerosTensor([2, 2], { dtype: 'int32' }))).toThrow(DTypeError);
  });
});

describe('truncNormal', () => {
  // For a standard normal truncated to [-2, 2]: Var = 1 - 2·2·φ(2) / (Φ(2) - Φ(-2)).
  const phi2 = 0.05399096651318806;
  const cdf2 = 0.9772498680518208;

  it('stays within [a, b] with the truncated distribution mean and std', () => {
    const t = f64([20000]);
    expect(truncNormal(t, 0, 1, -2, 2, gen(1))).toBe(t);
    const s = stats(t);
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThanOrEqual(2);
    expect(s.max).toBeGreaterThan(1.95);
    expect(Math.abs(s.mean)).toBeLessThan(0.015);
    const expectedStd = Math.sqrt(1 - (4 * phi2) / (2 * cdf2 - 1));
    expect(Math.abs(s.std - expectedStd)).toBeLessThan(0.01);
  });

  it('samples a one-sided interval with the right mean, and far tails without collapsing', () => {
    const t = f64([20000]);
    truncNormal(t, 0, 1, 1, 3, gen(2));
    const s = stats(t);
    expect(s.min).toBeGreaterThanOrEqual(1);
    expect(s.max).toBeLessThanOrEqual(3);
    // E[X | 1 < X < 3] = (φ(1) - φ(3)) / (Φ(3) - Φ(1)) = 1.51005...
    const expectedMean = (0.24197072451914337 - 0.0044318484119380075) / (0.9986501019683699 - 0.8413447460685429);
    expect(Math.abs(s.mean - expectedMean)).toBeLessThan(0.01);
    const tail = f64([2000]);
    truncNormal(tail, 0, 1, 8, 9, gen(3));
    const ts = stats(tail);
    expect(ts.min).toBeGreaterThanOrEqual(8);
    expect(ts.max).toBeLessThanOrEqual(9);
    expect(new Set(tail.data).size).toBeGreaterThan(1900);
    // the mean of N(0,1) beyond 8 is about 8 + 1/8
    expect(Math.abs(ts.mean - 8.12)).toBeLessThan(0.02);
  });

  it('scales and shifts with mean and std, and uses absolute bounds', () => {
    const t = zerosTensor([5000]);
    truncNormal(t, 1, 0.02, 0.97, 2, gen(4));
    const s = stats(t);
    expect(s.min).toBeGreaterThanOrEqual(0.97);
    expect(Math.abs(s.mean - 1.0006)).toBeLessThan(0.002);
    expect(() => truncNormal(f64([2]), 0, 1, 1, 1)).toThrow('truncNormal: a must be < b, got a = 1 and b = 1');
    expect(() => truncNormal(f64([2]), 0, 0)).toThrow('truncNormal: std must be > 0, got 0');
  });
});

describe('orthogonal', () => {
  it('gives WᵀW = I for a tall matrix and WWᵀ = I for a wide one', () => {
    const tall = orthogonal(f64([7, 4]), 1, gen(1));
    expectIdentity(gram(tall, true));
    const wide = orthogonal(f64([3, 8]), 1, gen(2));
    expectIdentity(gram(wide, false));
    const square = orthogonal(f64([5, 5]), 1, gen(3));
    expectIdentity(gram(square, true));
    expectIdentity(gram(square, false));
  });

  it('flattens trailing dimensions, scales by gain and is seeded', () => {
    const conv = orthogonal(f64([4, 2, 3, 3]), 2, gen(4));
    expectIdentity(gram(conv, false), 4);
    const again = orthogonal(f64([4, 2, 3, 3]), 2, gen(4));
    expect(Array.from(again.data)).toEqual(Array.from(conv.data));
    const other = orthogonal(f64([4, 2, 3, 3]), 2, gen(5));
    expect(Array.from(other.data)).not.toEqual(Array.from(conv.data));
    const f32 = orthogonal(zerosTensor([6, 3]), 1, gen(6));
    expectIdentity(gram(f32, true), 1, 1e-6);
    expect(() => orthogonal(f64([4]))).toThrow(/orthogonal: only tensors with 2 or more dimensions are supported/);
  });

  it('is not biased in sign: the diagonal of many draws averages to about zero', () => {
    let sum = 0;
    for (let seed = 0; seed < 400; seed++) sum += orthogonal(f64([3, 3]), 1, gen(seed)).data[0];
    expect(Math.abs(sum / 400)).toBeLessThan(0.1);
  });

  it('rejects integer tensors', () => {
    expect(() => orthogonal(zerosTensor([2, 2], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => constant(f64([2]), Number.NaN)).toThrow(ValueError);
  });
});
