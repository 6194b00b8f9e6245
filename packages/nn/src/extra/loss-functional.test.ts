import {
  DTypeError,
  Generator,
  gradcheck,
  IndexError,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { expectValues, intTensor, REDUCTIONS, randomTensor, snapshot, uniformTensor } from '../losses/test-utils';
import { gaussianNllLoss } from './loss-gaussian-nll';
import { multiMarginLoss } from './loss-multi-margin';
import { poissonNllLoss } from './loss-poisson-nll';
import { multilabelSoftMarginLoss, softMarginLoss } from './loss-soft-margin';
import { tripletMarginLoss } from './loss-triplet-margin';

const f64 = (values: number[] | number[][], requiresGrad = false) => tensor(values, { dtype: 'float64', requiresGrad });

describe('losses: values from their formulas', () => {
  it('poissonNllLoss: log input, rate input and the Stirling term where target > 1', () => {
    const x = f64([0, 1, 2]);
    const t = f64([0, 1, 3]);
    expectValues(poissonNllLoss(x, t, { reduction: 'none' }), [1, Math.E - 1, Math.exp(2) - 6]);
    expectValues(poissonNllLoss(f64([0.5, 1, 2]), t, { reduction: 'none', logInput: false, eps: 0 }), [
      0.5,
      1,
      2 - 3 * Math.log(2),
    ]);
    expectValues(poissonNllLoss(f64([0]), f64([1]), { logInput: false }), -Math.log(1e-8));
    const stirling = 3 * Math.log(3) - 3 + 0.5 * Math.log(2 * Math.PI * 3);
    expectValues(poissonNllLoss(x, t, { reduction: 'none', full: true }), [1, Math.E - 1, Math.exp(2) - 6 + stirling]);
  });

  it('softMarginLoss and multilabelSoftMarginLoss', () => {
    expectValues(softMarginLoss(f64([0, 2]), f64([1, -1]), { reduction: 'none' }), [Math.LN2, Math.log1p(Math.exp(2))]);
    const x = f64([[0, 1]]);
    const y = f64([[1, 0]]);
    const l = (Math.LN2 + Math.log1p(Math.E)) / 2;
    expectValues(multilabelSoftMarginLoss(x, y, { reduction: 'none' }), [l], 1e-14, [1]);
    const w = f64([2, 0]);
    expectValues(multilabelSoftMarginLoss(x, y, { weight: w }), Math.LN2);
  });

  it('multiMarginLoss: hinge over the other classes, divided by C, weighted by the target class', () => {
    const x = f64([[0.1, 0.2, 0.4, 0.8]]);
    expectValues(multiMarginLoss(x, intTensor([1], [3])), (0.3 + 0.4 + 0.6) / 4);
    expectValues(multiMarginLoss(x, intTensor([1], [3]), { p: 2 }), (0.09 + 0.16 + 0.36) / 4);
    const w = f64([1, 1, 1, 2]);
    expectValues(multiMarginLoss(x, intTensor([1], [3]), { weight: w, margin: 0.5 }), (2 * 0.1) / 4);
    expect(multiMarginLoss(f64([1, 2, 3]), intTensor([], [0]), { reduction: 'none' }).shape).toEqual([]);
    expect(multiMarginLoss(f64([1, 2, 3]), intTensor([1], [0]), { reduction: 'none' }).shape).toEqual([1]);
  });

  it('multiMarginLoss gives gradient 0 at the hinge, as PyTorch', () => {
    const x = f64([[1.5, 0.5, -3]], true);
    multiMarginLoss(x, intTensor([1], [0]), { reduction: 'sum' }).backward();
    expectValues(x.grad as Tensor, [0, 0, 0]);
  });

  it('tripletMarginLoss: ‖a - p + eps‖ - ‖a - n + eps‖ + margin, clamped at 0; swap takes the smaller distance', () => {
    const a = f64([[0, 0]]);
    const p = f64([[3, 4]]);
    const n = f64([[6, 8]]);
    expectValues(tripletMarginLoss(a, p, n, { eps: 0, margin: 6 }), 1);
    expectValues(tripletMarginLoss(a, p, n, { eps: 0, margin: 1 }), 0);
    expectValues(tripletMarginLoss(a, p, n, { eps: 0, margin: 1, swap: true }), 1);
    expectValues(tripletMarginLoss(a, p, n, { eps: 0, p: 1, margin: 8 }), 1);
  });

  it('gaussianNllLoss: var broadcasting rules and the clamp at eps', () => {
    const x = f64([[0, 1]]);
    const t = f64([[1, 1]]);
    expectValues(gaussianNllLoss(x, t, f64([[1, 1]])), 0.25);
    expectValues(gaussianNllLoss(x, t, f64([1])), 0.25);
    expectValues(gaussianNllLoss(x, t, f64([[1]])), 0.25);
    const full = 0.25 + 0.5 * Math.log(2 * Math.PI);
    expectValues(gaussianNllLoss(x, t, f64([1]), { full: true }), full);
    expectValues(gaussianNllLoss(x, t, f64([[0, 0]]), { eps: 0.5, reduction: 'none' }), [
      0.5 * (Math.log(0.5) + 2),
      0.5 * Math.log(0.5),
    ]);
  });

  it('gaussianNllLoss passes the variance gradient through the clamp unchanged (PyTorch clamps under no_grad)', () => {
    const v = f64([0, 4], true);
    gaussianNllLoss(f64([1, 2]), f64([0, 0]), v, { eps: 0.5, reduction: 'sum' }).backward();
    // d/dv of ½(log v + d²/v) = ½(1/v - d²/v²), at the clamped v = 0.5 and at v = 4
    expectValues(v.grad as Tensor, [0.5 * (2 - 4), 0.5 * (0.25 - 4 / 16)]);
  });

  it('every reduction: sum is the sum and mean the mean of none', () => {
    const gen = new Generator(15);
    const x = randomTensor([3, 4], gen);
    const y = uniformTensor([3, 4], gen, 0, 1);
    const sign = f64([1, -1, 1, 1, -1, -1, 1, -1, 1, 1, 1, -1]).reshape([3, 4]);
    const idx = intTensor([3], [0, 3, 2]);
    const fns: ((r: 'mean' | 'sum' | 'none') => Tensor)[] = [
      (reduction) => poissonNllLoss(x, y, { reduction, full: true }),
      (reduction) => softMarginLoss(x, sign, { reduction }),
      (reduction) => multilabelSoftMarginLoss(x, y, { reduction }),
      (reduction) => multiMarginLoss(x, idx, { reduction }),
      (reduction) => tripletMarginLoss(x, y, sign, { reduction }),
      (reduction) => gaussianNllLoss(x, y, y, { reduction }),
    ];
    for (const f of fns) {
      const none = Array.from(f('none').values);
      const total = none.reduce((s, v) => s + v, 0);
      expectValues(f('sum'), total);
      expectValues(f('mean'), total / none.length);
    }
    expect(REDUCTIONS).toHaveLength(3);
  });
});

describe('losses: gradcheck in float64', () => {
  const gen = new Generator(1516);
  it('poissonNllLoss (input and target)', () => {
    const x = randomTensor([3, 4], gen, { requiresGrad: true });
    const t = uniformTensor([3, 4], gen, 1.5, 4, true);
    expect(gradcheck((a, b) => poissonNllLoss(a, b), [x, t])).toBe(true);
    expect(gradcheck((a, b) => poissonNllLoss(a, b, { full: true, reduction: 'sum' }), [x, t])).toBe(true);
    const rate = uniformTensor([3, 4], gen, 0.2, 3, true);
    expect(gradcheck((a, b) => poissonNllLoss(a, b, { logInput: false, reduction: 'none' }), [rate, t])).toBe(true);
  });

  it('softMarginLoss and multilabelSoftMarginLoss', () => {
    const x = randomTensor([3, 4], gen, { requiresGrad: true });
    const sign = f64([1, -1, 1, 1, -1, -1, 1, -1, 1, 1, 1, -1]).reshape([3, 4]);
    expect(gradcheck((a) => softMarginLoss(a, sign), [x])).toBe(true);
    const y = uniformTensor([3, 4], gen, 0, 1, true);
    const w = uniformTensor([4], gen, 0.5, 2);
    expect(gradcheck((a, b) => multilabelSoftMarginLoss(a, b, { weight: w, reduction: 'none' }), [x, y])).toBe(true);
  });

  it('multiMarginLoss, p = 1 and 2, weighted', () => {
    const x = randomTensor([4, 5], gen, { requiresGrad: true });
    const idx = intTensor([4], [0, 4, 2, 2]);
    const w = uniformTensor([5], gen, 0.5, 2);
    expect(gradcheck((a) => multiMarginLoss(a, idx, { margin: 0.7 }), [x])).toBe(true);
    expect(gradcheck((a) => multiMarginLoss(a, idx, { p: 2, weight: w, reduction: 'none' }), [x])).toBe(true);
  });

  it('tripletMarginLoss, p = 2, 1 and 3, with swap', () => {
    const a = randomTensor([4, 3], gen, { requiresGrad: true });
    const p = randomTensor([4, 3], gen, { requiresGrad: true });
    const n = randomTensor([4, 3], gen, { requiresGrad: true });
    expect(gradcheck((x, y, z) => tripletMarginLoss(x, y, z, { margin: 2 }), [a, p, n])).toBe(true);
    expect(gradcheck((x, y, z) => tripletMarginLoss(x, y, z, { p: 3, swap: true, margin: 3 }), [a, p, n])).toBe(true);
  });

  it('gaussianNllLoss w.r.t. input, target and var (heteroscedastic and shared)', () => {
    const x = randomTensor([3, 4], gen, { requiresGrad: true });
    const t = randomTensor([3, 4], gen, { requiresGrad: true });
    const v = uniformTensor([3, 4], gen, 0.2, 2, true);
    const v1 = uniformTensor([3], gen, 0.2, 2, true);
    expect(gradcheck((a, b, c) => gaussianNllLoss(a, b, c, { full: true }), [x, t, v])).toBe(true);
    expect(gradcheck((a, b, c) => gaussianNllLoss(a, b, c, { reduction: 'none' }), [x, t, v1])).toBe(true);
  });
});

describe('losses: bad input is rejected before computing', () => {
  const x = f64([
    [1, 2, 3],
    [4, 5, 6],
  ]);

  it('shapes that do not match', () => {
    expect(() => poissonNllLoss(x, f64([1, 2, 3]))).toThrow(
      /poissonNllLoss: input has shape \[2,3\] but target has shape \[3\]/,
    );
    expect(() => softMarginLoss(x, f64([1, 2, 3]))).toThrow(ShapeError);
    expect(() => multilabelSoftMarginLoss(x, f64([[1, 0]]))).toThrow(ShapeError);
    expect(() => multilabelSoftMarginLoss(f64(1 as never), f64(1 as never))).toThrow(/class dimension/);
    expect(() => multilabelSoftMarginLoss(x, x, { weight: f64([1, 2]) })).toThrow(
      /multilabelSoftMarginLoss: weight of shape \[2\] cannot be broadcast to the input shape \[2,3\]/,
    );
    expect(() => multiMarginLoss(x, intTensor([3], [0, 1, 2]))).toThrow(
      /multiMarginLoss: target of shape \[3\] does not fit input of shape \[2,3\]/,
    );
    expect(() => multiMarginLoss(x, intTensor([2], [0, 1]), { weight: f64([1, 2]) })).toThrow(
      /multiMarginLoss: weight must be 1-D with one element per class \[3\], got shape \[2\]/,
    );
    expect(() => multiMarginLoss(tensor([[[1]]], { dtype: 'float64' }), intTensor([1], [0]))).toThrow(ShapeError);
    expect(() => tripletMarginLoss(x, x, f64([1, 2, 3]))).toThrow(
      /tripletMarginLoss: the inputs must have the same number of dimensions \(at least 1\), got anchor \[2,3\], positive \[2,3\] and negative \[3\]/,
    );
    expect(() => tripletMarginLoss(x, x, f64([[1, 2]]))).toThrow(/cannot be broadcast together/);
    expect(() => gaussianNllLoss(x, x, f64([1, 2, 3]))).toThrow(
      /gaussianNllLoss: var of shape \[3\] does not fit input of shape \[2,3\]/,
    );
    expect(() => gaussianNllLoss(x, f64([1, 2, 3]), x)).toThrow(ShapeError);
  });

  it('invalid options and values', () => {
    const idx = intTensor([2], [0, 2]);
    expect(() => multiMarginLoss(x, idx, { p: 3 })).toThrow(/multiMarginLoss: p must be 1 or 2, got 3/);
    expect(() => multiMarginLoss(x, idx, { margin: Number.NaN })).toThrow(ValueError);
    expect(() => multiMarginLoss(x, intTensor([2], [0, 3]))).toThrow(IndexError);
    expect(() => multiMarginLoss(x, intTensor([2], [0, -1]))).toThrow(/target -1 at index 1 is out of range for 3/);
    expect(() => multiMarginLoss(x, f64([0, 1]))).toThrow(DTypeError);
    expect(() => tripletMarginLoss(x, x, x, { p: 0 })).toThrow(/tripletMarginLoss: p must be a positive number/);
    expect(() => tripletMarginLoss(x, x, x, { swap: 1 as never })).toThrow(/swap must be a boolean/);
    expect(() =>
      gaussianNllLoss(
        x,
        x,
        f64([
          [1, 1, 1],
          [1, -1, 1],
        ]),
      ),
    ).toThrow(/gaussianNllLoss: var must be non-negative, got -1 at flat index 4/);
    expect(() => poissonNllLoss(x, x, { eps: Number.POSITIVE_INFINITY })).toThrow(/eps must be a finite number/);
    expect(() => poissonNllLoss(x, x, { reduction: 'avg' as never })).toThrow(/reduction must be/);
    expect(() => softMarginLoss(tensor([1], { dtype: 'int32' }), f64([1]))).toThrow(DTypeError);
  });

  it('does not change its inputs', () => {
    const v = f64(
      [
        [0, 1e-9, 1],
        [1, 2, 3],
      ],
      true,
    );
    const xg = f64(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      true,
    );
    const unchanged = snapshot(xg, v);
    gaussianNllLoss(xg, x, v).backward();
    multiMarginLoss(xg, intTensor([2], [0, 2]), { weight: f64([1, 2, 3]) }).backward();
    unchanged();
  });
});
