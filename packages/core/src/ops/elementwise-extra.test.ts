import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getWasmRuntime } from '../backends/wasm/index';
import {
  cast,
  DTypeError,
  enableGrad,
  Generator,
  getBackend,
  gradcheck,
  gradients,
  mul,
  gradgradcheck as rawGradgradcheck,
  ShapeError,
  square,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '../index';
import { atan2 } from './atan2';
import { erf } from './erf';
import { isfinite, isinf, isnan } from './isnan';
import { fmod, remainder } from './remainder';
import { ceil, floor, round, trunc } from './rounding';

// PyTorch 1.13.1's values (scripts/fixtures/make_elementwise_extra_fixture.py).
interface FixtureTensor {
  shape: number[];
  dtype: 'float64' | 'float32' | 'int32';
  data: (number | string)[];
}
interface UnaryCase {
  id: string;
  op: string;
  decimals?: number;
  dtype: string;
  x: FixtureTensor;
  out: FixtureTensor;
  upstream?: FixtureTensor;
  grad?: FixtureTensor;
  glibc?: FixtureTensor;
}
interface BinaryCase {
  id: string;
  op: string;
  dtype: string;
  a: FixtureTensor;
  b: FixtureTensor;
  out: FixtureTensor;
  upstream?: FixtureTensor;
  grad_a?: FixtureTensor;
  grad_b?: FixtureTensor;
}
interface ErrorCase {
  id: string;
  op: string;
  a: FixtureTensor;
  b: FixtureTensor;
  message: string;
}
const fixture = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/elementwise-extra.json', import.meta.url), 'utf8'),
) as { torch: string; unary: UnaryCase[]; binary: BinaryCase[]; errors: ErrorCase[] };

function num(v: number | string): number {
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  if (typeof v !== 'number') throw new Error(`fixture: unexpected datum ${JSON.stringify(v)}`);
  return v;
}

function fromFixture(t: FixtureTensor, requiresGrad = false): Tensor {
  return tensor(t.data.map(num), { shape: t.shape, dtype: t.dtype, requiresGrad });
}

/** One unit in the last place of `v` in `dtype` (the gap above |v|'s power of two, subnormals included). */
function ulp(v: number, dtype: string): number {
  const [bits, minExp] = dtype === 'float32' ? [23, -126] : [52, -1022];
  const a = Math.abs(v);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return 2 ** (Math.max(e, minExp) - bits);
}

/**
 * How close a value must be to PyTorch's: 'exact' (same bits up to the NaN payload: -0 differs from 0),
 * `{ ulps }` (within that many units in the last place; zeros, infinities and NaN still exact) or
 * `{ abs }` (an absolute bound, for sums whose order differs).
 */
type Tolerance = 'exact' | { ulps: number } | { abs: number };

/** Compare `got` with PyTorch's `want` (shape, dtype and values); every mismatch is listed. */
function expectMatches(got: Tensor | null, want: FixtureTensor, tol: Tolerance, label: string): void {
  expect(got, label).not.toBeNull();
  const t = got as Tensor;
  expect([t.dtype, t.shape], label).toEqual([want.dtype, want.shape]);
  const values = t.data;
  const bad: string[] = [];
  want.data.forEach((w, i) => {
    const e = num(w);
    const g = values[i];
    let ok: boolean;
    if (tol === 'exact' || e === 0 || !Number.isFinite(e)) ok = Object.is(g, e);
    else if ('ulps' in tol) ok = Math.abs(g - e) <= tol.ulps * ulp(e, want.dtype);
    else ok = Math.abs(g - e) <= tol.abs;
    if (!ok) bad.push(`[${i}] got ${Object.is(g, -0) ? '-0' : g}, torch ${Object.is(e, -0) ? '-0' : e}`);
  });
  expect(bad, label).toEqual([]);
}

const UNARY: Record<string, (x: Tensor) => Tensor> = { floor, ceil, round, trunc, isnan, isinf, isfinite, erf };
const BINARY: Record<string, (a: Tensor, b: Tensor) => Tensor> = { atan2, remainder, fmod };

/** The largest |value| of a fixture tensor's finite entries (at least 1). */
function scale(t: FixtureTensor): number {
  return t.data.map(num).reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 1);
}

/** How many output elements were summed into each element of a gradient of shape `inputShape`. */
function termsPerElement(outShape: number[], inputShape: number[]): number {
  const outSize = outShape.reduce((p, d) => p * d, 1);
  const inSize = inputShape.reduce((p, d) => p * d, 1);
  return outSize / Math.max(inSize, 1);
}

