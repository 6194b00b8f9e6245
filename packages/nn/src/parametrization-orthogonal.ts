// The orthogonal parametrization, like torch.nn.utils.parametrizations.orthogonal: a weight (or each matrix of a
// batch) kept orthogonal through the matrix exponential or the Cayley map of a skew-symmetric matrix, or a
// product of Householder reflectors; with the "trivialization" (the default) relative to a base that the
// registration and each assignment set.

import {
  add,
  cat,
  checkOptions,
  div,
  expand,
  eye,
  type Generator,
  householderProduct,
  matmul,
  matmulTransposed,
  matrixExp,
  mul,
  noGrad,
  optionNames,
  qr,
  randn,
  reshape,
  ShapeError,
  sign,
  slice,
  solve,
  sub,
  sum,
  Tensor,
  transpose,
  tril,
  ValueError,
  zeros,
} from '@nablajs/core';
import { generatorOf } from './layers/util';
import { Module } from './module';
import { registerParametrization } from './parametrize';

/** How {@link orthogonal} maps its unconstrained tensor to an orthogonal matrix (PyTorch's `orthogonal_map`). */
export type OrthogonalMap = 'matrix_exp' | 'cayley' | 'householder';

/** Options of {@link orthogonal}. */
export interface OrthogonalOptions {
  /** The parameter to keep orthogonal (default `'weight'`). */
  name?: string;
  /** The map (default `'matrix_exp'` for square matrices, `'householder'` otherwise). */
  orthogonalMap?: OrthogonalMap | null;
  /**
   * Parametrize relative to a base, `Q = base · map(X)`, set at registration and on each assignment (default
   * true); without it, a weight assigned to or registered with the Householder map is refused here.
   */
  useTrivialization?: boolean;
  /** The generator of the random columns that complete a non-square weight's base (default: core's global one). */
  generator?: Generator;
}

const ORTHOGONAL_OPTIONS = optionNames<OrthogonalOptions>({
  name: true,
  orthogonalMap: true,
  useTrivialization: true,
  generator: true,
});

function lastTwo(t: Tensor): [number, number] {
  return [t.shape[t.ndim - 2], t.shape[t.ndim - 1]];
}

/** Each matrix of `t` as a tall one (`n >= k` rows and columns), transposed when it was wide. */
function asTall(t: Tensor): { x: Tensor; n: number; k: number; transposed: boolean } {
  const [rows, cols] = lastTwo(t);
  return rows < cols ? { x: mT(t), n: cols, k: rows, transposed: true } : { x: t, n: rows, k: cols, transposed: false };
}

/** Swap the last two axes. */
function mT(t: Tensor): Tensor {
  return transpose(t, -2, -1);
}

/** The diagonal of each matrix of `t` (`[..., n, k]`, `n >= k`) as `[..., 1, k]`. */
function diagonalRow(t: Tensor): Tensor {
  const [n, k] = lastTwo(t);
  return sum(mul(t, eye(n, k, { dtype: t.dtype })), -2, true);
}

/** The Q factor of `a` (tall) whose R has a non-negative diagonal: PyTorch's `_make_orthogonal`. */
function makeOrthogonal(a: Tensor): Tensor {
  const { q, r } = qr(a);
  return mul(q, sign(diagonalRow(mT(r))));
}

/** Whether the columns of `q` are orthonormal to PyTorch's tolerance (`allclose(Qᵀ Q, I, atol = 10 n eps)`). */
function isOrthogonal(q: Tensor): boolean {
  const [n, k] = lastTwo(q);
  const eps = q.dtype === 'float64' ? 2 ** -52 : 2 ** -23;
  const gram = matmulTransposed(q, q, { transA: true }).values;
  for (let i = 0; i < gram.length; i++) {
    const row = Math.floor((i % (k * k)) / k);
    const want = row === i % k ? 1 : 0;
    if (!(Math.abs(gram[i] - want) <= 10 * n * eps + 1e-5 * want)) return false;
  }
  return true;
}

class Orthogonal extends Module {
  readonly shape: readonly number[];
  readonly orthogonalMap: OrthogonalMap;
  readonly useTrivialization: boolean;
  private readonly generator: Generator;
  /** Whether the registration's call of rightInverse has passed (it keeps the weight as the original there). */
  private registered = false;

  constructor(weight: Tensor, map: OrthogonalMap, useTrivialization: boolean, generator: Generator) {
    super();
    this.shape = [...weight.shape];
    this.orthogonalMap = map;
    this.useTrivialization = useTrivialization;
    this.generator = generator;
    if (useTrivialization) this.registerBuffer('base', null);
  }

  private get base(): Tensor | null {
    return Module._registriesOf(this).buffers.get('base') ?? null;
  }

