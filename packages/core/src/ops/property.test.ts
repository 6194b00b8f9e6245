import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  abs,
  add,
  amax,
  amin,
  avgPool2d,
  broadcastTo,
  cat,
  chunk,
  clamp,
  conv2d,
  cos,
  div,
  dot,
  elu,
  exp,
  expand,
  expm1,
  flatten,
  gather,
  gelu,
  gradcheck,
  gradgradcheck,
  indexSelect,
  leakyRelu,
  log,
  log1p,
  logSigmoid,
  logSoftmax,
  logsumexp,
  maskedSelect,
  matmul,
  max,
  maximum,
  maxPool2d,
  maxWithIndices,
  mean,
  min,
  minimum,
  minWithIndices,
  mul,
  neg,
  norm,
  outer,
  pad,
  permute,
  pow,
  prod,
  reciprocal,
  relu,
  reshape,
  rsqrt,
  scatterAdd,
  sigmoid,
  sign,
  silu,
  sin,
  slice,
  softmax,
  softplus,
  split,
  sqrt,
  square,
  squeeze,
  stack,
  std,
  sub,
  sum,
  type Tensor,
  take,
  tanh,
  tensor,
  tile,
  transpose,
  unsqueeze,
  variance,
  where,
} from '../index';

// Property-based gradient checks: every differentiable op, on random shapes (0-3 dims of sizes
// 1-4) and random float64 values, against central finite differences (gradcheck), and against
// finite differences of the VJP (gradgradcheck) where the second derivative is nonzero.
// The seed is fixed so that a failure reproduces; fast-check prints the failing case and its path.

const OPTIONS = { seed: 0x6e61626c, numRuns: 25 } as const;
const FEW = { seed: 0x6e61626c, numRuns: 15 } as const;

type Shape = number[];

/**
 * Where values are drawn from, keeping finite differences away from kinks, poles and ties:
 * `real` in [-2, 2]; `positive` in [0.2, 3] (log, sqrt, pow bases); `offKinks` with |x| in
 * [0.1, 0.45] or [0.55, 2] (away from 0 and ±0.5, the kinks of relu, abs and clamp(-0.5, 0.5)).
 * Values within a tensor are distinct, so max/min have no ties.
 */
type Kind = 'real' | 'positive' | 'offKinks';

function fromUnit(u: number, kind: Kind): number {
  if (kind === 'real') return 2 * u;
  if (kind === 'positive') return 0.2 + 1.4 * (u + 1);
  const m = Math.abs(u);
  const mag = m < 0.5 ? 0.1 + 0.7 * m : 0.55 + 2.9 * (m - 0.5);
  return u < 0 ? -mag : mag;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function valuesArb(n: number, kind: Kind): fc.Arbitrary<number[]> {
  return fc
    .uniqueArray(fc.noBias(fc.integer({ min: -1_000_000, max: 1_000_000 })), { minLength: n, maxLength: n })
    .map((ints) => ints.map((i) => fromUnit(i / 1_000_000, kind)));
}

/** A float64 tensor that requires gradients. */
function f64(shape: readonly number[], values: readonly number[]): Tensor {
  return tensor([...values], { shape, dtype: 'float64', requiresGrad: true });
}

function int32(shape: readonly number[], values: readonly number[]): Tensor {
  return tensor([...values], { shape, dtype: 'int32' });
}

const sizeArb = fc.integer({ min: 1, max: 4 });
const shapeArb = (minDims = 0, maxDims = 3) => fc.array(sizeArb, { minLength: minDims, maxLength: maxDims });

/** A shape and values for it. */
function inputArb(kind: Kind, minDims = 0, maxDims = 3): fc.Arbitrary<{ shape: Shape; values: number[] }> {
  return shapeArb(minDims, maxDims).chain((shape) =>
    valuesArb(sizeOf(shape), kind).map((values) => ({ shape, values })),
  );
}

/** A shape that broadcasts to `out`: some leading dims dropped, some dims set to 1. */
function broadcastableTo(out: Shape): fc.Arbitrary<Shape> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: out.length }),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
    )
    .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
}

/** The axis argument of a reduction over `ndim` dims: all (null), one (possibly negative), or several. */
function axisArb(ndim: number): fc.Arbitrary<number | number[] | null> {
  if (ndim === 0) return fc.constant(null);
  const dims = Array.from({ length: ndim }, (_, i) => i);
  return fc.oneof(fc.constant(null), fc.integer({ min: -ndim, max: ndim - 1 }), fc.subarray(dims, { minLength: 1 }));
}

