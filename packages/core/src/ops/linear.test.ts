import { describe, expect, it } from 'vitest';
import {
  add,
  DTypeError,
  fusedLinear,
  Generator,
  gradcheck,
  gradgradcheck,
  matmulTransposed,
  relu,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  tidy,
  ValueError,
} from '../index';

function randomTensor(shape: number[], rng: Generator, dtype: 'float32' | 'float64' = 'float32', grad = true): Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  return tensor(
    Array.from({ length: size }, () => rng.normal()),
    { shape, dtype, requiresGrad: grad },
  );
}

/** The same layer written with the unfused ops. */
function unfused(x: Tensor, w: Tensor, b: Tensor | null, act: boolean): Tensor {
  const y = matmulTransposed(x, w, { transB: true });
  const z = b === null ? y : add(y, b);
  return act ? relu(z) : z;
}

/** Output and gradients of `sum(out * seed)` for a layer function. */
function run(f: typeof unfused, x: Tensor, w: Tensor, b: Tensor | null, act: boolean, seed: Tensor) {
  for (const t of [x, w, b]) if (t !== null) t.grad = null;
  const out = f(x, w, b, act);
  sum(out.mul(seed)).backward();
  return {
    out: Array.from(out.values),
    gx: Array.from(x.grad?.values ?? []),
    gw: Array.from(w.grad?.values ?? []),
    gb: Array.from(b?.grad?.values ?? []),
  };
}

const fused = (x: Tensor, w: Tensor, b: Tensor | null, act: boolean) =>
  fusedLinear(x, w, b, { activation: act ? 'relu' : 'none' });

describe('fusedLinear', () => {
  it('gives the unfused ops’ output and gradients to the bit (float32, ragged sizes, with and without bias and ReLU)', () => {
    const rng = new Generator(7);
    for (const [rows, inF, outF] of [
      [1, 1, 1],
      [7, 33, 5],
      [33, 65, 17],
      [128, 96, 40],
    ])
      for (const withBias of [true, false])
        for (const act of [true, false]) {
          const x = randomTensor([rows, inF], rng);
          const w = randomTensor([outF, inF], rng);
          const b = withBias ? randomTensor([outF], rng) : null;
          const seed = randomTensor([rows, outF], rng, 'float32', false);
          const want = run(unfused, x, w, b, act, seed);
          const got = run(fused, x, w, b, act, seed);
          expect(got, `${rows}x${inF}->${outF} bias ${withBias} relu ${act}`).toEqual(want);
        }
  });

  it('matches finite differences in float64, and its gradients differentiate again', () => {
    const rng = new Generator(3);
    for (const act of ['none', 'relu'] as const) {
      const x = randomTensor([4, 5], rng, 'float64');
      const w = randomTensor([3, 5], rng, 'float64');
      const b = randomTensor([3], rng, 'float64');
      const f = (xs: Tensor, ws: Tensor, bs: Tensor) => fusedLinear(xs, ws, bs, { activation: act });
      expect(gradcheck(f, [x, w, b])).toBe(true);
      expect(gradgradcheck(f, [x, w, b])).toBe(true);
    }
  });

  it('computes only the gradients that are needed', () => {
    const rng = new Generator(5);
    const x = randomTensor([6, 4], rng, 'float32', false);
    const w = randomTensor([3, 4], rng);
    const b = randomTensor([3], rng, 'float32', false);
    sum(fusedLinear(x, w, b, { activation: 'relu' })).backward();
    expect(x.grad).toBeNull();
    expect(b.grad).toBeNull();
    expect(w.grad?.shape).toEqual([3, 4]);
  });

  it('stores its gradient as the weight’s .grad without a copy, and later backwards add into it', () => {
    const rng = new Generator(9);
    const x = randomTensor([5, 4], rng, 'float32', false);
    const w = randomTensor([3, 4], rng);
    const kept: Tensor[] = [];
    // The gradient survives the tidy that made it, and the second backward adds to it in place.
    tidy(() => sum(fusedLinear(x, w, null)).backward());
    const first = Array.from(w.grad?.values ?? []);
    tidy(() => sum(fusedLinear(x, w, null)).backward());
    expect(Array.from(w.grad?.values ?? [])).toEqual(first.map((v) => Math.fround(v + v)));
    // A hook that keeps the tensor it is given: the tensor it kept never changes afterwards.
    w.grad = null;
    const remove = w.registerHook((g) => {
      kept.push(g);
    });
    sum(fusedLinear(x, w, null)).backward();
    const snapshot = Array.from(kept[0].values);
    sum(fusedLinear(x, w, null)).backward();
    remove();
    expect(Array.from(kept[0].values)).toEqual(snapshot);
    expect(kept[0]).not.toBe(w.grad);
  });

  it('gives a weight used twice the sum of both gradients', () => {
    const rng = new Generator(11);
    const x = randomTensor([5, 4], rng, 'float32', false);
    const w = randomTensor([4, 4], rng);
    sum(fusedLinear(fusedLinear(x, w, null, { activation: 'relu' }), w, null)).backward();
    const fusedGrad = Array.from(w.grad?.values ?? []);
    w.grad = null;
    sum(unfused(unfused(x, w, null, true), w, null, false)).backward();
    expect(fusedGrad).toEqual(Array.from((w.grad as Tensor | null)?.values ?? []));
  });

  it('rejects bad arguments with errors that name the argument', () => {
    const x = tensor([[1, 2]]);
    const w = tensor([[1, 1]]);
    expect(() => fusedLinear(x, tensor([[1, 1, 1]]))).toThrow(ShapeError);
    expect(() => fusedLinear(x, w, tensor([1, 2]))).toThrow(/bias must have shape \[1\]/);
    expect(() => fusedLinear(tensor([1, 2]), w)).toThrow(/x must be \[rows, inFeatures\]/);
    expect(() => fusedLinear(x, w, null, { activation: 'gelu' as 'relu' })).toThrow(ValueError);
    expect(() => fusedLinear(x, tensor([[1, 1]], { dtype: 'float64' }))).toThrow(DTypeError);
    expect(() => fusedLinear(tensor([[1, 2]], { dtype: 'int32' }), w)).toThrow(/x must be float32 or float64/);
    expect(() => fusedLinear(null as unknown as Tensor, w)).toThrow(/fusedLinear: x must be a Tensor/);
  });
});