const EPS: Record<string, number> = { float64: 2 ** -52, float32: 2 ** -23 };

/**
 * The tolerance of a gradient summed over broadcast dimensions: PyTorch and nabla add the same terms in
 * different orders (and nabla accumulates float32 sums in float64), so each may be off from the exact sum
 * by about (terms) · ε · (largest term); the largest term is bounded by |upstream| · |factor|.
 */
function sumTolerance(c: BinaryCase, grad: FixtureTensor, factor: number): Tolerance {
  const terms = termsPerElement(c.out.shape, grad.shape);
  if (terms === 1) return 'exact';
  return { abs: 2 * terms * EPS[c.dtype] * scale(c.upstream as FixtureTensor) * factor };
}

describe('elementwise extras against PyTorch 1.13.1', () => {
  it('reads the fixture', () => {
    expect(fixture.torch).toMatch(/^1\.13/);
    expect(fixture.unary.length).toBe(36);
    expect(fixture.unary.find((c) => c.id === 'erf/float64')?.x.data.length).toBe(514);
    expect(fixture.binary.length).toBe(36);
  });

  for (const c of fixture.unary) {
    it(`${c.id}: values${c.grad ? ' and gradient' : ''}`, () => {
      const f = UNARY[c.op];
      const x = fromFixture(c.x, c.grad !== undefined);
      const out = c.decimals === undefined ? f(x) : round(x, { decimals: c.decimals });
      // erf: nabla's (Cody's rational approximations) is within 4 ulp of the exact value in float64, torch's
      // (Sleef's or glibc's) within 1: 4 ulp apart at most; in float32 both round a value far more accurate
      // than float32, so they can differ only where that value is close to a tie: 1 ulp.
      // Every other op is exact.
      const forward: Tolerance = c.op !== 'erf' ? 'exact' : { ulps: c.dtype === 'float32' ? 1 : 4 };
      expectMatches(out, c.out, forward, `${c.id} forward`);
      if (c.glibc !== undefined) expectMatches(out, c.glibc, { ulps: 4 }, `${c.id} against glibc`);
      if (c.grad === undefined) {
        expect(out.requiresGrad).toBe(false);
        return;
      }
      const [g] = gradients([out], [x], [fromFixture(c.upstream as FixtureTensor)]);
      // erf's gradient multiplies exp(-x²) (Math.exp vs torch's exp, each within 1 ulp of the exact value)
      // by two numbers in PyTorch's order, each product rounded: a few ulps apart at most (3 seen in
      // float32, 1 in float64). The rounding ops' gradient is zero, exactly.
      const backward: Tolerance = c.op !== 'erf' ? 'exact' : { ulps: 4 };
      expectMatches(g, c.grad, backward, `${c.id} gradient`);
    });
  }

  for (const c of fixture.binary) {
    it(`${c.id}: values${c.grad_a ? ' and gradients' : ''}`, () => {
      const f = BINARY[c.op];
      const grads = c.grad_a !== undefined;
      const a = fromFixture(c.a, grads);
      const b = fromFixture(c.b, grads);
      const out = f(a, b);
      // atan2: Math.atan2 and torch's atan2 (glibc or Sleef) are each within 1 ulp in float64; in float32
      // both round a value within half an ulp. remainder and fmod are exact operations (fmod is exact, and
      // remainder adds b once, rounded once), so they match to the bit, signed zeros included.
      const forward: Tolerance = c.op !== 'atan2' ? 'exact' : { ulps: c.dtype === 'float32' ? 1 : 2 };
      expectMatches(out, c.out, forward, `${c.id} forward`);
      if (!grads) return;
      const [ga, gb] = gradients([out], [a, b], [fromFixture(c.upstream as FixtureTensor)]);
      // Each term is the same product as PyTorch's, in the same order, so elementwise gradients match to
      // the bit; a broadcast input's gradient is a sum (see sumTolerance). The factor bounds each term's
      // multiplier: 1 for d/da of remainder and fmod, |a/b| for d/db, 1/|a| or 1/|b| for atan2.
      const quotientBound = (scale(c.a) / Math.min(...c.b.data.map((v) => Math.abs(num(v))))) * 2;
      const atanBound = 1 / Math.min(...c.b.data.map((v) => Math.abs(num(v))));
      const factorA = c.op === 'atan2' ? atanBound : 1;
      const factorB = c.op === 'atan2' ? atanBound : quotientBound;
      expectMatches(ga, c.grad_a as FixtureTensor, sumTolerance(c, c.grad_a as FixtureTensor, factorA), `${c.id} d/da`);
      expectMatches(gb, c.grad_b as FixtureTensor, sumTolerance(c, c.grad_b as FixtureTensor, factorB), `${c.id} d/db`);
    });
  }

  for (const c of fixture.errors) {
    it(`${c.id}: refuses what PyTorch refuses (${c.message})`, () => {
      const f = BINARY[c.op];
      expect(() => f(fromFixture(c.a), fromFixture(c.b))).toThrow(ValueError);
      expect(() => f(fromFixture(c.a), fromFixture(c.b))).toThrow(
        new RegExp(`^${c.op}: b must not be zero for int32 operands .*ZeroDivisionError.*index 1$`),
      );
    });
  }
});

