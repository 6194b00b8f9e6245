import { describe, expect, it } from 'vitest';
import {
  avgPool2d,
  conv2d,
  DTypeError,
  Generator,
  gradcheck,
  gradgradcheck,
  maxPool2d,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '../index';

function randomTensor(
  shape: number[],
  seed: number,
  dtype: 'float32' | 'float64' = 'float64',
  requiresGrad = true,
): Tensor {
  return randn(shape, { dtype, generator: new Generator(seed), requiresGrad });
}

interface ConvCase {
  name: string;
  x: number[];
  w: number[];
  bias: boolean;
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  groups?: number;
}

/** Direct convolution by its definition, in doubles. */
function naiveConv(x: Tensor, w: Tensor, b: Tensor | null, c: ConvCase): { data: Float64Array; shape: number[] } {
  const [N, C, H, W] = x.shape;
  const [O, cg, kh, kw] = w.shape;
  const [sh, sw] = c.stride ?? [1, 1];
  const [ph, pw] = c.padding ?? [0, 0];
  const [dh, dw] = c.dilation ?? [1, 1];
  const groups = c.groups ?? 1;
  const oh = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const og = O / groups;
  const data = new Float64Array(N * O * oh * ow);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / og);
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          let s = b === null ? 0 : b.data[o];
          for (let ci = 0; ci < cg; ci++)
            for (let ki = 0; ki < kh; ki++)
              for (let kj = 0; kj < kw; kj++) {
                const iy = oy * sh - ph + ki * dh;
                const ix = ox * sw - pw + kj * dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s += x.data[((n * C + g * cg + ci) * H + iy) * W + ix] * w.data[((o * cg + ci) * kh + ki) * kw + kj];
              }
          data[((n * O + o) * oh + oy) * ow + ox] = s;
        }
    }
  return { data, shape: [N, O, oh, ow] };
}

const convCases: ConvCase[] = [
  { name: 'plain 3x3 with bias', x: [2, 3, 6, 7], w: [4, 3, 3, 3], bias: true },
  { name: 'stride 2, padding 1', x: [1, 2, 7, 7], w: [3, 2, 3, 3], bias: true, stride: [2, 2], padding: [1, 1] },
  { name: 'rectangular kernel, no bias', x: [1, 2, 5, 6], w: [3, 2, 2, 3], bias: false },
  {
    name: 'asymmetric stride and padding',
    x: [2, 1, 6, 5],
    w: [2, 1, 3, 2],
    bias: true,
    stride: [1, 2],
    padding: [2, 0],
  },
  { name: 'dilation 2', x: [1, 2, 8, 8], w: [2, 2, 3, 3], bias: false, dilation: [2, 2], padding: [1, 1] },
  { name: 'groups 2', x: [2, 4, 5, 5], w: [6, 2, 3, 3], bias: true, groups: 2, padding: [1, 1] },
  { name: 'depthwise', x: [1, 3, 5, 4], w: [3, 1, 2, 2], bias: false, groups: 3, stride: [2, 1] },
  { name: 'pointwise 1x1', x: [2, 3, 4, 5], w: [5, 3, 1, 1], bias: true },
  { name: 'pointwise 1x1 with groups', x: [1, 4, 3, 3], w: [2, 2, 1, 1], bias: false, groups: 2 },
  { name: 'kernel as large as the padded input', x: [1, 1, 3, 3], w: [1, 1, 5, 5], bias: true, padding: [1, 1] },
];

function runConv(x: Tensor, w: Tensor, b: Tensor | null, c: ConvCase): Tensor {
  return conv2d(x, w, b, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });
}

