import {
  conv2d,
  convTranspose2d,
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
import * as F from '../functional/index';
import { ConvTranspose1d, ConvTranspose2d } from './conv-transpose';
import {
  ConstantPad2d,
  ReflectionPad1d,
  ReflectionPad2d,
  ReplicationPad1d,
  ReplicationPad2d,
  ZeroPad2d,
} from './pad-layers';
import { Upsample } from './resample-upsample';

const f64 = (shape: number[], seed: number, requiresGrad = false): Tensor =>
  randn(shape, { dtype: 'float64', generator: new Generator(seed), requiresGrad });

function maxAbs(t: Tensor): number {
  return Array.from(t.values).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

describe('ConvTranspose2d', () => {
  it("has PyTorch's weight shape, state-dict names and init bounds (fanIn from the weight's dim 1)", () => {
    const m = new ConvTranspose2d(4, 6, 3, { groups: 2, generator: new Generator(1) });
    expect(m.weight.shape).toEqual([4, 3, 3, 3]);
    expect(Object.keys(m.stateDict()).sort()).toEqual(['bias', 'weight']);
    const bound = 1 / Math.sqrt(3 * 9);
    expect(maxAbs(m.weight)).toBeLessThanOrEqual(bound);
    expect(maxAbs(m.weight)).toBeGreaterThan(0.8 * bound);
    expect(maxAbs(m.bias as Tensor)).toBeLessThanOrEqual(bound);
    expect(m.weight.dtype).toBe('float32');
    expect(new ConvTranspose2d(2, 2, 2, { bias: false }).bias).toBeNull();
  });

  it('is the input gradient of the matching convolution', () => {
    const m = new ConvTranspose2d(3, 2, [3, 2], { stride: [2, 1], padding: [1, 0], dtype: 'float64', bias: false });
    const y = f64([2, 3, 4, 5], 2);
    const out = m.forward(y);
    // <conv2d(x, w), y> = <x, convT(y, w)> for every x
    const x = f64([...out.shape], 3);
    const lhs = conv2d(x, m.weight, null, { stride: [2, 1], padding: [1, 0] })
      .mul(y)
      .sum()
      .item();
    const rhs = x.mul(out).sum().item();
    expect(lhs).toBeCloseTo(rhs, 10);
  });

  it('takes outputSize as PyTorch, and rejects sizes out of range', () => {
    const m = new ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1, dtype: 'float64' });
    const x = f64([1, 2, 4, 4], 4);
    expect(m.forward(x).shape).toEqual([1, 3, 7, 7]);
    expect(m.forward(x, { outputSize: [8, 7] }).shape).toEqual([1, 3, 8, 7]);
    expect(m.forward(x, { outputSize: [1, 3, 7, 8] }).shape).toEqual([1, 3, 7, 8]);
    expect(() => m.forward(x, { outputSize: [9, 7] })).toThrow(/valid sizes range from 7 to 8/);
    expect(() => m.forward(x, { outputSize: [7] })).toThrow(ValueError);
  });

  it('names the layer on bad arguments and inputs', () => {
    expect(() => new ConvTranspose2d(3, 4, 3, { groups: 2 })).toThrow(/inChannels \(3\) must be divisible by groups/);
    expect(() => new ConvTranspose2d(2, 2, 3, { outputPadding: 2, stride: 2 })).toThrow(/outputPadding/);
    const m = new ConvTranspose2d(2, 2, 3);
    expect(() => m.forward(randn([1, 3, 4, 4]))).toThrow(
      /ConvTranspose2d\(2, 2, kernelSize=\[3,3\]\): input has 3 channels/,
    );
    expect(() => m.forward(randn([4, 4]))).toThrow(ShapeError);
  });

  it('passes gradcheck and gradgradcheck through the layer (input, weight, bias)', () => {
    const m = new ConvTranspose2d(2, 4, 2, { stride: 2, groups: 2, dtype: 'float64', dilation: 2, outputPadding: 1 });
    const x = f64([1, 2, 3, 2], 5, true);
    const f = (a: Tensor, w: Tensor, b: Tensor) =>
      convTranspose2d(a, w, b, { stride: 2, groups: 2, dilation: 2, outputPadding: 1 });
    const w = m.weight.detach().requiresGrad_();
    const b = (m.bias as Tensor).detach().requiresGrad_();
    expect(gradcheck(f, [x, w, b])).toBe(true);
    expect(gradgradcheck(f, [x, w, b])).toBe(true);
  });
});

describe('ConvTranspose1d', () => {
  it('has weight [in, out/groups, k], init bound 1/√(out/groups·k) and 1-d output sizes', () => {
    const m = new ConvTranspose1d(4, 6, 5, {
      groups: 2,
      stride: 3,
      padding: 1,
      outputPadding: 2,
      generator: new Generator(2),
    });
    expect(m.weight.shape).toEqual([4, 3, 5]);
    expect(maxAbs(m.weight)).toBeLessThanOrEqual(1 / Math.sqrt(15));
    expect(m.forward(randn([2, 4, 7])).shape).toEqual([2, 6, (7 - 1) * 3 - 2 + 4 + 2 + 1]);
    expect(m.forward(randn([4, 7])).shape).toEqual([6, 23]);
    expect(m.forward(randn([4, 7]), { outputSize: [21] }).shape).toEqual([6, 21]);
  });

  it('F.convTranspose1d passes gradcheck and gradgradcheck', () => {
    const x = f64([2, 2, 4], 6, true);
    const w = f64([2, 3, 3], 7, true);
    const b = f64([3], 8, true);
    const f = (a: Tensor, k: Tensor, c: Tensor) =>
      F.convTranspose1d(a, k, c, { stride: 2, padding: 1, outputPadding: 1, dilation: 1 });
    expect(gradcheck(f, [x, w, b])).toBe(true);
    expect(gradgradcheck(f, [x, w, b])).toBe(true);
  });

  it('F.convTranspose1d names its arguments', () => {
    expect(() => F.convTranspose1d(randn([2, 3]), randn([2, 3, 1, 1]))).toThrow(/convTranspose1d: weight must be 3-D/);
    expect(() => F.convTranspose1d(randn([2]), randn([2, 3, 1]))).toThrow(ShapeError);
  });
});