const gen = new Generator(2024);

/**
 * gradgradcheck with `f` run under enableGrad: gradgradcheck's finite differences evaluate the
 * first-order gradient inside noGrad, where it could not be recorded.
 */
function gradgradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): boolean {
  return rawGradgradcheck((...xs) => enableGrad(() => f(...xs)), inputs);
}

/** A float64 leaf of uniform values in [lo, hi) for which `ok` holds. */
function rand64(shape: number[], lo: number, hi: number, ok: (v: number) => boolean = () => true): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    do v = lo + (hi - lo) * gen.uniform();
    while (!ok(v));
    data[i] = v;
  }
  return tensor(data, { shape, requiresGrad: true });
}

/** Whether `v` is at least `gap` away from every multiple of `step` shifted by `offset`. */
const awayFrom =
  (step: number, offset = 0, gap = 0.05) =>
  (v: number): boolean => {
    const r = (((v - offset) % step) + step) % step;
    return r > gap && r < step - gap;
  };

describe('rounding ops', () => {
  it('round ties to even and keep the sign of zero, as torch.round', () => {
    const x = tensor([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.49999999999999994, -0.4, 2.6], { dtype: 'float64' });
    expect(round(x).toArray()).toEqual([0, 2, 2, 4, -0, -2, -2, 0, -0, 3]);
    expect(Object.is(round(x).data[4], -0)).toBe(true);
    expect(Object.is(round(x).data[0], 0)).toBe(true);
  });

  it('floor, ceil and trunc follow C at the edges', () => {
    const x = tensor([-0.5, -0, 0.5, -1.5, Infinity, Number.NaN], { dtype: 'float64' });
    expect(floor(x).toArray()).toEqual([-1, -0, 0, -2, Infinity, Number.NaN]);
    expect(ceil(x).toArray()).toEqual([-0, -0, 1, -1, Infinity, Number.NaN]);
    expect(trunc(x).toArray()).toEqual([-0, -0, 0, -1, Infinity, Number.NaN]);
  });

  it('keep float32 and int32 dtypes', () => {
    for (const f of [floor, ceil, round, trunc]) {
      expect(f(tensor([1.5])).dtype).toBe('float32');
      const i = tensor([-3, 7], { dtype: 'int32' });
      expect(f(i).dtype).toBe('int32');
      expect(f(i).toArray()).toEqual([-3, 7]);
    }
  });

  it('round to decimal places like torch.round(x, decimals=d), and check the option', () => {
    const x = tensor([1.2345, 0.125, 1250, 1350], { dtype: 'float64' });
    expect(round(x, { decimals: 2 }).toArray()).toEqual([1.23, 0.12, 1250, 1350]);
    expect(round(x, { decimals: -2 }).toArray()).toEqual([0, 0, 1200, 1400]);
    expect(round(x, { decimals: 0 }).toArray()).toEqual([1, 0, 1250, 1350]);
    expect(() => round(x, { decimals: 1.5 })).toThrow(/^round: decimals must be an integer, got 1.5$/);
    expect(() => round(x, { digits: 2 } as never)).toThrow(ValueError);
    expect(() => round(tensor([15], { dtype: 'int32' }), { decimals: -1 })).toThrow(DTypeError);
    const xg = rand64([6], -3, 3, awayFrom(0.1, 0.05, 0.01));
    expect(gradcheck((t) => round(t, { decimals: 1 }), [xg])).toBe(true);
    expect(gradgradcheck((t) => mul(round(t, { decimals: 1 }), square(t)), [xg])).toBe(true);
  });

  it('keep float16 and bfloat16 dtypes', () => {
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const h = cast(tensor([1.5, -0.5, 2.5, Number.NaN]), dtype);
      expect(round(h).dtype).toBe(dtype);
      expect(round(h).toArray()).toEqual([2, -0, 2, Number.NaN]);
      expect(floor(h).toArray()).toEqual([1, -1, 2, Number.NaN]);
      expect(isnan(h).toArray()).toEqual([0, 0, 0, 1]);
      expect(remainder(h, -2).dtype).toBe(dtype);
      expect(remainder(h, -2).toArray()).toEqual([-0.5, -0.5, -1.5, Number.NaN]);
    }
  });

  it('have zero gradients, and pass gradcheck and gradgradcheck away from the jumps', () => {
    const cases: [(x: Tensor) => Tensor, (v: number) => boolean][] = [
      [floor, awayFrom(1)],
      [ceil, awayFrom(1)],
      [trunc, awayFrom(1)],
      [round, awayFrom(1, 0.5)],
    ];
    for (const [f, ok] of cases) {
      const x = rand64([3, 4], -3, 3, ok);
      expect(Array.from(gradients([f(x).sum()], [x])[0]?.data ?? [])).toEqual(new Array(12).fill(0));
      expect(gradcheck(f, [x])).toBe(true);
      // f(x)·x² has gradient 2x·f(x) and second derivative 2·f(x): the zero gradient composes.
      expect(gradcheck((t) => mul(f(t), square(t)), [x])).toBe(true);
      expect(gradgradcheck((t) => mul(f(t), square(t)), [x])).toBe(true);
    }
  });
});