function reducedAxes(axis: number | number[] | null, ndim: number): number[] {
  if (axis === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  return list.map((a) => (a < 0 ? a + ndim : a));
}

function check(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], secondOrder: boolean): void {
  expect(gradcheck(f, inputs)).toBe(true);
  if (secondOrder) expect(gradgradcheck(f, inputs)).toBe(true);
}

describe('property: unary elementwise ops', () => {
  const cases: [string, (x: Tensor) => Tensor, Kind, boolean][] = [
    ['neg', neg, 'real', false],
    ['exp', exp, 'real', true],
    ['expm1', expm1, 'real', true],
    ['log', log, 'positive', true],
    ['log1p', log1p, 'positive', true],
    ['sqrt', sqrt, 'positive', true],
    ['rsqrt', rsqrt, 'positive', true],
    ['square', square, 'real', true],
    ['reciprocal', reciprocal, 'offKinks', true],
    ['abs', abs, 'offKinks', false],
    ['sign', sign, 'offKinks', false],
    ['sin', sin, 'real', true],
    ['cos', cos, 'real', true],
    ['tanh', tanh, 'real', true],
    ['sigmoid', sigmoid, 'real', true],
    ['relu', relu, 'offKinks', false],
    ['leakyRelu(0.1)', (x) => leakyRelu(x, 0.1), 'offKinks', false],
    ['elu', (x) => elu(x), 'offKinks', true],
    ['elu(0.5)', (x) => elu(x, 0.5), 'offKinks', true],
    ['gelu', (x) => gelu(x), 'real', true],
    ['gelu tanh', (x) => gelu(x, 'tanh'), 'real', true],
    ['silu', silu, 'real', true],
    ['softplus', (x) => softplus(x), 'real', true],
    ['softplus(beta 2, threshold 3)', (x) => softplus(x, 2, 3), 'offKinks', true],
    ['logSigmoid', logSigmoid, 'real', true],
    ['clamp(-0.5, 0.5)', (x) => clamp(x, -0.5, 0.5), 'offKinks', false],
    ['clamp(min 0)', (x) => clamp(x, 0), 'offKinks', false],
    ['pow 2.5', (x) => pow(x, 2.5), 'positive', true],
    ['pow -1.5', (x) => pow(x, -1.5), 'positive', true],
    ['pow 3 (negative bases)', (x) => pow(x, 3), 'real', true],
    ['pow 0.5', (x) => pow(x, 0.5), 'positive', true],
    ['scalar add/sub/mul/div', (x) => div(sub(mul(add(x, 1.5), 3), 0.25), 2), 'real', false],
    ['number / x', (x) => div(2, x), 'offKinks', true],
    ['number ** x', (x) => pow(1.7, x), 'real', true],
  ];
  for (const [name, f, kind, second] of cases) {
    it(`${name}${second ? ' (with gradgradcheck)' : ''}`, () => {
      fc.assert(
        fc.property(inputArb(kind), ({ shape, values }) => check(f, [f64(shape, values)], second)),
        OPTIONS,
      );
    });
  }
});

describe('property: binary ops with broadcasting', () => {
  const pairArb = (kindA: Kind, kindB: Kind) =>
    shapeArb()
      .chain((out) => fc.tuple(broadcastableTo(out), broadcastableTo(out)))
      .chain(([sa, sb]) =>
        fc.tuple(valuesArb(sizeOf(sa), kindA), valuesArb(sizeOf(sb), kindB)).map(([va, vb]) => ({ sa, sb, va, vb })),
      );
  const cases: [string, (a: Tensor, b: Tensor) => Tensor, Kind, Kind, boolean][] = [
    ['add', add, 'real', 'real', false],
    ['sub', sub, 'real', 'real', false],
    ['mul', mul, 'real', 'real', true],
    ['div', div, 'real', 'offKinks', true],
    ['pow (tensor ** tensor)', pow, 'positive', 'real', true],
    ['maximum', maximum, 'real', 'real', false],
    ['minimum', minimum, 'real', 'real', false],
  ];
  for (const [name, f, ka, kb, second] of cases) {
    it(`${name}${second ? ' (with gradgradcheck)' : ''}`, () => {
      fc.assert(
        fc.property(pairArb(ka, kb), ({ sa, sb, va, vb }) => check(f, [f64(sa, va), f64(sb, vb)], second)),
        OPTIONS,
      );
    });
  }

  it('where (condition broadcast with both branches)', () => {
    const arb = shapeArb()
      .chain((out) => fc.tuple(broadcastableTo(out), broadcastableTo(out), broadcastableTo(out)))
      .chain(([sc, sa, sb]) =>
        fc
          .tuple(
            fc.array(fc.boolean(), { minLength: sizeOf(sc), maxLength: sizeOf(sc) }),
            valuesArb(sizeOf(sa), 'real'),
            valuesArb(sizeOf(sb), 'real'),
          )
          .map(([vc, va, vb]) => ({ sc, sa, sb, vc, va, vb })),
      );
    fc.assert(
      fc.property(arb, ({ sc, sa, sb, vc, va, vb }) => {
        const c = int32(
          sc,
          vc.map((v) => (v ? 1 : 0)),
        );
        check((a, b) => where(c, a, b), [f64(sa, va), f64(sb, vb)], false);
      }),
      OPTIONS,
    );
  });
});