  forward(weight: Tensor): Tensor {
    const { x, n, k, transposed } = asTall(weight);
    const batch = x.shape.slice(0, -2);
    let q: Tensor;
    if (this.orthogonalMap === 'householder') {
      const a = tril(x, -1);
      const tau = reshape(div(2, add(1, sum(mul(a, a), -2))), [...batch, k]);
      q = mul(householderProduct(a, tau), diagonalRow(x).trunc());
    } else {
      let lower = tril(x);
      if (n !== k) lower = cat([lower, expand(zeros([n, n - k], { dtype: x.dtype }), [...batch, n, n - k])], -1);
      const skew = sub(lower, mT(lower));
      if (this.orthogonalMap === 'matrix_exp') q = matrixExp(skew);
      else {
        const id = eye(n, n, { dtype: x.dtype });
        q = solve(expand(sub(id, mul(skew, 0.5)), skew.shape), expand(add(id, mul(skew, 0.5)), skew.shape));
      }
      if (n !== k) q = slice(q, [...batch.map(() => null), null, [0, k]]);
    }
    const base = this.base;
    if (base !== null) q = matmul(base, q);
    return transposed ? mT(q) : q;
  }

  rightInverse(value: Tensor): Tensor {
    return noGrad(() => {
      if (value.shape.length !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i]))
        throw new ShapeError(
          `orthogonal: expected a matrix or batch of matrices of shape [${this.shape.join(', ')}], got [${value.shape.join(', ')}]`,
        );
      const first = !this.registered;
      this.registered = true;
      const { x: q, n, k } = asTall(value);
      if (!this.useTrivialization) {
        // As PyTorch: these maps have no inverse; at registration the weight itself becomes the original. (The
        // Householder map without the trivialization is refused by orthogonal() before it gets here.)
        if (first) return value;
        throw new ValueError(
          'orthogonal: it is not possible to assign to the matrix exponential or the Cayley parametrizations when useTrivialization is false',
        );
      }
      let base: Tensor;
      if (n === k) base = isOrthogonal(q) ? q.clone() : makeOrthogonal(q);
      else {
        const fill = randn([...q.shape.slice(0, -2), n, n - k], { dtype: q.dtype, generator: this.generator });
        base = makeOrthogonal(cat([q, fill], -1));
      }
      Module._registriesOf(this).buffers.set('base', base.detach());
      return mul(expand(eye(...lastTwo(value), { dtype: value.dtype }), value.shape), -1);
    });
  }

  override extraRepr(): string {
    return `orthogonalMap='${this.orthogonalMap}', useTrivialization=${this.useTrivialization}`;
  }
}

/**
 * Keep `module`'s weight orthogonal, like PyTorch's `torch.nn.utils.parametrizations.orthogonal`: for a weight
 * `[..., n, k]` (a batch of matrices), reading it gives matrices with orthonormal columns (`n >= k`) or rows
 * (`n < k`). The unconstrained tensor `X` is mapped by the matrix exponential (default for square matrices) or
 * the Cayley map of the skew-symmetric matrix made from its lower triangle, or by the product of Householder
 * reflectors stored below its diagonal (default otherwise). With `useTrivialization` (the default), the result
 * is `base · map(X)`: registration and each assignment set the buffer `base` to the assigned weight made
 * orthogonal (its QR factor with a non-negative `R` diagonal; a non-square one completed first with random
 * columns from `generator`) and `X` to minus the identity, so the weight starts as that orthogonal matrix.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.utils.parametrizations.orthogonal.html
 *
 * @returns the module
 *
 * @example
 * ```ts
 * const q = parametrizations.orthogonal(new Linear(4, 4));
 * matmul(q.weight, transpose(q.weight, 0, 1)); // the identity, to rounding
 * ```
 */
export function orthogonal<M extends Module>(module: M, options: OrthogonalOptions = {}): M {
  const fn = 'orthogonal';
  checkOptions(fn, options, ORTHOGONAL_OPTIONS);
  if (!(module instanceof Module))
    throw new ValueError(`${fn}: module must be a Module, got ${module === null ? 'null' : typeof module}`);
  const name = options.name ?? 'weight';
  const weight = (module as unknown as Record<string, unknown>)[name];
  if (!(weight instanceof Tensor))
    throw new ValueError(`${fn}: ${module.constructor.name} has no tensor called ${JSON.stringify(name)}`);
  if (weight.ndim < 2)
    throw new ValueError(`${fn}: expected a matrix or a batch of matrices, got a ${weight.ndim}-d tensor`);
  const [n, k] = lastTwo(weight);
  const map = options.orthogonalMap ?? (n === k ? 'matrix_exp' : 'householder');
  if (map !== 'matrix_exp' && map !== 'cayley' && map !== 'householder')
    throw new ValueError(
      `${fn}: orthogonalMap must be 'matrix_exp', 'cayley' or 'householder', got ${JSON.stringify(map)}`,
    );
  const trivial = options.useTrivialization ?? true;
  if (typeof trivial !== 'boolean')
    throw new ValueError(`${fn}: useTrivialization must be a boolean, got ${String(trivial)}`);
  if (!trivial && map === 'householder')
    throw new ValueError(
      `${fn}: the Householder map without useTrivialization needs a QR factorisation in LAPACK form, which nabla does not have; keep useTrivialization: true`,
    );
  return registerParametrization(module, name, new Orthogonal(weight, map, trivial, generatorOf(options)), {
    unsafe: true,
  });
}