describe('isnan, isinf, isfinite', () => {
  it('return int32 masks without gradients', () => {
    const x = tensor([1, Number.NaN, Infinity, -Infinity, -0], { dtype: 'float64', requiresGrad: true });
    expect(isnan(x).toArray()).toEqual([0, 1, 0, 0, 0]);
    expect(isinf(x).toArray()).toEqual([0, 0, 1, 1, 0]);
    expect(isfinite(x).toArray()).toEqual([1, 0, 0, 0, 1]);
    for (const f of [isnan, isinf, isfinite]) {
      expect(f(x).dtype).toBe('int32');
      expect(f(x).requiresGrad).toBe(false);
    }
  });

  it('treat int32 tensors as finite', () => {
    const i = tensor([0, -5, 2147483647], { dtype: 'int32' });
    expect(isnan(i).toArray()).toEqual([0, 0, 0]);
    expect(isinf(i).toArray()).toEqual([0, 0, 0]);
    expect(isfinite(i).toArray()).toEqual([1, 1, 1]);
  });

  it('reject a non-tensor', () => {
    for (const [name, f] of [
      ['isnan', isnan],
      ['isinf', isinf],
      ['isfinite', isfinite],
    ] as const) {
      expect(() => f(Number.NaN as unknown as Tensor)).toThrow(DTypeError);
      expect(() => f(Number.NaN as unknown as Tensor)).toThrow(`${name}: x must be a Tensor, got number`);
    }
  });
});

describe('erf', () => {
  it('is within 4 ulp of the exact value at branch points, in the tails and at the special values', () => {
    // Exact values (50 digits, mpmath) rounded to double: the correctly rounded erf.
    const table: [number, number][] = [
      [1e-300, 1.1283791670955126e-300],
      [5e-324, 5e-324],
      [2 ** -28, 4.203539964167448e-9],
      [0.5, 0.5204998778130465],
      [0.84375, 0.7672256612323416],
      [1, 0.8427007929497149],
      [1.25, 0.9229001282564583],
      [2.857142857142857, 0.9999466876886117],
      [4, 0.9999999845827421],
      [5.9, 0.9999999999999999],
    ];
    for (const [x, want] of table) {
      const got = erf(tensor([x, -x], { dtype: 'float64' })).data;
      expect(Math.abs(got[0] - want), `erf(${x})`).toBeLessThanOrEqual(4 * ulp(want, 'float64'));
      expect(got[1]).toBe(-got[0]);
    }
    const special = erf(tensor([0, -0, Infinity, -Infinity, Number.NaN, 6, -27], { dtype: 'float64' })).toArray();
    expect(special).toEqual([0, -0, 1, -1, Number.NaN, 1, -1]);
  });

  it('promotes int32 to float32 and rejects a non-tensor', () => {
    const y = erf(tensor([0, 1, -3], { dtype: 'int32' }));
    expect(y.dtype).toBe('float32');
    expect(Array.from(y.data)).toEqual([0, Math.fround(0.8427007929497149), Math.fround(-0.9999779095030014)]);
    expect(() => erf([1] as unknown as Tensor)).toThrow(/^erf: x must be a Tensor, got object$/);
  });

  it('passes gradcheck and gradgradcheck in float64', () => {
    expect(gradcheck(erf, [rand64([3, 5], -3, 3)])).toBe(true);
    expect(gradgradcheck(erf, [rand64([3, 5], -3, 3)])).toBe(true);
  });
});