describe('property: reductions over random axes', () => {
  const reductionArb = (kind: Kind, minDims = 0) =>
    inputArb(kind, minDims).chain(({ shape, values }) =>
      fc.tuple(axisArb(shape.length), fc.boolean()).map(([axis, keepdims]) => ({ shape, values, axis, keepdims })),
    );
  type R = (x: Tensor, axis: number | number[] | null, keepdims: boolean) => Tensor;
  const cases: [string, R, Kind, boolean][] = [
    ['sum', (x, a, k) => sum(x, a, k), 'real', false],
    ['mean', (x, a, k) => mean(x, a, k), 'real', false],
    ['prod', (x, a, k) => prod(x, a, k), 'offKinks', true],
    ['max', (x, a, k) => max(x, a, k), 'real', false],
    ['min', (x, a, k) => min(x, a, k), 'real', false],
    ['amax', (x, a, k) => amax(x, a, k), 'real', false],
    ['amin', (x, a, k) => amin(x, a, k), 'real', false],
    ['logsumexp', (x, a, k) => logsumexp(x, a, k), 'real', true],
    ['norm p=2', (x, a, k) => norm(x, 2, a, k), 'offKinks', true],
    ['norm p=1', (x, a, k) => norm(x, 1, a, k), 'offKinks', false],
    ['norm p=Infinity', (x, a, k) => norm(x, Number.POSITIVE_INFINITY, a, k), 'positive', false],
  ];
  for (const [name, f, kind, second] of cases) {
    it(`${name}${second ? ' (with gradgradcheck)' : ''}`, () => {
      fc.assert(
        fc.property(reductionArb(kind), ({ shape, values, axis, keepdims }) =>
          check((x) => f(x, axis, keepdims), [f64(shape, values)], second),
        ),
        OPTIONS,
      );
    });
  }

  for (const unbiased of [true, false]) {
    for (const [name, f] of [
      ['variance', variance],
      ['std', std],
    ] as const) {
      it(`${name} (unbiased ${unbiased}, with gradgradcheck)`, () => {
        // at least 2 reduced elements, so the unbiased estimate is finite and std is away from 0
        const arb = reductionArb('real').filter(
          ({ shape, axis }) => sizeOf(reducedAxes(axis, shape.length).map((a) => shape[a])) >= 2,
        );
        fc.assert(
          fc.property(arb, ({ shape, values, axis, keepdims }) =>
            check((x) => f(x, axis, { unbiased, keepdims }), [f64(shape, values)], true),
          ),
          OPTIONS,
        );
      });
    }
  }

  for (const [name, f] of [
    ['maxWithIndices', maxWithIndices],
    ['minWithIndices', minWithIndices],
  ] as const) {
    it(`${name} values`, () => {
      const arb = inputArb('real', 1).chain(({ shape, values }) =>
        fc
          .tuple(fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.boolean())
          .map(([axis, keepdims]) => ({ shape, values, axis, keepdims })),
      );
      fc.assert(
        fc.property(arb, ({ shape, values, axis, keepdims }) =>
          check((x) => f(x, axis, keepdims).values, [f64(shape, values)], false),
        ),
        OPTIONS,
      );
    });
  }
});

