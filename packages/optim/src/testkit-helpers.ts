// Problems and helpers of the conformance testkit (`@nablajs/optim/testkit`): internal to it.
import { type DType, matmul, type Tensor, type TypedArray, tensor } from '@nablajs/core';
import type { ConformanceFactory } from './testkit';
import type { Optimizer, RuleCouplings } from './types';

/** What every check receives: the factory, the options of `checkOptimizerConformance`, and what it couples. */
export interface CheckContext {
  couples: Required<RuleCouplings>;
  factory: ConformanceFactory;
  options: Record<string, unknown>;
  invalid: Record<string, unknown>[];
  /** The hyperparameters the hyperparam-changes check changes, when given (`ConformanceOptions.hyperparams`). */
  hyperparams: readonly string[] | undefined;
  dtype: DType;
  steps: number;
}

/** How a check fails: `checkOptimizerConformance` reports its message as the check's failure. */
export class CheckFailure extends Error {}

export function fail(message: string): never {
  throw new CheckFailure(message);
}

export function param(values: readonly number[], dtype: DType): Tensor {
  return tensor(values, { dtype, requiresGrad: true });
}

export function copies(params: readonly Tensor[]): TypedArray[] {
  return params.map((p) => p.values.slice());
}

/** The first index where `a` and `b` differ bit for bit (NaN equals NaN), or -1. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j]) && !(a[j] === 0 && b[j] === 0)) return j;
  return -1;
}

export function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  const j = firstDifference(actual, expected);
  if (j >= 0) fail(`${what}: element ${j} is ${actual[j]}, expected ${expected[j]} (bit for bit)`);
}

export function moved(params: readonly Tensor[], before: readonly TypedArray[]): boolean {
  return params.some((p, i) => firstDifference(p.values, before[i]) >= 0);
}

export function lossValue(loss: Tensor | number): number {
  return typeof loss === 'number' ? loss : loss.item();
}

export type Loss = () => Tensor;

/** `closure` for `step(closure)`: clear the gradients, compute the loss, backward, return it. */
export function closureOf(params: readonly Tensor[], loss: Loss, onGrads?: () => void): () => Tensor {
  return () => {
    for (const p of params) p.grad = null;
    const l = loss();
    l.backward();
    onGrads?.();
    return l;
  };
}

export function run(opt: Optimizer, params: readonly Tensor[], loss: Loss, steps: number): number[] {
  const closure = closureOf(params, loss);
  const losses: number[] = [];
  for (let k = 0; k < steps; k++) {
    const l = opt.step(closure);
    losses.push(typeof l === 'number' ? l : Number.NaN);
  }
  return losses;
}

/** A convex quadratic `½ xᵀAx - bᵀx` in 4 variables (A symmetric, diagonally dominant, so SPD). */
export function quadratic(x: Tensor, dtype: DType): Loss {
  const A = tensor(
    [
      [3, 1, 0, 0],
      [1, 2, 0.5, 0],
      [0, 0.5, 1.5, 0.2],
      [0, 0, 0.2, 1],
    ],
    { dtype },
  );
  const b = tensor([1, -1, 0.5, 0.25], { dtype });
  return () => x.dot(matmul(A, x)).mul(0.5).sub(b.dot(x));
}

/** `Σ w (x - c)²`: a separable convex bowl for the multi-parameter checks. */
export function bowl(x: Tensor, center: readonly number[], weights: readonly number[], dtype: DType): () => Tensor {
  const c = tensor(center, { dtype });
  const w = tensor(weights, { dtype });
  return () => x.sub(c).square().mul(w).sum();
}

/** Rosenbrock `(1 - x)² + 100 (y - x²)²`, from the classic start (-1.2, 1). */
export function rosenbrock(xy: Tensor): Loss {
  return () => {
    const x = xy.slice([[0, 1]]);
    const y = xy.slice([[1, 2]]);
    return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100)).sum();
  };
}

/** Two parameters and a separable loss over them, fresh each call. */
export function twoParams(dtype: DType): { a: Tensor; b: Tensor; fa: () => Tensor; fb: () => Tensor } {
  const a = param([0.5, -1, 2], dtype);
  const b = param([1, 2, -0.5, 0.25], dtype);
  return {
    a,
    b,
    fa: bowl(a, [1, 0.5, -1], [1, 2, 0.5], dtype),
    fb: bowl(b, [-1, 0, 0.5, 1], [0.5, 1, 3, 1.5], dtype),
  };
}

export function both(fa: () => Tensor, fb: () => Tensor): Loss {
  return () => fa().add(fb());
}

/**
 * The leaves of an encoded state that belong to the parameter of `size` at `index` among `count`
 * parameters: typed arrays of that size, and entry `index` of every per-parameter list (an array of
 * `count` entries). Returns them as JSON strings by path.
 */
export function leavesOf(
  state: unknown,
  size: number,
  index: number,
  count: number,
  path = '',
  out = new Map<string, string>(),
) {
  if (state === null || typeof state !== 'object') return out;
  const typed = state as { $typed?: string; data?: unknown[] };
  if (typeof typed.$typed === 'string' && Array.isArray(typed.data)) {
    if (typed.data.length === size) out.set(path, JSON.stringify(typed.data));
    return out;
  }
  if (Array.isArray(state)) {
    state.forEach((v, i) => {
      const p = `${path}[${i}]`;
      if (state.length === count && i === index && (v === null || typeof v !== 'object')) out.set(p, JSON.stringify(v));
      else leavesOf(v, size, index, count, p, out);
    });
    return out;
  }
  for (const [k, v] of Object.entries(state)) leavesOf(v, size, index, count, `${path}.${k}`, out);
  return out;
}
