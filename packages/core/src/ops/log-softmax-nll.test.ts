import { describe, expect, it } from 'vitest';
import {
  type ClassPicks,
  DTypeError,
  div,
  Generator,
  gather,
  gradcheck,
  gradgradcheck,
  gradients,
  logSoftmax,
  logSoftmaxNll,
  mul,
  type NllReduction,
  neg,
  ShapeError,
  squeeze,
  sum,
  type Tensor,
  tensor,
  unsqueeze,
  ValueError,
} from '../index';

type Float = 'float32' | 'float64';

function randomLogits(rows: number, classes: number, rng: Generator, dtype: Float): Tensor {
  // Spread wide enough that some rows are nearly one-hot and others flat.
  const scale = 1 + 4 * rng.uniform();
  return tensor(
    Array.from({ length: rows * classes }, () => scale * rng.normal()),
    { shape: [rows, classes], dtype, requiresGrad: true },
  );
}

function randomPicks(rows: number, classes: number, rng: Generator, dtype: Float, weighted: boolean): ClassPicks {
  const make = dtype === 'float32' ? Float32Array : Float64Array;
  const index = new Int32Array(rows);
  const weight = new make(rows);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    index[i] = Math.floor(rng.uniform() * classes);
    // Every fifth row left out (weight 0), as an ignored target is.
    weight[i] = i % 5 === 3 ? 0 : weighted ? 0.25 + 2 * rng.uniform() : 1;
    total += weight[i];
  }
  return { index, weight, denominator: dtype === 'float32' ? Math.fround(total) : total };
}

/** The same loss written with the ops that crossEntropy composed before logSoftmaxNll. */
function composite(x: Tensor, picks: ClassPicks, reduction: NllReduction): Tensor {
  const dtype = x.dtype;
  const index = unsqueeze(tensor(Array.from(picks.index), { dtype: 'int32' }), 1);
  const picked = squeeze(gather(logSoftmax(x, 1), 1, index), 1);
  const loss = neg(mul(picked, tensor(Array.from(picks.weight), { dtype })));
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return sum(loss);
  return div(sum(loss), tensor(picks.denominator, { dtype }));
}

/** The loss's values and the logits' gradient for the upstream gradient `seed`. */
function run(loss: (x: Tensor) => Tensor, x: Tensor, seed: Tensor) {
  x.grad = null;
  const out = loss(x);
  out.backward(seed);
  return { out: Array.from(out.values), grad: Array.from((x.grad as Tensor | null)?.values ?? []) };
}