describe('property: softmax, logSoftmax', () => {
  const arb = inputArb('real', 1).chain(({ shape, values }) =>
    fc.integer({ min: -shape.length, max: shape.length - 1 }).map((axis) => ({ shape, values, axis })),
  );
  for (const [name, f] of [
    ['softmax', softmax],
    ['logSoftmax', logSoftmax],
  ] as const) {
    it(`${name} (with gradgradcheck)`, () => {
      fc.assert(
        fc.property(arb, ({ shape, values, axis }) => check((x) => f(x, axis), [f64(shape, values)], true)),
        OPTIONS,
      );
    });
  }
});

describe('property: shape ops', () => {
  const prop = (arb: fc.Arbitrary<{ shape: Shape; values: number[] }>, f: (x: Tensor) => Tensor) =>
    fc.assert(
      fc.property(arb, ({ shape, values }) => check(f, [f64(shape, values)], false)),
      OPTIONS,
    );
  const withArg = <A>(minDims: number, argOf: (shape: Shape) => fc.Arbitrary<A>) =>
    inputArb('real', minDims).chain(({ shape, values }) => argOf(shape).map((arg) => ({ shape, values, arg })));
  const propArg = <A>(minDims: number, argOf: (shape: Shape) => fc.Arbitrary<A>, f: (x: Tensor, arg: A) => Tensor) =>
    fc.assert(
      fc.property(withArg(minDims, argOf), ({ shape, values, arg }) =>
        check((x) => f(x, arg), [f64(shape, values)], false),
      ),
      OPTIONS,
    );

  it('reshape (reversed shape and -1)', () => {
    prop(inputArb('real'), (x) => reshape(x, [...x.shape].reverse()));
    prop(inputArb('real'), (x) => reshape(x, [-1]));
  });

  it('flatten over a random range of dims', () => {
    propArg(
      1,
      (s) =>
        fc
          .tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.integer({ min: 0, max: s.length - 1 }))
          .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
      (x, [start, end]) => flatten(x, start, end),
    );
  });

  it('squeeze and unsqueeze', () => {
    prop(inputArb('real'), (x) => squeeze(x));
    propArg(
      0,
      (s) => fc.integer({ min: -s.length - 1, max: s.length }),
      (x, axis) => unsqueeze(x, axis),
    );
  });

  it('transpose, permute and .T', () => {
    propArg(
      1,
      (s) => fc.tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.integer({ min: -s.length, max: s.length - 1 })),
      (x, [d0, d1]) => transpose(x, d0, d1),
    );
    propArg(
      0,
      (s) =>
        fc.shuffledSubarray(
          Array.from({ length: s.length }, (_, i) => i),
          { minLength: s.length, maxLength: s.length },
        ),
      (x, dims) => permute(x, dims),
    );
    prop(inputArb('real'), (x) => x.T);
  });

  it('expand and broadcastTo (gradients sum over the broadcast dims)', () => {
    const target = (s: Shape) =>
      fc
        .tuple(
          fc.array(sizeArb, { minLength: 0, maxLength: 1 }),
          fc.array(sizeArb, { minLength: s.length, maxLength: s.length }),
        )
        .map(([lead, sizes]) => [...lead, ...s.map((d, i) => (d === 1 ? sizes[i] : d))]);
    const onesArb = shapeArb(0, 3)
      .chain((s) =>
        fc
          .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
          .map((m) => s.map((d, i) => (m[i] ? 1 : d))),
      )
      .chain((shape) =>
        fc.tuple(valuesArb(sizeOf(shape), 'real'), target(shape)).map(([values, arg]) => ({ shape, values, arg })),
      );
    fc.assert(
      fc.property(onesArb, ({ shape, values, arg }) => {
        check((x) => expand(x, arg), [f64(shape, values)], false);
        check((x) => broadcastTo(x, arg), [f64(shape, values)], false);
      }),
      OPTIONS,
    );
  });

  it('tile', () => {
    propArg(
      0,
      (s) => fc.array(fc.integer({ min: 1, max: 2 }), { minLength: s.length, maxLength: s.length + 1 }),
      (x, reps) => tile(x, reps),
    );
  });

  it('slice with random starts, stops and steps', () => {
    const spec = (s: Shape) =>
      fc.tuple(
        ...s.map((d) =>
          fc.tuple(fc.integer({ min: -d, max: d - 1 }), fc.integer({ min: 1, max: 3 })).chain(([start, step]) => {
            const first = start < 0 ? start + d : start;
            return fc
              .integer({ min: first + 1, max: d })
              .map((stop) => [start, stop, step] as [number, number, number]);
          }),
        ),
      );
    propArg(1, spec, (x, sp) => slice(x, sp));
  });

  it('pad with zeros and a constant', () => {
    propArg(
      1,
      (s) => fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2, maxLength: 2 * Math.min(2, s.length) }),
      (x, p) => pad(x, p.length % 2 === 0 ? p : p.slice(1), 0.5),
    );
  });

  it('cat and stack of 2-3 tensors along a random axis', () => {
    const arb = shapeArb(1, 3).chain((shape) =>
      fc
        .tuple(fc.integer({ min: 0, max: shape.length - 1 }), fc.array(sizeArb, { minLength: 2, maxLength: 3 }))
        .chain(([axis, sizes]) => {
          const shapes = sizes.map((n) => shape.map((d, i) => (i === axis ? n : d)));
          return fc
            .tuple(...shapes.map((s) => valuesArb(sizeOf(s), 'real')))
            .map((vals) => ({ shape, axis, shapes, vals }));
        }),
    );
    fc.assert(
      fc.property(arb, ({ shape, axis, shapes, vals }) => {
        const xs = shapes.map((s, i) => f64(s, vals[i]));
        check((...ts) => cat(ts, axis), xs, false);
        const same = shapes.map(() => shape);
        const ys = same.map((s, i) => f64(s, valuesFor(vals[i], sizeOf(s))));
        check((...ts) => stack(ts, axis - shape.length), ys, false);
      }),
      OPTIONS,
    );
  });

  it('split and chunk (a weighted sum of the pieces)', () => {
    const weighted = (pieces: Tensor[]) => pieces.map((p, i) => mul(p, i + 1).sum()).reduce((acc, t) => add(acc, t));
    propArg(
      1,
      (s) => fc.tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.integer({ min: 1, max: 3 })),
      (x, [axis, n]) => add(weighted(split(x, n, axis)), weighted(chunk(x, n, axis))),
    );
  });

  it('indexSelect, gather, take and scatterAdd with repeated indices', () => {
    const arb = inputArb('real', 1).chain(({ shape, values }) =>
      fc
        .tuple(
          fc.integer({ min: 0, max: shape.length - 1 }),
          fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
          fc.array(fc.nat(), { minLength: sizeOf(shape), maxLength: sizeOf(shape) }),
        )
        .map(([axis, picks, gathers]) => ({ shape, values, axis, picks, gathers })),
    );
    fc.assert(
      fc.property(arb, ({ shape, values, axis, picks, gathers }) => {
        const x = f64(shape, values);
        const along = shape[axis];
        const index = int32(
          [picks.length],
          picks.map((p) => p % along),
        );
        check((t) => indexSelect(t, axis, index), [x], false);
        const flat = int32(
          [picks.length],
          picks.map((p) => p % x.size),
        );
        check((t) => take(t, flat), [x], false);
        const gidx = int32(
          shape,
          gathers.map((g) => g % along),
        );
        check((t) => gather(t, axis, gidx), [x], false);
        const src = f64(
          shape,
          values.map((v) => v * 0.5 + 0.1),
        );
        check((t, s) => scatterAdd(t, axis, gidx, s), [x, src], false);
      }),
      OPTIONS,
    );
  });

  it('maskedSelect', () => {
    const arb = inputArb('real').chain(({ shape, values }) =>
      fc
        .array(fc.boolean(), { minLength: sizeOf(shape), maxLength: sizeOf(shape) })
        .map((mask) => ({ shape, values, mask })),
    );
    fc.assert(
      fc.property(arb, ({ shape, values, mask }) => {
        const m = int32(
          shape,
          mask.map((b) => (b ? 1 : 0)),
        );
        check((t) => maskedSelect(t, m).mul(2), [f64(shape, values)], false);
      }),
      OPTIONS,
    );
  });
});