describe('Upsample and F.interpolate', () => {
  it('Upsample calls interpolate with its options', () => {
    const x = f64([1, 2, 3, 4], 9);
    const up = new Upsample({ size: [5, 6], mode: 'bilinear', alignCorners: true });
    expect(Array.from(up.forward(x).values)).toEqual(
      Array.from(F.interpolate(x, { size: [5, 6], mode: 'bilinear', alignCorners: true }).values),
    );
    expect(new Upsample({ scaleFactor: 2 }).forward(x).shape).toEqual([1, 2, 6, 8]);
    expect(up.parameters()).toEqual([]);
  });

  it('Upsample rejects bad options at construction', () => {
    expect(() => new Upsample({})).toThrow(/Upsample: either size or scaleFactor/);
    expect(() => new Upsample({ size: 2, scaleFactor: 2 })).toThrow(/only one of/);
    expect(() => new Upsample({ size: 2, alignCorners: true })).toThrow(/alignCorners/);
  });
});

describe('F.pad and the padding layers', () => {
  const x = tensor([[[1, 2, 3]]], { dtype: 'float64' });
  it('pads in every mode with the last dim first', () => {
    expect(F.pad(x, [1, 2]).toArray()).toEqual([[[0, 1, 2, 3, 0, 0]]]);
    expect(F.pad(x, [1, 0], { value: 7 }).toArray()).toEqual([[[7, 1, 2, 3]]]);
    expect(F.pad(x, [2, 1], { mode: 'reflect' }).toArray()).toEqual([[[3, 2, 1, 2, 3, 2]]]);
    expect(F.pad(x, [2, 1], { mode: 'replicate' }).toArray()).toEqual([[[1, 1, 1, 2, 3, 3]]]);
    expect(F.pad(x, [2, 1], { mode: 'circular' }).toArray()).toEqual([[[2, 3, 1, 2, 3, 1]]]);
    const img = tensor(
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
      { dtype: 'float64' },
    );
    expect(F.pad(img, [1, 0, 0, 1], { mode: 'reflect' }).toArray()).toEqual([
      [
        [2, 1, 2],
        [4, 3, 4],
        [2, 1, 2],
      ],
    ]);
  });

  it('throws named errors before computing', () => {
    // biome-ignore lint/suspicious/noExplicitAny: an unsupported mode on purpose
    expect(() => F.pad(x, [1, 1], { mode: 'symmetric' as any })).toThrow(/pad: unsupported padding mode "symmetric"/);
    expect(() => F.pad(x, [3, 0], { mode: 'reflect' })).toThrow(
      /reflect padding \[3, 0\] must be smaller than the size 3/,
    );
    expect(() => F.pad(x, [4, 0], { mode: 'circular' })).toThrow(ShapeError);
    expect(() => F.pad(x, [1, 1], { mode: 'reflect', value: 2 })).toThrow(/does not take a value/);
    expect(() => F.pad(tensor([1, 2, 3]), [1, 1], { mode: 'replicate' })).toThrow(/2-D or 3-D input/);
    expect(() => F.pad(x, [1, 1, 1], { mode: 'replicate' })).toThrow(ValueError);
  });

  it('gradcheck through every mode', () => {
    const a = f64([1, 2, 3, 4], 10, true);
    for (const mode of ['constant', 'reflect', 'replicate', 'circular'] as const)
      expect(gradcheck((t) => F.pad(t, [2, 1, 1, 2], { mode }), [a])).toBe(true);
  });

  it('layers pad with their mode and accept one integer or the full list', () => {
    const img = f64([1, 2, 3, 4], 11);
    expect(new ZeroPad2d([1, 0, 2, 1]).forward(img).shape).toEqual([1, 2, 6, 5]);
    expect(Array.from(new ConstantPad2d(1, 2.5).forward(img).values).filter((v) => v === 2.5).length).toBe(
      2 * (5 * 6 - 12),
    );
    expect(Array.from(new ReflectionPad2d(2).forward(img).values)).toEqual(
      Array.from(F.pad(img, [2, 2, 2, 2], { mode: 'reflect' }).values),
    );
    expect(Array.from(new ReplicationPad2d([0, 1, 2, 3]).forward(img).values)).toEqual(
      Array.from(F.pad(img, [0, 1, 2, 3], { mode: 'replicate' }).values),
    );
    const seq = f64([2, 5], 12);
    expect(new ReflectionPad1d([1, 3]).forward(seq).shape).toEqual([2, 9]);
    expect(new ReplicationPad1d(2).forward(seq).shape).toEqual([2, 9]);
    expect(() => new ReflectionPad2d([1, 2] as unknown as number)).toThrow(
      /ReflectionPad2d: padding must be an integer or a list of 4/,
    );
    expect(() => new ReflectionPad1d(1).forward(f64([5], 1))).toThrow(/ReflectionPad1d: expected a 2-D or 3-D input/);
    expect(() => new ReflectionPad1d(5).forward(seq)).toThrow(/smaller than the size 5/);
  });
});