describe('logSoftmaxNll', () => {
  it('gives the composite ops’ values and gradients to the bit, for every reduction, dtype and weighting', () => {
    const rng = new Generator(21);
    for (const dtype of ['float32', 'float64'] as const)
      for (const [rows, classes] of [
        [1, 1],
        [1, 7],
        [13, 10],
        [128, 10],
        [9, 257],
      ])
        for (const weighted of [false, true])
          for (const reduction of ['mean', 'sum', 'none'] as const) {
            const x = randomLogits(rows, classes, rng, dtype);
            const picks = randomPicks(rows, classes, rng, dtype, weighted);
            const seed =
              reduction === 'none'
                ? tensor(
                    Array.from({ length: rows }, () => rng.normal()),
                    { dtype },
                  )
                : tensor(0.5 + rng.uniform(), { dtype });
            const want = run((t) => composite(t, picks, reduction), x, seed);
            const got = run((t) => logSoftmaxNll(t, picks, reduction), x, seed);
            expect(got, `${dtype} ${rows}x${classes} weighted ${weighted} ${reduction}`).toEqual(want);
          }
  });

  it('is -log softmax of the picked class, and its gradient is (softmax - onehot) / N', () => {
    const x = tensor([[2, 0, 1]], { requiresGrad: true });
    const loss = logSoftmaxNll(x, { index: Int32Array.of(0), weight: Float32Array.of(1), denominator: 1 });
    const z = Math.exp(2) + 1 + Math.exp(1);
    expect(loss.item()).toBeCloseTo(Math.log(z) - 2, 6);
    loss.backward();
    const grad = Array.from(x.grad?.values ?? []);
    [Math.exp(2) / z - 1, 1 / z, Math.exp(1) / z].forEach((v, i) => {
      expect(grad[i]).toBeCloseTo(v, 6);
    });
  });

  it('matches finite differences in float64, and its gradients differentiate again', () => {
    const rng = new Generator(5);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const x = randomLogits(4, 5, rng, 'float64');
      const picks = randomPicks(4, 5, rng, 'float64', true);
      const f = (t: Tensor) => logSoftmaxNll(t, picks, reduction);
      expect(gradcheck(f, [x])).toBe(true);
      expect(gradgradcheck(f, [x])).toBe(true);
    }
  });

  it('gives second derivatives equal to the composite ops’ (createGraph)', () => {
    const rng = new Generator(8);
    const x = randomLogits(6, 4, rng, 'float64');
    const picks = randomPicks(6, 4, rng, 'float64', true);
    const probe = tensor(
      Array.from({ length: 24 }, () => rng.normal()),
      { shape: [6, 4], dtype: 'float64' },
    );
    const second = (loss: (t: Tensor) => Tensor) => {
      const [g] = gradients([loss(x)], [x], null, { createGraph: true });
      const [h] = gradients([sum(mul(g as Tensor, probe))], [x]);
      return Array.from((h as Tensor).values);
    };
    const want = second((t) => composite(t, picks, 'mean'));
    const got = second((t) => logSoftmaxNll(t, picks, 'mean'));
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(want[i], 12);
    });
  });

  it('keeps its own copy of the picks: changing them after the forward does not change the gradient', () => {
    const x = tensor(
      [
        [2, 0, 1],
        [0, 3, 0],
      ],
      { requiresGrad: true },
    );
    const picks: ClassPicks = { index: Int32Array.of(0, 1), weight: Float32Array.of(1, 1), denominator: 2 };
    const loss = logSoftmaxNll(x, picks);
    picks.index[0] = 2;
    picks.weight[1] = 5;
    loss.backward();
    const want = tensor(
      [
        [2, 0, 1],
        [0, 3, 0],
      ],
      { requiresGrad: true },
    );
    logSoftmaxNll(want, { index: Int32Array.of(0, 1), weight: Float32Array.of(1, 1), denominator: 2 }).backward();
    expect(Array.from(x.grad?.values ?? [])).toEqual(Array.from(want.grad?.values ?? []));
  });

  it('rejects bad arguments with errors that name the argument, and leaves the picks untouched', () => {
    const x = tensor([[1, 2, 3]]);
    const ok: ClassPicks = { index: Int32Array.of(1), weight: Float32Array.of(1), denominator: 1 };
    expect(() => logSoftmaxNll(tensor([1, 2, 3]), ok)).toThrow(ShapeError);
    expect(() => logSoftmaxNll(tensor([[1, 2]], { dtype: 'int32' }), ok)).toThrow(DTypeError);
    expect(() => logSoftmaxNll(null as unknown as Tensor, ok)).toThrow(/logSoftmaxNll: logits must be a Tensor/);
    const bad = { ...ok, index: Int32Array.of(3) };
    expect(() => logSoftmaxNll(x, bad)).toThrow(/picks.index\[0\] is 3, out of range for 3 classes/);
    expect(Array.from(bad.index)).toEqual([3]);
    expect(() => logSoftmaxNll(x, { ...ok, index: Int32Array.of(0, 1) })).toThrow(
      /picks.index must be an Int32Array of length 1/,
    );
    expect(() => logSoftmaxNll(x, { ...ok, weight: [1] as unknown as Float32Array })).toThrow(/picks.weight/);
    expect(() => logSoftmaxNll(x, { ...ok, denominator: Number.NaN })).toThrow(/picks.denominator/);
    expect(() => logSoftmaxNll(x, ok, 'avg' as NllReduction)).toThrow(ValueError);
    expect(Array.from(x.values)).toEqual([1, 2, 3]);
  });
});
