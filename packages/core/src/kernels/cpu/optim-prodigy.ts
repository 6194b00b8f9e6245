// Prodigy's step as kernels over float32 arrays, for a backend that keeps the values away from JavaScript
// (webgpu): the estimate of d lives in a small float32 array, `stats`, that the kernels read and write, so a
// step needs nothing back from the device. `@nablajs/optim-prodigy` calls them through `resolveKernel` only
// while such a backend is active; on cpu and wasm its rule keeps d's statistics in doubles, in PyTorch's
// order. Every operation here is one float32 operation (as on the GPU); the sums of a parameter's terms are
// doubles here and a tree of float32 additions on the GPU.

import type { TypedArray } from '../../dtype';
import { DTypeError, ValueError } from '../../errors';

/** Where Prodigy's statistics sit in the `stats` array of the Prodigy kernels (float32, {@link PRODIGY_STATS}.size elements). */
export const PRODIGY_STATS = {
  /** The estimate `d` (after {@link prodigyUpdateDKernel}: this step's new `d`). */
  d: 0,
  /** The largest `d̂` so far (and at least `d0`). */
  dMax: 1,
  /** The estimate's numerator `r`. */
  dNumerator: 2,
  /** The estimate's denominator `Σ‖s‖₁` of the last step. */
  dDenom: 3,
  /** The last raw estimate `d̂`. */
  dHat: 4,
  /** How many steps estimated `d`. */
  k: 5,
  /** This step's step size `d·lr·biasCorrection`, from the `d` before the step. */
  dlr: 6,
  /** This step's share of the numerator, summed over the parameters so far. */
  deltaNumerator: 7,
  /** This step's `Σ‖s‖₁`, summed over the parameters so far. */
  stepDenom: 8,
  /** 1 when this step's `Σ‖s‖₁` is 0: nothing moves and `d` stays. */
  skip: 9,
  /** The length of the array. */
  size: 10,
} as const;

const S = PRODIGY_STATS;
const f = Math.fround;

function checkF32(fn: string, name: string, a: unknown, n?: number): Float32Array {
  if (!(a instanceof Float32Array))
    throw new DTypeError(`${fn}: ${name} must be a Float32Array (the Prodigy kernels are float32), got ${String(a)}`);
  if (n !== undefined && a.length !== n) throw new ValueError(`${fn}: ${name} has ${a.length} elements, expected ${n}`);
  return a;
}

/** Python's `max(a, b)` (a NaN `b` is ignored). */
function pyMax(a: number, b: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Math.max returns NaN for a NaN b; Python's max keeps a.
  return b > a ? b : a;
}

/**
 * The start of a Prodigy step (`prodigyBegin`): the step size `dlr = d·maxLr·bc` from the `d` before the
 * step, with `bc = √(1-β₂ᵏ⁺¹)/(1-β₁ᵏ⁺¹)` when `useBiasCorrection` (else 1), and the step's sums set to 0.
 *
 * @example
 * ```ts
 * const stats = new Float32Array(PRODIGY_STATS.size);
 * stats[PRODIGY_STATS.d] = 1e-6;
 * prodigyBeginKernel(stats, 1, 0.9, 0.999, false); // stats[PRODIGY_STATS.dlr] = 1e-6
 * ```
 */
export function prodigyBeginKernel(
  stats: Float32Array,
  maxLr: number,
  beta1: number,
  beta2: number,
  useBiasCorrection: boolean,
): void {
  checkF32('prodigyBeginKernel', 'stats', stats, S.size);
  const k1 = stats[S.k] + 1;
  // NOTE: in doubles and rounded once, as the reference's Python floats: 1 - β₂ᵏ in float32 would cancel.
  const bc = useBiasCorrection ? f(Math.sqrt(1 - beta2 ** k1) / (1 - beta1 ** k1)) : 1;
  stats[S.dlr] = f(f(stats[S.d] * f(maxLr)) * bc);
  stats[S.deltaNumerator] = 0;
  stats[S.stepDenom] = 0;
}