describe('conv2d', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const c of convCases) {
      it(`${c.name} (${dtype}) matches the direct convolution`, () => {
        const x = randomTensor(c.x, 1, dtype, false);
        const w = randomTensor(c.w, 2, dtype, false);
        const b = c.bias ? randomTensor([c.w[0]], 3, dtype, false) : null;
        const out = runConv(x, w, b, c);
        const ref = naiveConv(x, w, b, c);
        expect(out.shape).toEqual(ref.shape);
        expect(out.dtype).toBe(dtype);
        const tol = dtype === 'float64' ? 1e-12 : 1e-5;
        for (let i = 0; i < ref.data.length; i++) expect(Math.abs(out.data[i] - ref.data[i])).toBeLessThanOrEqual(tol);
      });
    }
  }

  it('computes a hand-made example', () => {
    const x = tensor([
      [
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
      ],
    ]);
    const w = tensor([
      [
        [
          [1, 0],
          [0, -1],
        ],
      ],
    ]);
    expect(conv2d(x, w, tensor([10])).toArray()).toEqual([
      [
        [
          [6, 6],
          [6, 6],
        ],
      ],
    ]);
    expect(conv2d(x, w, null, { padding: 1, stride: 2 }).toArray()).toEqual([
      [
        [
          [-1, -3],
          [-7, -4],
        ],
      ],
    ]);
  });

  it('accepts an unbatched [C, H, W] input', () => {
    const x = randomTensor([2, 5, 5], 4, 'float64', false);
    const w = randomTensor([3, 2, 3, 3], 5, 'float64', false);
    const out = conv2d(x, w, null, { padding: 1 });
    expect(out.shape).toEqual([3, 5, 5]);
    const batched = conv2d(x.reshape([1, 2, 5, 5]), w, null, { padding: 1 });
    expect(Array.from(out.data)).toEqual(Array.from(batched.data));
  });

  for (const c of convCases.slice(0, 8)) {
    it(`${c.name}: gradients w.r.t. input, weight and bias match finite differences`, () => {
      const small = { ...c, x: [Math.min(c.x[0], 2), ...c.x.slice(1)] };
      const x = randomTensor(small.x, 6);
      const w = randomTensor(c.w, 7);
      const b = c.bias ? randomTensor([c.w[0]], 8) : null;
      const inputs = b === null ? [x, w] : [x, w, b];
      expect(gradcheck((xx, ww, bb) => runConv(xx, ww, bb ?? null, c), inputs)).toBe(true);
    });
  }

  it('has correct second derivatives (input, weight and bias)', () => {
    const cases = [convCases[1], convCases[4], convCases[5]];
    for (const c of cases) {
      const x = randomTensor([1, ...c.x.slice(1, 2), Math.min(c.x[2], 5), Math.min(c.x[3], 5)], 9);
      const w = randomTensor(c.w, 10);
      const b = randomTensor([c.w[0]], 11);
      expect(gradgradcheck((xx, ww, bb) => runConv(xx, ww, bb, c), [x, w, b])).toBe(true);
    }
  });

  it('does not mutate its inputs', () => {
    const x = randomTensor([1, 2, 4, 4], 12);
    const w = randomTensor([2, 2, 3, 3], 13);
    const [cx, cw] = [x.data.slice(), w.data.slice()];
    conv2d(x, w, null, { padding: 1 }).sum().backward();
    expect(x.data).toEqual(cx);
    expect(w.data).toEqual(cw);
  });

  it('throws on bad shapes and arguments', () => {
    expect(() => conv2d(zeros([3, 4]), zeros([1, 1, 1, 1]))).toThrow(/conv2d: expected a 3-D \(unbatched\) or 4-D/);
    expect(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 3, 3]))).toThrow(ShapeError);
    expect(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 4, 3, 3]))).toThrow(
      /conv2d: input has 3 channels but weight expects 4 \(groups = 1\)/,
    );
    expect(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 1, 3, 3]), null, { groups: 2 })).toThrow(
      /input channels \(3\) must be divisible by groups \(2\)/,
    );
    expect(() => conv2d(zeros([1, 4, 5, 5]), zeros([3, 2, 3, 3]), null, { groups: 2 })).toThrow(
      /output channels \(weight.shape\[0\] = 3\) must be divisible by groups \(2\)/,
    );
    expect(() => conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 4, 4]))).toThrow(
      /kernel size 4x4 .* larger than the padded input 3x3/,
    );
    expect(() => conv2d(zeros([1, 1, 5, 5]), zeros([1, 1, 3, 3]), null, { dilation: 3 })).toThrow(
      /7x7 \(after dilation\)/,
    );
    expect(() => conv2d(zeros([1, 1, 5, 5]), zeros([2, 1, 3, 3]), zeros([3]))).toThrow(/bias must have shape \[2\]/);
    expect(() => conv2d(zeros([1, 1, 5, 5]), zeros([1, 1, 3, 3]), null, { stride: 0 })).toThrow(ValueError);
    expect(() => conv2d(zeros([1, 1, 5, 5]), zeros([1, 1, 3, 3]), null, { padding: -1 })).toThrow(
      /padding must be an integer >= 0/,
    );
    expect(() => conv2d(zeros([1, 1, 5, 5], { dtype: 'int32' }), zeros([1, 1, 3, 3]))).toThrow(DTypeError);
  });
});

