import {
  arange,
  Generator,
  gradcheck,
  gradgradcheck,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { randomTensor, snapshot } from '../losses/test-utils';
import { pixelShuffle, pixelUnshuffle } from './pixel-shuffle';

/** The row-major flat index of `index` in `shape`. */
function flat(shape: readonly number[], index: readonly number[]): number {
  let k = 0;
  for (let d = 0; d < shape.length; d++) k = k * shape[d] + index[d];
  return k;
}

/** Every index of `shape`, row-major. */
function* indices(shape: readonly number[]): IterableIterator<number[]> {
  const total = shape.reduce((a, b) => a * b, 1);
  for (let k = 0; k < total; k++) {
    const index = new Array<number>(shape.length);
    let rest = k;
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d] = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
    }
    yield index;
  }
}

/** Check pixelShuffle's definition element by element: out[..., c, h·r + i, w·r + j] = in[..., c·r² + i·r + j, h, w]. */
function expectShuffled(x: Tensor, y: Tensor, r: number): void {
  const b = x.ndim - 3;
  const [c, h, w] = x.shape.slice(-3);
  expect(y.shape).toEqual([...x.shape.slice(0, b), c / (r * r), h * r, w * r]);
  for (const index of indices(y.shape)) {
    const [oc, oh, ow] = index.slice(b);
    const source = [...index.slice(0, b), oc * r * r + (oh % r) * r + (ow % r), Math.floor(oh / r), Math.floor(ow / r)];
    expect(y.values[flat(y.shape, index)]).toBe(x.values[flat(x.shape, source)]);
  }
}

describe('pixelShuffle and pixelUnshuffle', () => {
  it('give the values of their examples', () => {
    const x = arange(8).reshape([1, 4, 1, 2]);
    const y = pixelShuffle(x, 2);
    expect(y.shape).toEqual([1, 1, 2, 4]);
    expect(y.toArray()).toEqual([
      [
        [
          [0, 2, 1, 3],
          [4, 6, 5, 7],
        ],
      ],
    ]);
    const z = pixelUnshuffle(
      tensor([
        [
          [0, 2, 1, 3],
          [4, 6, 5, 7],
        ],
      ]),
      2,
    );
    expect(z.shape).toEqual([4, 1, 2]);
    expect(z.toArray()).toEqual([[[0, 1]], [[2, 3]], [[4, 5]], [[6, 7]]]);
  });

  it('move every element where the definition says, with any number of batch dimensions', () => {
    const gen = new Generator(1);
    const cases: [number[], number][] = [
      [[8, 3, 2], 2],
      [[2, 9, 2, 3], 3],
      [[2, 2, 4, 1, 3], 2],
      [[1, 3, 2, 2], 1],
      [[2, 1, 1, 2, 8, 2, 2], 2],
    ];
    for (const [shape, r] of cases) {
      const x = randomTensor(shape, gen);
      const unchanged = snapshot(x);
      const y = pixelShuffle(x, r);
      expectShuffled(x, y, r);
      const back = pixelUnshuffle(y, r);
      expect(back.shape).toEqual(shape);
      expect(Array.from(back.values)).toEqual(Array.from(x.values));
      unchanged();
    }
  });

  it('are inverse to each other from the unshuffled side too', () => {
    const x = randomTensor([2, 3, 6, 4], new Generator(2));
    const y = pixelUnshuffle(x, 2);
    expect(y.shape).toEqual([2, 12, 3, 2]);
    expectShuffled(y, x, 2);
    expect(Array.from(pixelShuffle(y, 2).values)).toEqual(Array.from(x.values));
  });

  it('keep the dtype, integers included, and accept empty tensors', () => {
    const ints = tensor([[[[1]], [[2]], [[3]], [[4]]]], { dtype: 'int32' });
    const y = pixelShuffle(ints, 2);
    expect(y.dtype).toBe('int32');
    expect(y.toArray()).toEqual([
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    ]);
    expect(pixelShuffle(zeros([1, 4, 3, 3], { dtype: 'float64' }), 2).dtype).toBe('float64');
    expect(pixelShuffle(zeros([0, 8, 3, 3]), 2).shape).toEqual([0, 2, 6, 6]);
    expect(pixelShuffle(zeros([1, 0, 2, 2]), 2).shape).toEqual([1, 0, 4, 4]);
    expect(pixelUnshuffle(zeros([0, 1, 2, 2]), 2).shape).toEqual([0, 4, 1, 1]);
  });

  it('pass gradcheck and gradgradcheck in float64', () => {
    const gen = new Generator(3);
    const x = randomTensor([2, 8, 2, 3], gen, { requiresGrad: true });
    expect(gradcheck((t) => pixelShuffle(t, 2), [x])).toBe(true);
    expect(gradgradcheck((t) => pixelShuffle(t, 2), [x])).toBe(true);
    const y = randomTensor([3, 4, 6], gen, { requiresGrad: true });
    expect(gradcheck((t) => pixelUnshuffle(t, 2), [y])).toBe(true);
    expect(gradgradcheck((t) => pixelUnshuffle(t, 2), [y])).toBe(true);
  });

  it('reject bad arguments with errors naming the function and the argument', () => {
    const x = zeros([2, 8, 3, 3]);
    expect(() => pixelShuffle(x, 0)).toThrow(ValueError);
    expect(() => pixelShuffle(x, 0)).toThrow('pixelShuffle: upscaleFactor must be an integer >= 1, got 0');
    expect(() => pixelShuffle(x, 1.5)).toThrow('pixelShuffle: upscaleFactor must be an integer >= 1, got 1.5');
    expect(() => pixelShuffle(x, 3)).toThrow(ShapeError);
    expect(() => pixelShuffle(x, 3)).toThrow(
      'pixelShuffle: the channel dimension of input shape [2,8,3,3] (8) must be divisible by upscaleFactor² = 9',
    );
    expect(() => pixelShuffle(zeros([4, 3]), 2)).toThrow(
      'pixelShuffle: input must have at least 3 dimensions [..., C, H, W], got shape [4,3]',
    );
    expect(() => pixelUnshuffle(x, -1)).toThrow('pixelUnshuffle: downscaleFactor must be an integer >= 1, got -1');
    expect(() => pixelUnshuffle(zeros([2, 3, 4, 6]), 3)).toThrow(
      'pixelUnshuffle: the height and width of input shape [2,3,4,6] (4, 6) must be divisible by downscaleFactor = 3',
    );
    expect(() => pixelUnshuffle(zeros([2, 3, 4, 5]), 2)).toThrow(ShapeError);
    expect(() => pixelUnshuffle(zeros([4]), 2)).toThrow(ShapeError);
    // biome-ignore lint/suspicious/noExplicitAny: not a tensor
    expect(() => pixelShuffle(null as any, 2)).toThrow('pixelShuffle: input must be a Tensor, got null');
  });
});