/**
 * One parameter's share of a Prodigy step (`prodigyAccumulate`), before `d` is updated. With `g` the
 * gradient plus `coupledDecay·p`, `d` and `dlr` from `stats`:
 *
 * ```text
 * x₀ ← p (every sliceP-th entry)                       when `first`
 * m ← β₁·m + d(1-β₁)·g;  v ← β₂·v + d²(1-β₂)·g²        (m when given)
 * s ← β₃·s + α·g   (sliced; α = (d/d0)·dlr, or (d/d0)·d with safeguardWarmup)
 * stats.deltaNumerator += (d/d0)·dlr·⟨g, x₀ - p⟩;  stats.stepDenom += ‖s‖₁
 * ```
 *
 * Only `x₀` is written when `accumulate` is false (a group with lr 0). `terms` is scratch of `2·⌈n/sliceP⌉`
 * elements (the GPU sums the terms there).
 *
 * @example
 * ```ts
 * const p = new Float32Array([1, 2]);
 * const n = p.length;
 * const stats = new Float32Array(PRODIGY_STATS.size);
 * stats[PRODIGY_STATS.d] = 1e-6;
 * prodigyBeginKernel(stats, 1, 0.9, 0.999, false);
 * prodigyAccumulateKernel(p, new Float32Array([0.5, -0.5]), new Float32Array(n), new Float32Array(n),
 *   new Float32Array(n), new Float32Array(n), new Float32Array(2 * n), stats, 1, true, true, 0, 0.9, 0.999,
 *   Math.sqrt(0.999), 1e-6, false);
 * ```
 */
export function prodigyAccumulateKernel(
  param: TypedArray,
  grad: TypedArray,
  p0: TypedArray,
  s: TypedArray,
  m: TypedArray | null,
  v: TypedArray,
  terms: TypedArray,
  stats: TypedArray,
  sliceP: number,
  first: boolean,
  accumulate: boolean,
  coupledDecay: number,
  beta1: number,
  beta2: number,
  beta3: number,
  d0: number,
  safeguardWarmup: boolean,
): void {
  const fn = 'prodigyAccumulateKernel';
  const n = checkF32(fn, 'param', param).length;
  if (!Number.isInteger(sliceP) || sliceP < 1)
    throw new ValueError(`${fn}: sliceP must be a positive integer, got ${sliceP}`);
  const nS = Math.ceil(n / sliceP);
  checkF32(fn, 'grad', grad, n);
  checkF32(fn, 'p0', p0, nS);
  checkF32(fn, 's', s, nS);
  if (m !== null) checkF32(fn, 'm', m, n);
  checkF32(fn, 'v', v, n);
  checkF32(fn, 'terms', terms, 2 * nS);
  checkF32(fn, 'stats', stats, S.size);
  if (first) for (let jj = 0; jj < nS; jj++) p0[jj] = param[jj * sliceP];
  if (!accumulate) return;
  const d = stats[S.d];
  const dlr = stats[S.dlr];
  const wd = f(coupledDecay);
  const [b1, c1, b2, c2, b3] = [f(beta1), f(1 - beta1), f(beta2), f(1 - beta2), f(beta3)];
  const ratio = f(d / f(d0));
  const scale = f(ratio * dlr);
  const sAlpha = safeguardWarmup ? f(ratio * d) : scale;
  const mAlpha = f(d * c1);
  const vAlpha = f(f(d * d) * c2);
  let dot = 0;
  let den = 0;
  for (let j = 0; j < n; j++) {
    const pj = param[j];
    const g = wd === 0 ? grad[j] : f(grad[j] + f(wd * pj));
    if (m !== null) m[j] = f(f(b1 * m[j]) + f(mAlpha * g));
    v[j] = f(f(b2 * v[j]) + f(f(vAlpha * g) * g));
    if (j % sliceP !== 0) continue;
    const jj = j / sliceP;
    const t = f(g * f(p0[jj] - pj));
    const sj = f(f(b3 * s[jj]) + f(sAlpha * g));
    s[jj] = sj;
    terms[jj] = t;
    terms[nS + jj] = Math.abs(sj);
    dot += t;
    den += Math.abs(sj);
  }
  stats[S.deltaNumerator] = f(stats[S.deltaNumerator] + f(scale * f(dot)));
  stats[S.stepDenom] = f(stats[S.stepDenom] + f(den));
}

