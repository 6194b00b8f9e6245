// The modules of normalize's siblings: CosineSimilarity, PairwiseDistance, PixelShuffle, PixelUnshuffle and
// Dropout2d. Their functions' values are checked against PyTorch in functional/porting-fixture.test.ts.
import { AxisError, Generator, ones, ShapeError, type Tensor, tensor, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { cosineSimilarity } from '../functional/cosine-similarity';
import { dropout2d } from '../functional/dropout2d';
import { pairwiseDistance } from '../functional/pairwise-distance';
import { pixelShuffle, pixelUnshuffle } from '../functional/pixel-shuffle';
import { expectValues, randomTensor } from '../losses/test-utils';
import { Sequential } from '../sequential';
import { CosineSimilarity } from './cosine-similarity';
import { Dropout2d } from './dropout2d';
import { PairwiseDistance } from './pairwise-distance';
import { PixelShuffle, PixelUnshuffle } from './pixel-shuffle';

// biome-ignore lint/suspicious/noExplicitAny: arguments built without their types, as a JavaScript caller passes them
const o = (value: unknown): any => value;

function same(a: Tensor, b: Tensor): void {
  expect(a.shape).toEqual(b.shape);
  expect(Array.from(a.values)).toEqual(Array.from(b.values));
}

describe('CosineSimilarity', () => {
  it("has PyTorch's defaults, no state, and calls cosineSimilarity", () => {
    const cos = new CosineSimilarity();
    expect(cos.axis).toBe(1);
    expect(cos.eps).toBe(1e-8);
    expect(Object.keys(cos.stateDict())).toEqual([]);
    expect(String(cos)).toBe('CosineSimilarity(axis=1, eps=1e-8)');
    const a = randomTensor([3, 4, 2], new Generator(1));
    const b = randomTensor([3, 4, 2], new Generator(2));
    same(cos.forward(a, b), cosineSimilarity(a, b));
    const last = new CosineSimilarity({ axis: -1, eps: 0.5 });
    same(last.forward(a, b), cosineSimilarity(a, b, { axis: -1, eps: 0.5 }));
  });

  it('gives the values of its example', () => {
    const y = new CosineSimilarity({ axis: -1 }).forward(
      tensor([
        [1, 0],
        [3, 4],
      ]),
      tensor([
        [1, 1],
        [3, 4],
      ]),
    );
    expectValues(y, [Math.SQRT1_2, 1], 1e-7);
  });

  it('rejects bad options when built and bad inputs when run, naming itself', () => {
    expect(() => new CosineSimilarity(o({ dim: 0 }))).toThrow(ValueError);
    expect(() => new CosineSimilarity(o({ dim: 0 }))).toThrow('CosineSimilarity: unknown option "dim"');
    expect(() => new CosineSimilarity({ eps: -1 })).toThrow('CosineSimilarity: eps must be a finite number >= 0');
    expect(() => new CosineSimilarity({ axis: 0.5 })).toThrow('CosineSimilarity: axis must be an integer, got 0.5');
    expect(() => new CosineSimilarity().forward(zeros([3]), zeros([3]))).toThrow(AxisError);
    expect(() => new CosineSimilarity().forward(o(null), zeros([3]))).toThrow(
      'CosineSimilarity: x1 must be a Tensor, got null',
    );
  });
});

describe('PairwiseDistance', () => {
  it("has PyTorch's defaults, no state, and calls pairwiseDistance", () => {
    const dist = new PairwiseDistance();
    expect([dist.p, dist.eps, dist.keepdim]).toEqual([2, 1e-6, false]);
    expect(Object.keys(dist.stateDict())).toEqual([]);
    expect(String(dist)).toBe('PairwiseDistance(p=2, eps=0.000001, keepdim=false)');
    const a = randomTensor([3, 4], new Generator(3));
    const b = randomTensor([3, 4], new Generator(4));
    same(dist.forward(a, b), pairwiseDistance(a, b));
    const inf = new PairwiseDistance({ p: Infinity, eps: 0, keepdim: true });
    same(inf.forward(a, b), pairwiseDistance(a, b, { p: Infinity, eps: 0, keepdim: true }));
    expect(inf.forward(a, b).shape).toEqual([3, 1]);
  });

  it('gives the values of its example', () => {
    const y = new PairwiseDistance({ p: 1, eps: 0 }).forward(
      tensor([
        [1, 2],
        [0, 0],
      ]),
      zeros([2, 2]),
    );
    expectValues(y, [3, 0]);
  });

  it('rejects bad options when built and bad inputs when run, naming itself', () => {
    expect(() => new PairwiseDistance(o({ norm: 1 }))).toThrow('PairwiseDistance: unknown option "norm"');
    expect(() => new PairwiseDistance(o({ keepDim: true }))).toThrow('(did you mean "keepdim"?)');
    expect(() => new PairwiseDistance({ p: -1 })).toThrow('PairwiseDistance: p must be 0, a positive number');
    expect(() => new PairwiseDistance({ eps: Number.NaN })).toThrow('PairwiseDistance: eps must be a finite number');
    expect(() => new PairwiseDistance(o({ keepdim: 'yes' }))).toThrow('PairwiseDistance: keepdim must be a boolean');
    expect(() => new PairwiseDistance().forward(zeros([2, 3]), o(undefined))).toThrow(
      'PairwiseDistance: x2 must be a Tensor',
    );
    expect(() => new PairwiseDistance().forward(zeros([2, 3]), zeros([2, 4]))).toThrow(ShapeError);
  });
});

describe('PixelShuffle and PixelUnshuffle', () => {
  it('hold their factor, no state, and call pixelShuffle / pixelUnshuffle', () => {
    const up = new PixelShuffle(3);
    const down = new PixelUnshuffle(2);
    expect(up.upscaleFactor).toBe(3);
    expect(down.downscaleFactor).toBe(2);
    expect(Object.keys(up.stateDict())).toEqual([]);
    expect(Object.keys(down.stateDict())).toEqual([]);
    expect(String(up)).toBe('PixelShuffle(upscaleFactor=3)');
    expect(String(down)).toBe('PixelUnshuffle(downscaleFactor=2)');
    expect(up.forward(zeros([2, 18, 4, 4])).shape).toEqual([2, 2, 12, 12]);
    expect(down.forward(zeros([2, 3, 8, 6])).shape).toEqual([2, 12, 4, 3]);
    const x = randomTensor([2, 9, 2, 3], new Generator(5));
    same(up.forward(x), pixelShuffle(x, 3));
    same(new PixelUnshuffle(3).forward(up.forward(x)), x);
    const z = randomTensor([2, 3, 4, 6], new Generator(7));
    same(down.forward(z), pixelUnshuffle(z, 2));
  });

  it('work inside a Sequential', () => {
    const model = new Sequential(new PixelUnshuffle(2), new PixelShuffle(2));
    const x = randomTensor([1, 2, 4, 6], new Generator(6));
    same(model.forward(x), x);
  });

  it('reject bad factors when built and bad inputs when run, naming themselves', () => {
    expect(() => new PixelShuffle(0)).toThrow(ValueError);
    expect(() => new PixelShuffle(0)).toThrow('PixelShuffle: upscaleFactor must be an integer >= 1, got 0');
    expect(() => new PixelShuffle(o('2'))).toThrow('PixelShuffle: upscaleFactor must be an integer >= 1, got "2"');
    expect(() => new PixelUnshuffle(1.5)).toThrow('PixelUnshuffle: downscaleFactor must be an integer >= 1, got 1.5');
    expect(() => new PixelShuffle(2).forward(o([1]))).toThrow('PixelShuffle(2): input must be a Tensor');
    expect(() => new PixelShuffle(2).forward(zeros([1, 3, 2, 2]))).toThrow(ShapeError);
    expect(() => new PixelUnshuffle(2).forward(zeros([1, 3, 3, 2]))).toThrow(ShapeError);
  });
});

describe('Dropout2d', () => {
  it('drops whole channels in training mode, reproducibly with a seeded generator', () => {
    const drop = new Dropout2d(0.25, { generator: new Generator(1) });
    expect(drop.p).toBe(0.25);
    expect(drop.training).toBe(true);
    expect(Object.keys(drop.stateDict())).toEqual([]);
    expect(String(drop)).toBe('Dropout2d(p=0.25)');
    const x = ones([8, 16, 3, 3], { dtype: 'float64' });
    const y = drop.forward(x);
    let zeroed = 0;
    for (let k = 0; k < 128; k++) {
      const plane = Array.from(y.values.subarray(k * 9, k * 9 + 9));
      const v = plane[0];
      expect(v === 0 || v === 1 / 0.75).toBe(true);
      expect(plane.every((u) => u === v)).toBe(true);
      if (v === 0) zeroed++;
    }
    expect(zeroed).toBeGreaterThan(10);
    expect(zeroed).toBeLessThan(60);
    same(y, dropout2d(x, 0.25, true, new Generator(1)));
    // the layer's generator moves on: the next call draws another mask
    expect(Array.from(drop.forward(x).values)).not.toEqual(Array.from(y.values));
  });

  it('is the identity in eval mode and with p = 0; a 3-D input is [N, C, L]', () => {
    const x = randomTensor([2, 3, 4, 4], new Generator(2));
    const drop = new Dropout2d();
    expect(drop.p).toBe(0.5);
    expect(drop.eval().forward(x)).toBe(x);
    expect(new Dropout2d(0).forward(x)).toBe(x);
    const rows = new Dropout2d(0.5, { generator: new Generator(3) }).train().forward(ones([4, 8, 5]));
    for (let k = 0; k < 32; k++) {
      const row = Array.from(rows.values.subarray(k * 5, k * 5 + 5));
      expect(row.every((u) => u === row[0])).toBe(true);
    }
  });

  it('rejects bad arguments when built and bad inputs when run, naming itself', () => {
    expect(() => new Dropout2d(-0.1)).toThrow('Dropout2d: p must be in [0, 1], got -0.1');
    expect(() => new Dropout2d(1.5)).toThrow(ValueError);
    expect(() => new Dropout2d(0.5, o({ generater: new Generator(0) }))).toThrow(
      'Dropout2d: unknown option "generater" (did you mean "generator"?)',
    );
    expect(() => new Dropout2d().forward(ones([4, 3]))).toThrow(ShapeError);
    expect(() => new Dropout2d().forward(ones([4, 3]))).toThrow(
      'Dropout2d(p=0.5): expected 4-D [N, C, H, W] or 3-D [N, C, L] input, got shape [4,3]',
    );
    expect(() => new Dropout2d().eval().forward(ones([1, 2, 3, 4, 5]))).toThrow(ShapeError);
    expect(() => new Dropout2d().forward(o('x'))).toThrow('Dropout2d(p=0.5): input must be a Tensor, got string');
  });
});
