import {
  DTypeError,
  Generator,
  gradcheck,
  gradgradcheck,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { layerNorm } from '../functional/normalization';
import { groupNorm, instanceNorm, rmsNorm } from './norm-functional';
import { GroupNorm, InstanceNorm1d, InstanceNorm2d, RMSNorm } from './norm-layers';

const f64 = (shape: number[], seed: number, requiresGrad = false): Tensor =>
  randn(shape, { dtype: 'float64', generator: new Generator(seed), requiresGrad });

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol * Math.max(1, Math.abs(expected[i]))))
      throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]} (error ${err})`);
  }
}

describe('groupNorm / GroupNorm', () => {
  it('with one group is layer norm over [C, *], and with C groups is instance norm', () => {
    const x = f64([2, 4, 3], 1);
    const viaLayerNorm = layerNorm(x, [4, 3]);
    expectClose(groupNorm(x, 1).values, viaLayerNorm.values);
    expectClose(groupNorm(x, 4).values, instanceNorm(x).values);
  });

  it('normalises each group of consecutive channels to mean 0 and biased variance 1', () => {
    const x = tensor(
      [
        [
          [1, 3],
          [5, 7],
          [0, 10],
          [2, 2],
        ],
      ],
      { dtype: 'float64' },
    ); // [1, 4, 2], 2 groups
    const y = groupNorm(x, 2, null, null, 0);
    // group 0: values 1, 3, 5, 7 (mean 4, variance 5); group 1: 0, 10, 2, 2 (mean 3.5, variance 14.75)
    const g0 = [1, 3, 5, 7].map((v) => (v - 4) / Math.sqrt(5));
    const g1 = [0, 10, 2, 2].map((v) => (v - 3.5) / Math.sqrt(14.75));
    expectClose(y.values, [...g0, ...g1]);
  });

  it('has gradients (and second derivatives) for input, weight and bias', () => {
    const x = f64([2, 6, 3], 2, true);
    const w = f64([6], 3, true);
    const b = f64([6], 4, true);
    expect(gradcheck((a, ww, bb) => groupNorm(a, 3, ww, bb, 1e-3), [x, w, b])).toBe(true);
    expect(gradgradcheck((a, ww, bb) => groupNorm(a, 3, ww, bb, 1e-3), [x, w, b])).toBe(true);
  });

  it('GroupNorm has PyTorch parameters, names and defaults', () => {
    const gn = new GroupNorm(2, 6);
    expect(Object.keys(gn.stateDict())).toEqual(['weight', 'bias']);
    expect(Array.from(gn.weight?.values ?? [])).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(gn.bias?.values ?? [])).toEqual([0, 0, 0, 0, 0, 0]);
    expect(gn.eps).toBe(1e-5);
    expect(new GroupNorm(2, 6, { affine: false }).parameters()).toEqual([]);
    expect(gn.weight?.dtype).toBe('float32');
    expect(new GroupNorm(1, 2, { dtype: 'float64' }).weight?.dtype).toBe('float64');
  });

  it('rejects bad arguments before computing', () => {
    expect(() => new GroupNorm(4, 6)).toThrow(ValueError);
    expect(() => new GroupNorm(4, 6)).toThrow('GroupNorm(4, 6): numChannels (6) must be divisible by numGroups (4)');
    expect(() => new GroupNorm(0, 6)).toThrow(/numGroups must be an integer >= 1/);
    expect(() => new GroupNorm(2, 6, { eps: -1 })).toThrow(/eps must be a finite number >= 0/);
    expect(() => new GroupNorm(2, 6).forward(f64([2, 4, 3], 0))).toThrow(ShapeError);
    expect(() => new GroupNorm(2, 6).forward(f64([2, 4, 3], 0))).toThrow(
      'GroupNorm(2, 6): input has 4 channels in dimension 1, expected 6 (input shape [2,4,3])',
    );
    expect(() => new GroupNorm(2, 6).forward(f64([6], 0))).toThrow(/at least 2 dims/);
    expect(() => groupNorm(f64([2, 4, 3], 0), 3)).toThrow(
      'groupNorm: numGroups 3 does not divide the 4 channels of input shape [2,4,3]',
    );
    expect(() => groupNorm(f64([2, 4, 3], 0), 2, f64([3], 0))).toThrow(
      'groupNorm: weight must have shape [4], got [3]',
    );
    expect(() => groupNorm(f64([1, 2], 0), 2)).toThrow(/expected more than 1 value per channel/);
    expect(() => groupNorm(tensor([[1, 2]], { dtype: 'int32' }), 1)).toThrow(DTypeError);
  });
});

describe('instanceNorm / InstanceNorm1d / InstanceNorm2d', () => {
  it('normalises each sample and channel over its positions', () => {
    const x = tensor(
      [
        [
          [1, 2, 3],
          [0, 0, 6],
        ],
      ],
      { dtype: 'float64' },
    );
    const y = instanceNorm(x, null, null, null, null, true, 0.1, 0);
    expectClose(y.values, [-Math.sqrt(1.5), 0, Math.sqrt(1.5), -Math.SQRT1_2, -Math.SQRT1_2, Math.SQRT2]);
  });

  it('updates the running statistics with the batch mean of the instance statistics (unbiased variance)', () => {
    const norm = new InstanceNorm1d(2, { trackRunningStats: true, dtype: 'float64' });
    expect(Object.keys(norm.stateDict())).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    // sample 0: channel means 2 and 2, unbiased variances 1 and 12; sample 1: means 0 and 1, variances 4 and 4
    norm.forward(
      tensor(
        [
          [
            [1, 2, 3],
            [0, 0, 6],
          ],
          [
            [-2, 0, 2],
            [-1, 1, 3],
          ],
        ],
        { dtype: 'float64' },
      ),
    );
    expectClose(norm.runningMean?.values ?? [], [0.1 * 1, 0.1 * 1.5]);
    expectClose(norm.runningVar?.values ?? [], [0.9 + 0.1 * 2.5, 0.9 + 0.1 * 8]);
    expect(norm.numBatchesTracked?.item()).toBe(0); // PyTorch 1.13's instance norm never counts
    // eval mode normalises with the running statistics
    norm.eval();
    const y = norm.forward(tensor([[[1, 1]], [[2, 2]]], { dtype: 'float64' }).reshape([1, 2, 2]));
    const rm = norm.runningMean?.values ?? [];
    const rv = norm.runningVar?.values ?? [];
    expectClose(y.values, [
      (1 - rm[0]) / Math.sqrt(rv[0] + 1e-5),
      (1 - rm[0]) / Math.sqrt(rv[0] + 1e-5),
      (2 - rm[1]) / Math.sqrt(rv[1] + 1e-5),
      (2 - rm[1]) / Math.sqrt(rv[1] + 1e-5),
    ]);
  });

  it('without running statistics uses instance statistics in eval mode too', () => {
    const norm = new InstanceNorm2d(3).eval();
    expect(Object.keys(norm.stateDict())).toEqual([]);
    const x = f64([2, 3, 4, 4], 5);
    expectClose(norm.forward(x).values, instanceNorm(x).values);
  });

  it('accepts unbatched inputs as a batch of one', () => {
    const x = f64([3, 4, 5], 6);
    const norm = new InstanceNorm2d(3, { affine: true, dtype: 'float64' });
    const y = norm.forward(x);
    expect(y.shape).toEqual([3, 4, 5]);
    expectClose(y.values, norm.forward(x.reshape([1, 3, 4, 5])).values);
    const one = new InstanceNorm1d(3, { dtype: 'float64' });
    expect(one.forward(f64([3, 7], 7)).shape).toEqual([3, 7]);
  });

  it('has gradients (and second derivatives) for input, weight and bias', () => {
    const x = f64([2, 3, 5], 8, true);
    const w = f64([3], 9, true);
    const b = f64([3], 10, true);
    expect(gradcheck((a, ww, bb) => instanceNorm(a, null, null, ww, bb), [x, w, b])).toBe(true);
    expect(gradgradcheck((a, ww, bb) => instanceNorm(a, null, null, ww, bb), [x, w, b])).toBe(true);
    const rm = f64([3], 11);
    const rv = f64([3], 12).abs();
    expect(gradcheck((a, ww) => instanceNorm(a, rm, rv, ww, null, false), [x, w])).toBe(true);
  });

  it('rejects bad input before anything changes', () => {
    const norm = new InstanceNorm1d(3, { trackRunningStats: true });
    const before = Array.from(norm.runningMean?.values ?? []);
    expect(() => norm.forward(f64([2, 4, 5], 0))).toThrow(
      'InstanceNorm1d(3): input has 4 channels in dimension 1, expected 3 (input shape [2,4,5])',
    );
    expect(() => norm.forward(f64([2, 3, 1], 0))).toThrow(ValueError);
    expect(() => norm.forward(f64([2, 3, 1], 0))).toThrow(/expected more than 1 spatial element when training/);
    expect(() => norm.forward(f64([2, 3, 4, 5], 0))).toThrow(ShapeError);
    expect(() => new InstanceNorm2d(3).forward(f64([3, 5], 0))).toThrow(/expected a 3-D \[C, H, W\] or 4-D/);
    expect(() => new InstanceNorm2d(3).forward(f64([2, 5, 4], 0))).toThrow(/input has 2 channels in dimension 0/);
    expect(Array.from(norm.runningMean?.values ?? [])).toEqual(before);
    expect(() => new InstanceNorm1d(3, { momentum: 1.5 })).toThrow(/momentum must be in \[0, 1\]/);
    expect(() => new InstanceNorm1d(3, { momentum: null as unknown as number })).toThrow(
      'InstanceNorm1d(3): momentum must be in [0, 1], got null',
    );
    expect(() => new InstanceNorm1d(0)).toThrow(/numFeatures must be an integer >= 1/);
    expect(() => instanceNorm(f64([2, 3, 4], 0), null, null, null, null, false)).toThrow(
      'instanceNorm: runningMean and runningVar are required when useInputStats is false',
    );
    const rm = f64([3], 0);
    const snapshot = Array.from(rm.values);
    expect(() => instanceNorm(f64([2, 3, 4], 0), rm, f64([2], 0))).toThrow(
      'instanceNorm: runningVar must have shape [3], got [2]',
    );
    expect(Array.from(rm.values)).toEqual(snapshot);
  });
});

describe('rmsNorm / RMSNorm', () => {
  it('divides by the root mean square over the trailing dims and scales by the weight', () => {
    const y = rmsNorm(tensor([[3, 4]], { dtype: 'float64' }), [2], tensor([2, -1], { dtype: 'float64' }), 0);
    const rms = Math.sqrt(12.5);
    expectClose(y.values, [(2 * 3) / rms, -4 / rms]);
  });

  it("uses the input dtype's machine epsilon when eps is null", () => {
    const small = 1e-8;
    const y64 = rmsNorm(tensor([small, small], { dtype: 'float64' }), [2]);
    expectClose(y64.values, [small / Math.sqrt(small * small + 2 ** -52), small / Math.sqrt(small * small + 2 ** -52)]);
    const s32 = 1e-4;
    const y32 = rmsNorm(tensor([s32, s32], { dtype: 'float32' }), [2]);
    const want = Math.fround(s32) / Math.sqrt(Math.fround(s32) ** 2 + 2 ** -23);
    expectClose(y32.values, [want, want], 1e-6);
    // the module's default is the same
    expectClose(
      new RMSNorm(2, { dtype: 'float64' }).forward(tensor([small, small], { dtype: 'float64' })).values,
      y64.values,
    );
  });

  it('has gradients (and second derivatives) for input and weight', () => {
    const x = f64([2, 3, 4], 13, true);
    const w = f64([3, 4], 14, true);
    expect(gradcheck((a, ww) => rmsNorm(a, [3, 4], ww, 1e-6), [x, w])).toBe(true);
    expect(gradgradcheck((a, ww) => rmsNorm(a, [3, 4], ww, null), [x, w])).toBe(true);
  });

  it('RMSNorm has PyTorch 2.4 parameters, names and defaults', () => {
    const norm = new RMSNorm([3, 4]);
    expect(Object.keys(norm.stateDict())).toEqual(['weight']);
    expect(norm.weight?.shape).toEqual([3, 4]);
    expect(norm.eps).toBeNull();
    expect(new RMSNorm(4, { elementwiseAffine: false }).parameters()).toEqual([]);
  });

  it('rejects bad arguments', () => {
    expect(() => new RMSNorm(0)).toThrow(ValueError);
    expect(() => new RMSNorm([3, 4]).forward(f64([2, 4, 3], 0))).toThrow(
      'RMSNorm([3,4]): expected an input of shape [*, 3, 4], got [2,4,3]',
    );
    expect(() => new RMSNorm(4, { eps: -1 })).toThrow(/eps must be a finite number >= 0/);
    expect(() => rmsNorm(f64([2, 4], 0), [4], f64([3], 0))).toThrow('rmsNorm: weight must have shape [4], got [3]');
    expect(() => rmsNorm(f64([2, 4], 0), [5])).toThrow(ShapeError);
  });
});