describe('maxPool2d', () => {
  it('takes the maximum of each window', () => {
    const x = tensor([
      [
        [
          [1, 2, 5, 6],
          [3, 4, 7, 8],
          [0, -1, 9, 1],
          [2, 2, -3, 0],
        ],
      ],
    ]);
    expect(maxPool2d(x, { kernelSize: 2 }).toArray()).toEqual([
      [
        [
          [4, 8],
          [2, 9],
        ],
      ],
    ]);
  });

  it('treats padding as -Infinity and accepts [C, H, W]', () => {
    const x = tensor([
      [
        [-5, -4],
        [-3, -2],
      ],
    ]);
    expect(maxPool2d(x, { kernelSize: 2, stride: 1, padding: 1 }).toArray()).toEqual([
      [
        [-5, -4, -4],
        [-3, -2, -2],
        [-3, -2, -2],
      ],
    ]);
  });

  it('sends the gradient to the first maximum on ties and accumulates overlapping windows', () => {
    const x = tensor(
      [
        [
          [
            [1, 3, 3],
            [3, 0, 2],
            [1, 1, 1],
          ],
        ],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const out = maxPool2d(x, { kernelSize: 2, stride: 1 });
    expect(out.toArray()).toEqual([
      [
        [
          [3, 3],
          [3, 2],
        ],
      ],
    ]);
    out.backward(
      tensor(
        [
          [
            [
              [1, 10],
              [100, 1000],
            ],
          ],
        ],
        { dtype: 'float64' },
      ),
    );
    // Window (0,0) ties at (0,1) and (1,0): the first, (0,1), wins; window (0,1) ties at (0,1) and (0,2): (0,1) again.
    expect(x.grad?.toArray()).toEqual([
      [
        [
          [0, 11, 0],
          [100, 0, 1000],
          [0, 0, 0],
        ],
      ],
    ]);
  });

  it('supports dilation and ceil mode like PyTorch', () => {
    const x = tensor([[[Array.from({ length: 5 }, (_, i) => i)]]]); // [1, 1, 1, 5]: 0 1 2 3 4
    expect(maxPool2d(x, { kernelSize: [1, 2], dilation: [1, 2], stride: [1, 1] }).toArray()).toEqual([[[[2, 3, 4]]]]);
    expect(maxPool2d(x, { kernelSize: [1, 2] }).toArray()).toEqual([[[[1, 3]]]]);
    expect(maxPool2d(x, { kernelSize: [1, 2], ceilMode: true }).toArray()).toEqual([[[[1, 3, 4]]]]);
    // The last ceil-mode window would start in the right padding, so PyTorch drops it: 3 outputs, not 4.
    expect(maxPool2d(x, { kernelSize: [1, 2], padding: [0, 1], ceilMode: true }).shape).toEqual([1, 1, 1, 3]);
  });

  it('propagates NaN', () => {
    const out = maxPool2d(
      tensor([
        [
          [
            [1, Number.NaN],
            [3, 2],
          ],
        ],
      ]),
      { kernelSize: 2 },
    );
    expect(Number.isNaN(out.item())).toBe(true);
  });

  it('has gradients and second derivatives that match finite differences', () => {
    // Distinct, well-separated values keep finite differences away from ties.
    const values = Array.from({ length: 2 * 2 * 6 * 6 }, (_, i) => ((i * 37) % 144) / 10);
    const x = tensor(values, { shape: [2, 2, 6, 6], dtype: 'float64', requiresGrad: true });
    const f = (t: Tensor) => maxPool2d(t, { kernelSize: 3, stride: 2, padding: 1 });
    expect(gradcheck(f, [x])).toBe(true);
    expect(gradgradcheck((t) => f(t).mul(f(t)), [x])).toBe(true);
    const g = (t: Tensor) => maxPool2d(t, { kernelSize: 2, dilation: 2, ceilMode: true });
    expect(gradcheck(g, [x])).toBe(true);
  });

  it('throws on bad arguments', () => {
    expect(() => maxPool2d(zeros([1, 1, 4, 4]), { kernelSize: 3, padding: 2 })).toThrow(
      /padding must be at most half the kernel size/,
    );
    expect(() => maxPool2d(zeros([4, 4]), { kernelSize: 2 })).toThrow(ShapeError);
    expect(() => maxPool2d(zeros([1, 1, 2, 2]), { kernelSize: 3 })).toThrow(/too small for kernel 3x3/);
    expect(() => maxPool2d(zeros([1, 1, 4, 4]), { kernelSize: 0 })).toThrow(ValueError);
    expect(() => maxPool2d(zeros([1, 1, 4, 4]), {} as never)).toThrow(/kernelSize is required/);
  });
});

describe('avgPool2d', () => {
  const x = tensor(
    [
      [
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
      ],
    ],
    { dtype: 'float64' },
  );

  it('averages each window', () => {
    expect(avgPool2d(x, { kernelSize: 2, stride: 1 }).toArray()).toEqual([
      [
        [
          [3, 4],
          [6, 7],
        ],
      ],
    ]);
  });

  it('counts the padding in the divisor unless told not to, and honours divisorOverride', () => {
    const incl = avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1 });
    expect(incl.toArray()).toEqual([
      [
        [
          [12 / 9, 16 / 9],
          [24 / 9, 28 / 9],
        ],
      ],
    ]);
    const excl = avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false });
    expect(excl.toArray()).toEqual([
      [
        [
          [3, 4],
          [6, 7],
        ],
      ],
    ]);
    expect(avgPool2d(x, { kernelSize: 2, divisorOverride: 2 }).toArray()).toEqual([[[[6]]]]);
  });

  it('in ceil mode divides a window that runs past the edge by its part inside the (padded) input', () => {
    // Window 2 covers only column 2: PyTorch divides by 1, not by the kernel size 2.
    expect(avgPool2d(tensor([[[[2, 4, 6]]]]), { kernelSize: [1, 2], ceilMode: true }).toArray()).toEqual([[[[3, 6]]]]);
  });

  it('has gradients and second derivatives that match finite differences', () => {
    const input = randomTensor([2, 2, 5, 5], 14);
    for (const options of [
      { kernelSize: 2 },
      { kernelSize: 3, stride: 2, padding: 1 },
      { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false },
      { kernelSize: [2, 3] as [number, number], ceilMode: true, divisorOverride: 4 },
    ]) {
      const f = (t: Tensor) => avgPool2d(t, options);
      expect(gradcheck(f, [input])).toBe(true);
      expect(gradgradcheck((t) => f(t).mul(f(t)), [input])).toBe(true);
    }
  });

  it('accepts [C, H, W] and throws on bad arguments', () => {
    expect(
      avgPool2d(
        tensor([
          [
            [1, 3],
            [5, 7],
          ],
        ]),
        { kernelSize: 2 },
      ).toArray(),
    ).toEqual([[[4]]]);
    expect(() => avgPool2d(zeros([1, 1, 4, 4]), { kernelSize: 2, padding: 2 })).toThrow(ValueError);
    expect(() => avgPool2d(zeros([1, 1, 4, 4]), { kernelSize: 2, divisorOverride: 0 })).toThrow(/divisorOverride/);
    expect(() => avgPool2d(zeros([1, 1, 4, 4], { dtype: 'int32' }), { kernelSize: 2 })).toThrow(DTypeError);
  });
});
