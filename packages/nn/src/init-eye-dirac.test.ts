import {
  cast,
  randn,
  SavedTensorModifiedError,
  type Tensor,
  tensor,
  ValueError,
  zeros as zerosTensor,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { dirac, eye } from './init';
import { Conv1d, Conv2d } from './layers/conv';
import { Conv3d } from './layers/conv3d';
import { Linear } from './layers/linear';

const filled = (shape: number[], value = 7, dtype: 'float32' | 'float64' = 'float64') =>
  zerosTensor(shape, { dtype }).add_(value);

/** The flat indices of the nonzero values, and whether every nonzero value is exactly 1. */
function ones(t: Tensor): { at: number[]; allOne: boolean } {
  const at: number[] = [];
  let allOne = true;
  const d = t.data;
  for (let i = 0; i < d.length; i++)
    if (d[i] !== 0) {
      at.push(i);
      if (d[i] !== 1) allOne = false;
    }
  return { at, allOne };
}

describe('init.eye', () => {
  it('writes the identity in place over old values and returns the same tensor', () => {
    const w = filled([3, 3]);
    expect(eye(w)).toBe(w);
    expect(w.toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
  });

  it('puts min(rows, cols) ones on the main diagonal of a rectangular matrix', () => {
    expect(eye(filled([2, 4])).toArray()).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
    ]);
    expect(eye(filled([3, 2], -1, 'float32')).toArray()).toEqual([
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(eye(zerosTensor([0, 3])).shape).toEqual([0, 3]);
  });

  it('accepts integer and 16-bit tensors', () => {
    expect(eye(zerosTensor([2, 2], { dtype: 'int32' })).toArray()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    const h = eye(cast(filled([2, 3], 5, 'float32'), 'float16'));
    expect(cast(h, 'float32').toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
  });

  it('rejects tensors that are not 2-D, naming the function and the shape', () => {
    expect(() => eye(zerosTensor([3]))).toThrow(ValueError);
    expect(() => eye(zerosTensor([2, 2, 2]))).toThrow(/eye: only 2-D tensors are supported, got .*\[2,2,2\]/);
    expect(() => eye([[1, 0]] as unknown as Tensor)).toThrow(/eye: tensor must be a Tensor/);
  });

  it("initialises a parameter that requires grad, counting the write in the parameter's version", () => {
    const lin = new Linear(3, 3, { dtype: 'float64' });
    const before = lin.weight.version;
    eye(lin.weight);
    expect(lin.weight.requiresGrad).toBe(true);
    expect(lin.weight.version).toBe(before + 1);
    const x = randn([2, 3], { dtype: 'float64' });
    const y = lin.forward(x);
    const bias = lin.bias?.toArray() as number[];
    const xs = x.toArray() as number[][];
    (y.toArray() as number[][]).forEach((row, i) => {
      row.forEach((v, j) => {
        expect(v).toBeCloseTo(xs[i][j] + bias[j], 12);
      });
    });
  });

  it('makes a graph that saved the old values refuse to backpropagate', () => {
    const w = tensor([[2, 3]], { dtype: 'float64', requiresGrad: true });
    const loss = w.mul(w).sum();
    eye(w);
    expect(() => loss.backward()).toThrow(SavedTensorModifiedError);
  });
});

describe('init.dirac', () => {
  it('puts a one at [d, d, centre] for a 3-D weight, zeros elsewhere', () => {
    const w = filled([2, 3, 3]);
    expect(dirac(w)).toBe(w);
    expect(w.toArray()).toEqual([
      [
        [0, 1, 0],
        [0, 0, 0],
        [0, 0, 0],
      ],
      [
        [0, 0, 0],
        [0, 1, 0],
        [0, 0, 0],
      ],
    ]);
  });

  it('uses floor(k / 2) as the centre of even kernels, per kernel dim (4-D and 5-D)', () => {
    // [out 2, in 2, 4, 3]: centre (2, 1) -> flat 2 * 3 + 1 = 7 within a 12-element kernel
    const { at, allOne } = ones(dirac(filled([2, 2, 4, 3])));
    expect(allOne).toBe(true);
    expect(at).toEqual([0 * 24 + 0 * 12 + 7, 1 * 24 + 1 * 12 + 7]);
    // [out 1, in 3, 2, 3, 4]: centre (1, 1, 2) -> 1 * 12 + 1 * 4 + 2 = 18 within 24
    expect(ones(dirac(filled([1, 3, 2, 3, 4]))).at).toEqual([18]);
  });

  it('keeps min(out, in) channels when they differ', () => {
    // more outputs than inputs: output channels 3 and 4 stay zero
    expect(ones(dirac(filled([4, 2, 1]))).at).toEqual([0, 3]);
    // more inputs than outputs: input channels 2.. are never the source
    expect(ones(dirac(filled([2, 5, 1]))).at).toEqual([0, 6]);
  });

  it('repeats the identity block in each of the groups', () => {
    // 6 outputs in 3 groups of 2, 2 inputs per group, kernel 3: one at [g*2 + d, d, 1]
    const { at, allOne } = ones(dirac(filled([6, 2, 3]), 3));
    expect(allOne).toBe(true);
    const expected: number[] = [];
    for (let g = 0; g < 3; g++) for (let d = 0; d < 2; d++) expected.push(((g * 2 + d) * 2 + d) * 3 + 1);
    expect(at).toEqual(expected);
    // groups of 3 outputs but only 1 input channel: one per group
    expect(ones(dirac(filled([6, 1, 1, 1]), 2)).at).toEqual([0, 3]);
  });

  it('makes a padded stride-1 convolution with a zero bias the identity', () => {
    const conv2 = new Conv2d(3, 3, 3, { padding: 1, dtype: 'float64' });
    dirac(conv2.weight);
    conv2.bias?.values.fill(0);
    conv2.bias?.markModified();
    const x = randn([2, 3, 4, 5], { dtype: 'float64' });
    expect(conv2.forward(x).toArray()).toEqual(x.toArray());
    const conv1 = new Conv1d(4, 4, 5, { padding: 2, groups: 2, bias: false, dtype: 'float64' });
    dirac(conv1.weight, 2);
    const x1 = randn([1, 4, 6], { dtype: 'float64' });
    expect(conv1.forward(x1).toArray()).toEqual(x1.toArray());
    const conv3 = new Conv3d(2, 2, 3, { padding: 1, bias: false, dtype: 'float64' });
    dirac(conv3.weight);
    const x3 = randn([1, 2, 3, 3, 3], { dtype: 'float64' });
    expect(conv3.forward(x3).toArray()).toEqual(x3.toArray());
  });

  it("counts the write in a parameter's version", () => {
    const conv = new Conv1d(2, 2, 3);
    const before = conv.weight.version;
    dirac(conv.weight);
    expect(conv.weight.version).toBe(before + 1);
    expect(conv.weight.requiresGrad).toBe(true);
  });

  it('rejects other ranks, bad groups and output channels that groups does not divide', () => {
    expect(() => dirac(zerosTensor([2, 2]))).toThrow(/dirac: only 3-, 4- or 5-D tensors are supported, got .*\[2,2\]/);
    expect(() => dirac(zerosTensor([1, 1, 1, 1, 1, 1]))).toThrow(ValueError);
    expect(() => dirac(zerosTensor([6, 2, 3]), 4)).toThrow(
      /dirac: dim 0 .*6 output channels.* divisible by groups = 4/,
    );
    expect(() => dirac(zerosTensor([6, 2, 3]), 0)).toThrow(/dirac: groups must be a positive integer, got 0/);
    expect(() => dirac(zerosTensor([6, 2, 3]), 1.5)).toThrow(ValueError);
    expect(() => dirac('w' as unknown as Tensor)).toThrow(/dirac: tensor must be a Tensor/);
  });

  it('accepts integer tensors, unlike the random initialisers', () => {
    const w = dirac(zerosTensor([2, 2, 1], { dtype: 'int32' }));
    expect(w.toArray()).toEqual([
      [[1], [0]],
      [[0], [1]],
    ]);
  });
});