describe('property: linear algebra', () => {
  it('matmul with random compatible shapes, 1-D operands and broadcast batch dims (with gradgradcheck)', () => {
    const arb = fc
      .record({
        n: sizeArb,
        k: sizeArb,
        m: sizeArb,
        aVector: fc.boolean(),
        bVector: fc.boolean(),
        batch: shapeArb(0, 2),
      })
      .chain((r) => fc.tuple(broadcastableTo(r.batch), broadcastableTo(r.batch)).map(([ba, bb]) => ({ ...r, ba, bb })))
      .map(({ n, k, m, aVector, bVector, ba, bb }) => {
        const sa = aVector ? [k] : [...ba, n, k];
        const sb = bVector ? [k] : [...bb, k, m];
        return { sa, sb };
      })
      .chain(({ sa, sb }) =>
        fc.tuple(valuesArb(sizeOf(sa), 'real'), valuesArb(sizeOf(sb), 'real')).map(([va, vb]) => ({ sa, sb, va, vb })),
      );
    fc.assert(
      fc.property(arb, ({ sa, sb, va, vb }) => check(matmul, [f64(sa, va), f64(sb, vb)], true)),
      OPTIONS,
    );
  });

  it('dot and outer (with gradgradcheck)', () => {
    const arb = fc
      .tuple(sizeArb, sizeArb)
      .chain(([n, m]) =>
        fc.tuple(valuesArb(n, 'real'), valuesArb(n, 'real'), valuesArb(m, 'real')).map(([a, b, c]) => ({ a, b, c })),
      );
    fc.assert(
      fc.property(arb, ({ a, b, c }) => {
        check(dot, [f64([a.length], a), f64([b.length], b)], true);
        check(outer, [f64([a.length], a), f64([c.length], c)], true);
      }),
      OPTIONS,
    );
  });
});