/**
 * The update of Prodigy's estimate once every parameter's share is in (`prodigyUpdateD`): with `Σ‖s‖₁`
 * 0, marks the step skipped; else `r ← β₃·r + Δr`, `d̂ = dCoef·r/Σ‖s‖₁`, `d ← max(d, d̂)` while `d` is
 * `lastD0`, `dMax ← max(dMax, d̂)`, `d ← min(dMax, d·growthRate)`, and `k ← k + 1`.
 *
 * @example
 * ```ts
 * // after prodigyBeginKernel and prodigyAccumulateKernel for every parameter:
 * prodigyUpdateDKernel(stats, Math.sqrt(0.999), 1, Infinity, 1e-6);
 * ```
 */
export function prodigyUpdateDKernel(
  stats: Float32Array,
  beta3: number,
  dCoef: number,
  growthRate: number,
  lastD0: number,
): void {
  checkF32('prodigyUpdateDKernel', 'stats', stats, S.size);
  const den = stats[S.stepDenom];
  if (den === 0) {
    stats[S.skip] = 1;
    return;
  }
  stats[S.skip] = 0;
  const numerator = f(f(stats[S.dNumerator] * f(beta3)) + stats[S.deltaNumerator]);
  const dHat = f(f(f(dCoef) * numerator) / den);
  let d = stats[S.d];
  if (d === f(lastD0)) d = pyMax(d, dHat);
  const dMax = pyMax(stats[S.dMax], dHat);
  const grown = Number.isFinite(growthRate) ? f(d * f(growthRate)) : Number.POSITIVE_INFINITY;
  // biome-ignore lint/complexity/useMathMinMax: Python's min(dMax, grown) keeps dMax for a NaN grown; Math.min does not.
  d = grown < dMax ? grown : dMax;
  stats[S.dNumerator] = numerator;
  stats[S.dDenom] = den;
  stats[S.d] = d;
  stats[S.dMax] = dMax;
  stats[S.dHat] = dHat;
  stats[S.k] = stats[S.k] + 1;
}

/**
 * One parameter's move in a Prodigy step (`prodigyStep`), after {@link prodigyUpdateDKernel}: nothing when
 * the step is skipped; else, with `d` the new estimate and `dlr` the step's size,
 * `p ← p·(1 - decoupledDecay·dlr) - dlr·m/(√v + d·ε)`, where `m` is `d·g` (g plus `coupledDecay·p`) when
 * `m` is null (β₁ = 0).
 *
 * @example
 * ```ts
 * // after prodigyUpdateDKernel, for every parameter (here AdamW-style decay 0.01):
 * prodigyStepKernel(p, g, m, v, stats, 0, 0.01, 1e-8);
 * ```
 */
export function prodigyStepKernel(
  param: TypedArray,
  grad: TypedArray,
  m: TypedArray | null,
  v: TypedArray,
  stats: TypedArray,
  coupledDecay: number,
  decoupledDecay: number,
  eps: number,
): void {
  const fn = 'prodigyStepKernel';
  const n = checkF32(fn, 'param', param).length;
  checkF32(fn, 'grad', grad, n);
  if (m !== null) checkF32(fn, 'm', m, n);
  checkF32(fn, 'v', v, n);
  checkF32(fn, 'stats', stats, S.size);
  if (stats[S.skip] !== 0) return;
  const d = stats[S.d];
  const dlr = stats[S.dlr];
  const dEps = f(d * f(eps));
  const c = m !== null ? -dlr : f(-dlr * d);
  const a = f(f(-decoupledDecay) * dlr);
  const wd = f(coupledDecay);
  for (let j = 0; j < n; j++) {
    const pj = param[j];
    const num = m !== null ? m[j] : wd === 0 ? grad[j] : f(grad[j] + f(wd * pj));
    const step = f(f(c * num) / f(f(Math.sqrt(v[j])) + dEps));
    param[j] = a === 0 ? f(pj + step) : f(f(f(a * pj) + pj) + step);
  }
}
