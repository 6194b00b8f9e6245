import { describe, expect, it } from 'vitest';
import { gradcheck } from '../autograd/gradcheck';
import { zeros } from '../creation';
import { ShapeError, ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { rnd } from './grad-test-helpers';
import { adaptiveMaxPool3d, adaptiveMaxPool3dWithIndices, avgPool3d, maxPool3d, maxPool3dWithIndices } from './pool3d';

describe('3-D pooling', () => {
  it('max: each output is its window maximum, and the index points at it', () => {
    const x = rnd([1, 2, 4, 3, 5], 1, false);
    const { values, indices } = maxPool3dWithIndices(x, {
      kernelSize: [2, 2, 3],
      stride: [2, 1, 2],
      padding: [0, 1, 1],
    });
    const [, c, d, h, w] = x.shape;
    const [, , od, oh, ow] = values.shape;
    for (let ch = 0; ch < c; ch++)
      for (let z = 0; z < od; z++)
        for (let y = 0; y < oh; y++)
          for (let q = 0; q < ow; q++) {
            let best = Number.NEGATIVE_INFINITY;
            for (let a = 0; a < 2; a++)
              for (let e = 0; e < 2; e++)
                for (let f = 0; f < 3; f++) {
                  const zi = z * 2 + a;
                  const yi = y - 1 + e;
                  const qi = q * 2 - 1 + f;
                  if (yi < 0 || qi < 0 || yi >= h || qi >= w) continue;
                  best = Math.max(best, x.values[((ch * d + zi) * h + yi) * w + qi]);
                }
            const at = ((ch * od + z) * oh + y) * ow + q;
            expect(values.values[at]).toBe(best);
            expect(x.values[ch * d * h * w + indices.values[at]]).toBe(best);
          }
  });

  it('has gradients that match finite differences (max, and average with its options)', () => {
    const x = rnd([1, 2, 4, 4, 5], 2);
    expect(gradcheck((t: Tensor) => maxPool3d(t, { kernelSize: 2, padding: [1, 0, 1], ceilMode: true }), [x])).toBe(
      true,
    );
    const avg = (o: object) => (t: Tensor) => avgPool3d(t, { kernelSize: [2, 3, 2], stride: 2, padding: 1, ...o });
    expect(gradcheck(avg({ countIncludePad: false, ceilMode: true }), [x])).toBe(true);
    expect(gradcheck(avg({ divisorOverride: 5 }), [x])).toBe(true);
    expect(gradcheck((t: Tensor) => adaptiveMaxPool3d(t, [3, 2, null]), [x])).toBe(true);
    // the values alone are those the indexed form gives
    expect(Array.from(adaptiveMaxPool3d(x, [3, 2, 4]).values)).toEqual(
      Array.from(adaptiveMaxPool3dWithIndices(x, [3, 2, 4]).values.values),
    );
  });

  it('refuses bad arguments with errors that name them', () => {
    expect(() => maxPool3d(zeros([2, 3, 3]), { kernelSize: 2 })).toThrow(ShapeError);
    expect(() => maxPool3d(zeros([1, 1, 3, 3, 3]), { kernelSize: [2, 2] as never })).toThrow(
      /maxPool3d: kernelSize must be an integer >= 1 or three of them/,
    );
    expect(() => avgPool3d(zeros([1, 1, 3, 3, 3]), { kernelSize: 2, divisorOverride: 0 })).toThrow(ValueError);
    expect(() => avgPool3d(zeros([1, 1, 3, 3, 3]), { kernelSize: 2, dilation: 2 } as never)).toThrow(/avgPool3d/);
  });
});
