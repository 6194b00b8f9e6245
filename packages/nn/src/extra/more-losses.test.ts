import {
  AxisError,
  abs,
  argmax,
  DTypeError,
  Generator,
  gradcheck,
  gradients,
  IndexError,
  manualSeed,
  mul,
  oneHot,
  randn,
  ShapeError,
  softmax,
  sub,
  sum,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { F, Linear, MultiLabelMarginLoss, TripletMarginWithDistanceLoss } from '../index';
import { gumbelNoise } from './gumbel-softmax';

const f64 = { dtype: 'float64' } as const;
const ints = (v: number[] | number[][]) => tensor(v, { dtype: 'int32' });
const l1 = (a: Tensor, b: Tensor) => sum(abs(sub(a, b)), -1);

describe('tripletMarginWithDistanceLoss', () => {
  const g = new Generator(1);
  const [a, p, n] = [0, 1, 2].map(() => randn([4, 3], { ...f64, generator: g }));

  it('defaults to the Euclidean pairwise distance (tripletMarginLoss with p 2)', () => {
    for (const reduction of ['none', 'mean', 'sum'] as const)
      for (const swap of [false, true]) {
        // (d(a, p) - d(a, n)) + margin here, d(a, p) + margin - d(a, n) there: equal up to rounding.
        const got = F.tripletMarginWithDistanceLoss(a, p, n, { margin: 0.7, swap, reduction });
        const want = F.tripletMarginLoss(a, p, n, { margin: 0.7, swap, reduction });
        expect(got.shape).toEqual(want.shape);
        const expected = [want.toArray()].flat().map((v) => expect.closeTo(v as number, 14));
        expect([got.toArray()].flat()).toEqual(expected);
      }
  });

  it('uses a custom distance, the smaller negative distance with swap, and a hinge at 0', () => {
    const anchor = tensor([[0, 0]]);
    const positive = tensor([[1, 0]]);
    const negative = tensor([[3, 0]]);
    const loss = (swap: boolean, margin: number) =>
      F.tripletMarginWithDistanceLoss(anchor, positive, negative, { distanceFunction: l1, swap, margin }).item();
    expect(loss(false, 1)).toBe(0); // 1 - 3 + 1 < 0
    expect(loss(false, 2.5)).toBe(0.5);
    expect(loss(true, 2.5)).toBe(1.5); // d(p, n) = 2 < d(a, n) = 3
  });

  it('accepts a distance that keeps the vector dimension and returns its shape with reduction none', () => {
    const keep = (x: Tensor, y: Tensor) => F.pairwiseDistance(x, y, { keepdim: true });
    expect(F.tripletMarginWithDistanceLoss(a, p, n, { distanceFunction: keep, reduction: 'none' }).shape).toEqual([
      4, 1,
    ]);
    const [a0, p0, n0] = [a, p, n].map((t) => tensor((t.toArray() as number[][])[0], f64));
    const one = F.tripletMarginWithDistanceLoss(a0, p0, n0, { reduction: 'none' });
    expect(one.shape).toEqual([]);
    expect(one.item()).toBe((F.tripletMarginWithDistanceLoss(a, p, n, { reduction: 'none' }).toArray() as number[])[0]);
  });

  it('passes gradcheck in float64 with the default, a cosine distance and swap', () => {
    const cosine = (x: Tensor, y: Tensor) => sub(1, F.cosineSimilarity(x, y, { axis: -1 }));
    const xs = [a, p, n].map((t) => t.detach().requiresGrad_());
    for (const distanceFunction of [undefined, cosine, l1])
      for (const swap of [false, true]) {
        const loss = (x: Tensor, y: Tensor, z: Tensor) =>
          F.tripletMarginWithDistanceLoss(x, y, z, { distanceFunction, swap, margin: 2, reduction: 'sum' });
        expect(gradcheck(loss, xs)).toBe(true);
      }
  });

  it('names the function and the argument in its errors', () => {
    const fn = F.tripletMarginWithDistanceLoss;
    const bad = (options: object) => () => fn(a, p, n, options as never);
    expect(bad({ distanceFunction: 3 })).toThrow(/tripletMarginWithDistanceLoss: distanceFunction must be a function/);
    expect(bad({ distanceFunction: new Linear(3, 3) })).toThrow(/pass \(a, b\) => module\.forward\(a, b\)/);
    expect(bad({ distanceFunction: () => 1 })).toThrow(
      /tripletMarginWithDistanceLoss: the distance function's result for \(anchor, positive\) must be a Tensor, got number/,
    );
    expect(bad({ distanceFunction: (x: Tensor) => x.sum() })).toThrow(ShapeError);
    expect(bad({ distanceFunction: (x: Tensor) => x.sum() })).toThrow(/has shape \[\], but .* \[4,3\]/);
    expect(bad({ distanceFunction: (x: Tensor, y: Tensor) => sub(x, y) })).toThrow(/has shape \[4,3\]/);
    expect(bad({ distanceFunction: () => zeros([4], { dtype: 'int32' }) })).toThrow(DTypeError);
    expect(bad({ margin: Number.NaN })).toThrow(/tripletMarginWithDistanceLoss: margin must be a finite number/);
    expect(bad({ swap: 1 })).toThrow(/tripletMarginWithDistanceLoss: swap must be a boolean/);
    expect(bad({ reduction: 'avg' })).toThrow(/tripletMarginWithDistanceLoss: reduction must be/);
    expect(bad({ distance_function: l1 })).toThrow(/unknown option "distance_function"/);
    expect(() => fn(a, randn([4, 2]), n)).toThrow(/anchor of shape \[4,3\] and positive of shape \[4,2\] cannot be/);
    expect(() => fn(tensor(1), tensor(2), tensor(3))).toThrow(/must have at least one dimension/);
    expect(() => fn(ints([1, 2]), p, n)).toThrow(/tripletMarginWithDistanceLoss: anchor must be a float32 or float64/);
    expect(() => fn(a, 'p' as never, n)).toThrow(/tripletMarginWithDistanceLoss: positive must be a Tensor/);
  });

  it('as a module: holds its options, calls the function, checks options in its own name', () => {
    const m = new TripletMarginWithDistanceLoss({ distanceFunction: l1, margin: 2, swap: true, reduction: 'sum' });
    expect([m.distanceFunction, m.margin, m.swap, m.reduction]).toEqual([l1, 2, true, 'sum']);
    expect(m.forward(a, p, n).item()).toBe(
      F.tripletMarginWithDistanceLoss(a, p, n, {
        distanceFunction: l1,
        margin: 2,
        swap: true,
        reduction: 'sum',
      }).item(),
    );
    const d = new TripletMarginWithDistanceLoss();
    expect([d.distanceFunction, d.margin, d.swap, d.reduction]).toEqual([null, 1, false, 'mean']);
    expect(d.extraRepr()).toBe("distanceFunction=pairwiseDistance, margin=1, swap=false, reduction='mean'");
    expect(m.extraRepr()).toContain('distanceFunction=l1');
    expect([...d.parameters()]).toEqual([]);
    expect(() => new TripletMarginWithDistanceLoss({ distanceFunction: 'l2' as never })).toThrow(
      /TripletMarginWithDistanceLoss: distanceFunction must be a function/,
    );
    expect(() => new TripletMarginWithDistanceLoss({ margn: 1 } as never)).toThrow(/did you mean "margin"/);
  });
});

/** The loss of one sample, by its definition, in plain JavaScript. */
function referenceSample(x: number[], y: number[]): number {
  const end = y.indexOf(-1);
  const listed = end < 0 ? y : y.slice(0, end);
  let total = 0;
  for (const j of listed)
    for (let i = 0; i < x.length; i++) if (!listed.includes(i)) total += Math.max(0, 1 - (x[j] - x[i]));
  return total / x.length;
}

describe('multilabelMarginLoss', () => {
  it("gives PyTorch's documented example and a per-sample loss by the definition", () => {
    const x = tensor([[0.1, 0.2, 0.4, 0.8]], f64);
    expect(F.multilabelMarginLoss(x, ints([[3, 0, -1, 1]])).item()).toBeCloseTo(0.85, 14);
    const g = new Generator(2);
    const scores = randn([5, 6], { ...f64, generator: g });
    const targets = [
      [4, 1, -1, 0, 0, 2],
      [-1, 3, 3, 3, 3, 3],
      [5, 4, 3, 2, 1, 0],
      [2, 2, 5, -1, -1, 1],
      [0, 1, 2, 3, 4, 4],
    ];
    const rows = scores.toArray() as number[][];
    const got = F.multilabelMarginLoss(scores, ints(targets), { reduction: 'none' }).toArray() as number[];
    got.forEach((v, k) => {
      expect(v).toBeCloseTo(referenceSample(rows[k], targets[k]), 12);
    });
    const total = got.reduce((s, v) => s + v, 0);
    expect(F.multilabelMarginLoss(scores, ints(targets), { reduction: 'sum' }).item()).toBeCloseTo(total, 12);
    expect(F.multilabelMarginLoss(scores, ints(targets)).item()).toBeCloseTo(total / 5, 12);
  });

  it('handles 1-D and 0-d inputs, empty batches and infinite scores at pairs that do not count', () => {
    const loss = F.multilabelMarginLoss(tensor([0.5, 0.2], f64), ints([1, 1]), { reduction: 'none' });
    expect(loss.shape).toEqual([]); // as PyTorch 1.13, a [C] input gives a 0-d loss
    expect(loss.item()).toBeCloseTo(1.3, 14); // class 1 listed twice counts twice: 2 * 1.3 / 2
    expect(F.multilabelMarginLoss(tensor(0.7), tensor(0, { dtype: 'int32' })).item()).toBe(0);
    const empty = zeros([0, 3]);
    const noTargets = zeros([0, 3], { dtype: 'int32' });
    expect(F.multilabelMarginLoss(empty, noTargets, { reduction: 'none' }).shape).toEqual([0]);
    expect(F.multilabelMarginLoss(empty, noTargets, { reduction: 'sum' }).item()).toBe(0);
    expect(F.multilabelMarginLoss(empty, noTargets).item()).toBeNaN();
    expect(F.multilabelMarginLoss(tensor([Number.POSITIVE_INFINITY, 0]), ints([0, 1])).item()).toBe(0);
    const minusInf = tensor([Number.NEGATIVE_INFINITY, 0, 1], f64);
    expect(F.multilabelMarginLoss(minusInf, ints([1, -1, 2])).item()).toBe(2 / 3); // only (1, 0) and (1, 2) count
  });

  it('passes gradcheck in float64 and has no gradient at the hinge', () => {
    const x = randn([3, 5], { ...f64, generator: new Generator(3) }).requiresGrad_();
    const y = ints([
      [1, 3, -1, 0, 0],
      [-1, 0, 0, 0, 0],
      [4, 0, 2, 2, -1],
    ]);
    for (const reduction of ['none', 'mean', 'sum'] as const)
      expect(gradcheck((t) => F.multilabelMarginLoss(t, y, { reduction }), [x])).toBe(true);
    const hinge = tensor([2, 1, 5], { ...f64, requiresGrad: true }); // 1 - (2 - 1) = 0 for the pair (0, 1)
    const [grad] = gradients([F.multilabelMarginLoss(hinge, ints([0, -1, 0]), { reduction: 'sum' })], [hinge]);
    expect(grad?.toArray()).toEqual([-1 / 3, 0, 1 / 3]);
  });

  it('names the function and the argument in its errors', () => {
    const fn = F.multilabelMarginLoss;
    const x = zeros([2, 3]);
    expect(() =>
      fn(
        x,
        ints([
          [0, 3, -1],
          [0, -1, 0],
        ]),
      ),
    ).toThrow(IndexError);
    expect(() =>
      fn(
        x,
        ints([
          [0, 3, -1],
          [0, -1, 0],
        ]),
      ),
    ).toThrow(/multilabelMarginLoss: target 3 at index 1 is out of range for 3 classes/);
    // Checked after the -1 too, as PyTorch checks the whole tensor.
    expect(() =>
      fn(
        x,
        ints([
          [0, -1, -2],
          [0, -1, 0],
        ]),
      ),
    ).toThrow(/multilabelMarginLoss: target -2 at index 2/);
    expect(() => fn(x, zeros([2, 3]))).toThrow(DTypeError);
    expect(() => fn(x, zeros([2, 3]))).toThrow(/multilabelMarginLoss: target must be an int32 tensor/);
    expect(() => fn(ints([1, 2]), ints([0, 1]))).toThrow(/multilabelMarginLoss: input must be a float32 or float64/);
    expect(() => fn(x, ints([0, 1, 2]))).toThrow(ShapeError);
    expect(() => fn(x, ints([0, 1, 2]))).toThrow(/target must have the input's shape \[2,3\]/);
    expect(() => fn(zeros([3]), ints([0, 1]))).toThrow(/target must be a \[3\] tensor/);
    expect(() => fn(zeros([2, 3, 4]), zeros([2, 3, 4], { dtype: 'int32' }))).toThrow(
      /input must be a \[C\] or \[N, C\]/,
    );
    expect(() => fn(zeros([2, 0]), zeros([2, 0], { dtype: 'int32' }))).toThrow(/with C > 0/);
    expect(() =>
      fn(
        x,
        ints([
          [0, 1, 2],
          [0, 1, 2],
        ]),
        { reduction: 'avg' as never },
      ),
    ).toThrow(/multilabelMarginLoss: reduction must be/);
    expect(() =>
      fn(
        x,
        ints([
          [0, 1, 2],
          [0, 1, 2],
        ]),
        { reducton: 'sum' } as never,
      ),
    ).toThrow(/did you mean "reduction"/);
  });

  it('as a module: holds its reduction and calls the function', () => {
    const m = new MultiLabelMarginLoss({ reduction: 'sum' });
    const x = tensor(
      [
        [0.1, 0.2, 0.4, 0.8],
        [1, 2, 3, 4],
      ],
      f64,
    );
    const y = ints([
      [3, 0, -1, 1],
      [0, 1, 2, 3],
    ]);
    expect(m.reduction).toBe('sum');
    expect(m.forward(x, y).item()).toBe(F.multilabelMarginLoss(x, y, { reduction: 'sum' }).item());
    expect(new MultiLabelMarginLoss().extraRepr()).toBe("reduction='mean'");
    expect(() => new MultiLabelMarginLoss({ reduction: 'avg' as never })).toThrow(/MultiLabelMarginLoss: reduction/);
  });
});

describe('gumbelSoftmax', () => {
  const logits = randn([6, 5], { ...f64, generator: new Generator(4) });

  it('gives rows on the simplex, reproducibly with a generator, and follows the dim option', () => {
    const y = F.gumbelSoftmax(logits, { generator: new Generator(7) });
    expect(y.shape).toEqual([6, 5]);
    expect(y.dtype).toBe('float64');
    for (const row of y.toArray() as number[][]) {
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
      for (const v of row) expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(F.gumbelSoftmax(logits, { generator: new Generator(7) }).toArray()).toEqual(y.toArray());
    expect(F.gumbelSoftmax(logits, { generator: new Generator(8) }).toArray()).not.toEqual(y.toArray());
    manualSeed(11);
    const first = F.gumbelSoftmax(logits).toArray();
    manualSeed(11);
    expect(F.gumbelSoftmax(logits).toArray()).toEqual(first);
    const columns = sum(F.gumbelSoftmax(logits, { dim: 0, generator: new Generator(7) }), 0).toArray() as number[];
    for (const s of columns) expect(s).toBeCloseTo(1, 12);
    expect(F.gumbelSoftmax(logits.to('float32'), { generator: new Generator(7) }).dtype).toBe('float32');
  });

  it('is the softmax of (logits + Gumbel noise) / tau', () => {
    const y = F.gumbelSoftmax(logits, { tau: 0.3, generator: new Generator(9) });
    const noise = gumbelNoise(logits.shape, 'float64', new Generator(9));
    expect(y.toArray()).toEqual(softmax(logits.add(noise).div(0.3), -1).toArray());
  });

  it('draws noise with the standard Gumbel mean (Euler–Mascheroni) and variance π²/6', () => {
    const noise = gumbelNoise([200000], 'float64', new Generator(12)).toArray() as number[];
    const mean = noise.reduce((s, v) => s + v, 0) / noise.length;
    const variance = noise.reduce((s, v) => s + (v - mean) ** 2, 0) / noise.length;
    // Standard errors: 0.003 for the mean, 0.008 for the variance; the bounds are over 6 of them.
    expect(Math.abs(mean - 0.5772156649)).toBeLessThan(0.02);
    expect(Math.abs(variance - Math.PI ** 2 / 6)).toBeLessThan(0.05);
  });

  it('samples each class with its softmax probability (the Gumbel-max trick) when hard', () => {
    const probs = [0.2, 0.3, 0.5];
    const rows = 20000;
    const many = tensor(
      Array.from({ length: rows }, () => probs.map(Math.log)),
      f64,
    );
    const counts = sum(F.gumbelSoftmax(many, { hard: true, generator: new Generator(13) }), 0).toArray() as number[];
    counts.forEach((c, k) => {
      expect(Math.abs(c / rows - probs[k])).toBeLessThan(0.025); // 7 standard errors
    });
  });

  it('when hard, is the one-hot of the soft sample with the soft sample gradient', () => {
    const x = logits.detach().requiresGrad_();
    const w = randn([6, 5], { ...f64, generator: new Generator(5) });
    const soft = F.gumbelSoftmax(x, { tau: 0.5, generator: new Generator(6) });
    const hard = F.gumbelSoftmax(x, { tau: 0.5, hard: true, generator: new Generator(6) });
    const picked = argmax(soft, -1);
    const values = hard.toArray() as number[][];
    const want = oneHot(picked, 5).toArray() as number[][];
    values.forEach((row, i) => {
      row.forEach((v, k) => {
        if (want[i][k] === 1) expect(Math.abs(v - 1)).toBeLessThan(1e-15);
        else expect(v).toBe(0);
      });
    });
    const [gSoft] = gradients([sum(mul(soft, w))], [x]);
    const [gHard] = gradients([sum(mul(hard, w))], [x]);
    expect(gHard?.toArray()).toEqual(gSoft?.toArray());
    expect(
      F.gumbelSoftmax(x, { hard: true, dim: 0, generator: new Generator(6) })
        .sum(0)
        .toArray(),
    ).toEqual([1, 1, 1, 1, 1].map(() => expect.closeTo(1, 14)));
    expect(F.gumbelSoftmax(tensor(2, f64), { hard: true }).item()).toBe(1);
    expect(F.gumbelSoftmax(tensor(2, f64)).item()).toBe(1);
  });

  it('passes gradcheck in float64 with the noise fixed by a generator (soft; hard has the soft gradient)', () => {
    const x = logits.detach().requiresGrad_();
    for (const dim of [-1, 0])
      expect(gradcheck((t) => F.gumbelSoftmax(t, { tau: 0.7, dim, generator: new Generator(21) }), [x])).toBe(true);
  });

  it('names the function and the argument in its errors', () => {
    const fn = F.gumbelSoftmax;
    for (const tau of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => fn(logits, { tau })).toThrow(/gumbelSoftmax: tau must be a positive finite number/);
    expect(() => fn(logits, { hard: 'yes' as never })).toThrow(/gumbelSoftmax: hard must be a boolean/);
    expect(() => fn(logits, { dim: 2 })).toThrow(AxisError);
    expect(() => fn(logits, { dim: 2 })).toThrow(/gumbelSoftmax: dim 2 is out of range/);
    expect(() => fn(logits, { generator: 42 as never })).toThrow(/gumbelSoftmax: generator must be a Generator/);
    expect(() => fn(ints([1, 2]))).toThrow(/gumbelSoftmax: logits must be a float32 or float64 tensor/);
    expect(() => fn(logits, { eps: 1e-10 } as never)).toThrow(ValueError);
    expect(() => fn(logits, { eps: 1e-10 } as never)).toThrow(/gumbelSoftmax: unknown option "eps"/);
  });
});