describe('property: convolution and pooling on tiny shapes', () => {
  const imageArb = fc
    .record({
      n: fc.integer({ min: 1, max: 2 }),
      c: fc.integer({ min: 1, max: 2 }),
      h: fc.integer({ min: 3, max: 5 }),
      w: fc.integer({ min: 3, max: 5 }),
    })
    .chain((s) => valuesArb(s.n * s.c * s.h * s.w, 'real').map((values) => ({ ...s, values })));

  it('conv2d with random kernel, stride, padding and bias (with gradgradcheck)', () => {
    const arb = imageArb.chain((img) =>
      fc
        .record({
          out: fc.integer({ min: 1, max: 2 }),
          kh: fc.integer({ min: 1, max: 3 }),
          kw: fc.integer({ min: 1, max: 3 }),
          stride: fc.integer({ min: 1, max: 2 }),
          padding: fc.integer({ min: 0, max: 1 }),
          bias: fc.boolean(),
        })
        .chain((k) =>
          fc
            .tuple(valuesArb(k.out * img.c * k.kh * k.kw, 'real'), valuesArb(k.out, 'real'))
            .map(([wv, bv]) => ({ img, k, wv, bv })),
        ),
    );
    fc.assert(
      fc.property(arb, ({ img, k, wv, bv }) => {
        const x = f64([img.n, img.c, img.h, img.w], img.values);
        const w = f64([k.out, img.c, k.kh, k.kw], wv);
        const options = { stride: k.stride, padding: k.padding };
        if (k.bias) check((a, b, c) => conv2d(a, b, c, options), [x, w, f64([k.out], bv)], true);
        else check((a, b) => conv2d(a, b, null, options), [x, w], true);
      }),
      FEW,
    );
  });

  it('maxPool2d and avgPool2d with random kernel, stride and padding', () => {
    const arb = imageArb.chain((img) =>
      fc
        .record({
          kernelSize: fc.integer({ min: 1, max: 3 }),
          stride: fc.integer({ min: 1, max: 2 }),
          padding: fc.integer({ min: 0, max: 1 }),
          countIncludePad: fc.boolean(),
        })
        .filter((o) => o.padding <= Math.floor(o.kernelSize / 2))
        .map((options) => ({ img, options })),
    );
    fc.assert(
      fc.property(arb, ({ img, options }) => {
        const x = f64([img.n, img.c, img.h, img.w], img.values);
        const { kernelSize, stride, padding, countIncludePad } = options;
        check((t) => maxPool2d(t, { kernelSize, stride, padding }), [x], false);
        check((t) => avgPool2d(t, { kernelSize, stride, padding, countIncludePad }), [x], false);
      }),
      OPTIONS,
    );
  });
});

/** `n` values derived from `values` (distinct, for tensors that must share a shape). */
function valuesFor(values: readonly number[], n: number): number[] {
  return Array.from({ length: n }, (_, i) => (values[i % values.length] ?? 0) + i * 1e-3);
}