describe('atan2', () => {
  it('picks the quadrant from the signs, zeros included, and promotes int32 to float32', () => {
    const y = tensor([0, -0, 0, -0, 1, -1, Infinity], { dtype: 'float64' });
    const x = tensor([1, 1, -1, -1, 0, -0, Infinity], { dtype: 'float64' });
    expect(atan2(y, x).toArray()).toEqual([0, -0, Math.PI, -Math.PI, Math.PI / 2, -Math.PI / 2, Math.PI / 4]);
    const i = atan2(tensor([1], { dtype: 'int32' }), tensor([1], { dtype: 'int32' }));
    expect(i.dtype).toBe('float32');
    expect(i.item()).toBe(Math.fround(Math.PI / 4));
    expect(atan2(tensor([1, 2]), 2).dtype).toBe('float32');
    expect(atan2(1, tensor([1, 2], { dtype: 'float64' })).dtype).toBe('float64');
  });

  it('passes gradcheck and gradgradcheck away from the origin and the branch cut, with broadcasting', () => {
    const away = (v: number) => Math.abs(v) > 0.2;
    const a = rand64([3, 1, 4], -2, 2, away);
    const b = rand64([5, 1], -2, 2, away);
    expect(gradcheck(atan2, [a, b])).toBe(true);
    expect(gradgradcheck(atan2, [a, b])).toBe(true);
    expect(gradcheck((t) => atan2(t, 0.5), [a])).toBe(true);
    expect(gradgradcheck((t) => atan2(-1.5, t), [b])).toBe(true);
  });

  it('validates its operands', () => {
    expect(() => atan2(zeros([2, 3]), zeros([4]))).toThrow(ShapeError);
    expect(() => atan2(zeros([2, 3]), zeros([4]))).toThrow(/^atan2: shapes \[2,3\] and \[4\] cannot be broadcast/);
    expect(() => atan2('1' as unknown as Tensor, 1)).toThrow(DTypeError);
    expect(() => atan2(zeros([1]), null as unknown as Tensor)).toThrow(
      /^atan2: b must be a Tensor or a number, got null$/,
    );
  });
});

describe('remainder and fmod', () => {
  it('give the sign of the divisor (remainder) or of the dividend (fmod)', () => {
    const a = tensor([5.5, -5.5, 5.5, -5.5, -4, 4], { dtype: 'float64' });
    const b = tensor([2, 2, -2, -2, 2, -2], { dtype: 'float64' });
    expect(remainder(a, b).toArray()).toEqual([1.5, 0.5, -0.5, -1.5, -0, 0]);
    expect(fmod(a, b).toArray()).toEqual([1.5, -1.5, 1.5, -1.5, -0, 0]);
    expect(remainder(tensor([-5, 5], { dtype: 'float64' }), Infinity).toArray()).toEqual([Infinity, 5]);
    expect(fmod(tensor([-5, Infinity], { dtype: 'float64' }), Infinity).toArray()).toEqual([-5, Number.NaN]);
  });

  it('keep int32 with int32 and promote otherwise', () => {
    const i = tensor([-7, 7], { dtype: 'int32' });
    expect(remainder(i, 3).dtype).toBe('int32');
    expect(remainder(i, 3).toArray()).toEqual([2, 1]);
    expect(fmod(i, -3).toArray()).toEqual([-1, 1]);
    expect(remainder(i, 2.5).dtype).toBe('float32');
    expect(remainder(i, 2.5).toArray()).toEqual([0.5, 2]);
    expect(fmod(i, tensor([2], { dtype: 'float64' })).dtype).toBe('float64');
    // A zero divisor is an error only for integers; floats give NaN.
    expect(() => remainder(i, 0)).toThrow(/^remainder: b must not be zero for int32 operands/);
    expect(() => fmod(7, tensor([1, 0], { dtype: 'int32' }))).toThrow(ValueError);
    expect(fmod(i, tensor([0])).toArray()).toEqual([Number.NaN, Number.NaN]);
  });

  it('pass gradcheck and gradgradcheck away from the jumps, with broadcasting', () => {
    const b = tensor([[1.25], [-0.8], [2]], { dtype: 'float64', requiresGrad: true });
    const bs = [1.25, -0.8, 2];
    // Every quotient a/b at least 0.05 away from an integer.
    const a = rand64([2, 1, 4], -6, 6, (v) => bs.every((d) => awayFrom(1)(v / d)));
    for (const f of [remainder, fmod]) {
      expect(gradcheck(f, [a, b])).toBe(true);
      expect(gradgradcheck(f, [a, b])).toBe(true);
      expect(gradgradcheck((x, y) => square(f(x, y)), [a, b])).toBe(true);
      expect(gradcheck((x) => f(x, -0.8), [a])).toBe(true);
    }
  });

  it('use PyTorch floor division (not floor(a / b)) in the gradient of remainder', () => {
    const a = tensor([1], { dtype: 'float64', requiresGrad: true });
    const b = tensor([0.1], { dtype: 'float64', requiresGrad: true });
    expect(remainder(a, b).item()).toBe(0.09999999999999995);
    expect(gradients([remainder(a, b)], [b])[0]?.item()).toBe(-9);
    expect(gradients([fmod(a, b)], [b])[0]?.item()).toBe(-10); // trunc(1 / 0.1), as PyTorch
  });

  it('validate their operands', () => {
    expect(() => remainder(zeros([2]), zeros([3]))).toThrow(/^remainder: shapes \[2\] and \[3\] cannot be broadcast/);
    expect(() => fmod(zeros([2]), undefined as unknown as Tensor)).toThrow(
      /^fmod: b must be a Tensor or a number, got undefined$/,
    );
  });
});

describe('on arrays large enough for the wasm backend to keep them in its memory', () => {
  it('match the scalar definitions elementwise (the cpu kernels run on the arrays where they are)', () => {
    const n = 600;
    const values = Array.from({ length: n }, (_, i) => (i - 300) * 0.25 + (i % 7 === 0 ? 0.125 : 0));
    const x = tensor(values);
    const d = tensor(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1.75 : -2.5)));
    // On the wasm backend (project core-wasm) these float32 arrays live in the module's memory.
    const heap = getWasmRuntime()?.heap;
    if (getBackend() === 'wasm' && heap?.resident) {
      expect(x.values.buffer).toBe(heap.memory.buffer);
      expect(atan2(x, d).values.buffer).toBe(heap.memory.buffer);
    }
    const xs = Array.from(x.data);
    const ds = Array.from(d.data);
    const same = (t: Tensor, ref: (v: number, i: number) => number) =>
      expect(Array.from(t.data)).toEqual(xs.map((v, i) => Math.fround(ref(v, i))));
    same(floor(x), Math.floor);
    same(ceil(x), Math.ceil);
    same(trunc(x), Math.trunc);
    same(round(x), (v) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v)));
    same(isnan(x), () => 0);
    same(isfinite(x), () => 1);
    same(fmod(x, d), (v, i) => v % ds[i]);
    same(remainder(x, d), (v, i) => {
      const m = v % ds[i];
      return m !== 0 && m < 0 !== ds[i] < 0 ? m + ds[i] : m;
    });
    same(atan2(x, d), (v, i) => Math.atan2(v, ds[i]));
    const e = Array.from(erf(x).data);
    expect(e.every((v, i) => Math.abs(v - Math.fround(erfRef(xs[i]))) <= 2 ** -24)).toBe(true);
    // Gradients flow through the same kernels.
    const xg = tensor(values, { requiresGrad: true });
    const [g] = gradients([remainder(xg, d).sum()], [xg]);
    expect(Array.from(g?.data ?? [])).toEqual(new Array(n).fill(1));
  });
});

/** erf by its Maclaurin series or its continued fraction, a slow independent check for |x| ≤ 80. */
function erfRef(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = x;
    let sum = x;
    for (let k = 1; k < 60; k++) {
      term *= (-x * x) / k;
      sum += term / (2 * k + 1);
    }
    return sum * (2 / Math.sqrt(Math.PI));
  }
  // erfc(a) = exp(-a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...)))), evaluated from the tail.
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}
