import {
  allocate,
  eigh,
  keep,
  matmul,
  matmulTransposed,
  permute,
  qr,
  resolveKernel,
  soapAdamKernel,
  soapLerpKernel,
  Tensor,
  type TypedArray,
} from '@nablajs/core';
import type { Hyperparams, StepContext, UpdateRule } from '@nablajs/optim';
import { soapLayout } from './layout';

/** A floating-point typed array: SOAP's state has the parameter's dtype. */
/**
 * A floating-point typed array in the parameter's dtype: how SOAP keeps its moments, factors and bases.
 *
 * @example
 * ```ts
 * const expAvg: FloatArray = new Float64Array(6);
 * ```
 */
export type FloatArray = Float32Array | Float64Array;

/**
 * The SOAP state of one parameter (the reference's `state[p]`), created at its first step. Arrays
 * are row-major and in the parameter's dtype. `expAvg` and `expAvgSq` use the preconditioner's
 * layout `dims` (for a 4-D parameter merged in `'channels_last'` format, the parameter permuted by
 * `(0, 3, 1, 2)`; otherwise the parameter's own element order).
 */
export interface SoapParamState {
  /** SOAP steps taken after the initialisation step (the reference's `step`; bias correction uses it). */
  step: number;
  /** The (merged) dimensions the gradient is preconditioned in. */
  dims: number[];
  /** Whether the parameter is permuted `(0, 3, 1, 2)` before merging (`mergeDims` with `'channels_last'`, 4-D). */
  channelsLast: boolean;
  /** The decay of the Kronecker factors, fixed at the first step: `shampooBeta`, or `betas[1]` when it is negative. */
  shampooBeta: number;
  /** How often the eigenbases are refreshed, fixed at the first step. */
  preconditionFrequency: number;
  /** First moment of the projected gradient, in the current eigenbasis (the reference's `exp_avg`). */
  expAvg: FloatArray;
  /** Second moment of the projected gradient, in the current eigenbasis (the reference's `exp_avg_sq`). */
  expAvgSq: FloatArray;
  /** Per dimension: the Kronecker factor `GG` (`d × d`, an EMA of the mode-k Gram matrix of the gradient), or null when not preconditioned. */
  gg: (FloatArray | null)[];
  /** Per dimension: the eigenbasis `Q` of `gg` (`d × d`, columns by decreasing eigenvalue), or null when not preconditioned. */
  q: (FloatArray | null)[];
}

/** The state of {@link scaleBySoap} for one parameter group: per parameter, null until its first gradient. */
export interface SoapState {
  /** Per parameter: its state, or null before its first step. */
  params: (SoapParamState | null)[];
}

// NOTE: the reference adds 1e-30·I before eigh with a float32 identity, so the shift is float32's 1e-30.
const EIGH_SHIFT = Math.fround(1e-30);

/** A kept tensor over each state array: views made in a step's tidy scope never release the array they share. */
const kept = new WeakMap<TypedArray, Tensor>();

/**
 * A view of the state array `a` as `shape`, through a tensor kept out of every tidy scope (the array lives
 * as long as the state).
 *
 * @example
 * ```ts
 * const basis = stateView(s.q[0] as FloatArray, [d, d]);
 * ```
 */
export function stateView(a: TypedArray, shape: number[]): Tensor {
  let t = kept.get(a);
  if (t === undefined) {
    t = keep(new Tensor(a, [a.length]));
    kept.set(a, t);
  }
  return t.reshape(shape);
}

/**
 * Rotate the (merged) tensor `x` of `s`'s dimensions by its bases, one dimension after the other (the
 * reference's `project` when `back` is false: `x ×ₖ Qₖᵀ`; its `project_back` when true: `x ×ₖ Qₖ`), with
 * tensor ops (the backend's matmul). Each step views the data as `[dₖ, rest]` and writes `[rest, dₖ]`, so
 * the dimensions cycle and are back in order at the end; a dimension without a basis is only moved.
 * Returns `x` itself when no dimension has a basis.
 *
 * @example
 * ```ts
 * const projected = rotate(new Tensor(g, [g.length]), s, false);
 * ```
 */
export function rotate(x: Tensor, s: SoapParamState, back: boolean): Tensor {
  if (s.q.every((q) => q === null)) return x;
  const size = x.size;
  let cur = x;
  s.dims.forEach((d, k) => {
    const view = cur.reshape([d, size / d]);
    const q = s.q[k];
    cur = q === null ? view.T : matmulTransposed(view, stateView(q, [d, d]), { transA: true, transB: back });
  });
  return cur;
}

/**
 * `GGₖ ← lerp(GGₖ, G₍ₖ₎G₍ₖ₎ᵀ, 1 - shampooBeta)` for every preconditioned dimension k of `s` (G₍ₖ₎: the
 * mode-k unfolding of the gradient `g`, in `s`'s layout), with the Gram matrices as tensor ops and the
 * EMA as the `soapLerp` kernel.
 *
 * @example
 * ```ts
 * accumulateFactors(new Tensor(g, [g.length]), s);
 * ```
 */
export function accumulateFactors(g: Tensor, s: SoapParamState): void {
  let last = -1;
  s.gg.forEach((m, k) => {
    if (m !== null) last = k;
  });
  const lerp = resolveKernel('soapLerp', soapLerpKernel);
  let cur = g;
  for (let k = 0; k <= last; k++) {
    // The data is ordered (dₖ, ..., d₀, ..., dₖ₋₁): viewed as [dₖ, rest], its Gram matrix is the mode-k one.
    const view = cur.reshape([s.dims[k], g.size / s.dims[k]]);
    const m = s.gg[k];
    if (m !== null) lerp(m, matmulTransposed(view, view, { transB: true })._array, 1 - s.shampooBeta);
    if (k < last) cur = view.T;
  }
}

/** The eigenvectors of `GG + 1e-30·I` from {@link eigh}, as columns by decreasing eigenvalue (the reference's `get_orthogonal_matrix`). */
export function eigenbasis(m: FloatArray, d: number, out: FloatArray): void {
  const shifted = m.slice();
  for (let i = 0; i < d; i++) shifted[i * d + i] += EIGH_SHIFT;
  const v = eigh(new Tensor(shifted, [d, d])).eigenvectors.values;
  for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) out[r * d + c] = v[r * d + (d - 1 - c)];
}

/** Reorder `x` (dimensions `dims`) along dimension `k`: entry c takes entry `order[c]`. */
function permuteAxis(x: FloatArray, dims: readonly number[], k: number, order: readonly number[]): void {
  const d = dims[k];
  let inner = 1;
  for (let j = k + 1; j < dims.length; j++) inner *= dims[j];
  const outer = x.length / (d * inner);
  const copy = x.slice();
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < d; c++) {
      const to = (o * d + c) * inner;
      const from = (o * d + order[c]) * inner;
      for (let i = 0; i < inner; i++) x[to + i] = copy[from + i];
    }
}

/**
 * Refresh every basis by one step of power iteration and a QR decomposition (the reference's
 * `get_orthogonal_matrix_QR`): estimate the eigenvalues as `diag(Qᵀ GG Q)`, sort the columns of `Q`
 * by them, decreasing, and permute `expAvgSq` along that dimension the same way, then `Q ← qr(GG·Q).q`.
 */
export function refreshBases(s: SoapParamState): void {
  for (let k = 0; k < s.dims.length; k++) {
    const m = s.gg[k];
    const o = s.q[k];
    if (m === null || o === null) continue;
    const d = s.dims[k];
    const mt = new Tensor(m, [d, d]);
    const qtm = matmulTransposed(new Tensor(o, [d, d]), mt, { transA: true }).values;
    const estimate = new Float64Array(d);
    for (let c = 0; c < d; c++) {
      let sum = 0;
      for (let r = 0; r < d; r++) sum += qtm[c * d + r] * o[r * d + c];
      estimate[c] = sum;
    }
    // NOTE: ties keep their index order (PyTorch's argsort leaves the order of equal values unspecified).
    const order = Array.from({ length: d }, (_, c) => c).sort((a, b) => estimate[b] - estimate[a] || a - b);
    permuteAxis(s.expAvgSq, s.dims, k, order);
    const sorted = o.slice();
    for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) sorted[r * d + c] = o[r * d + order[c]];
    o.set(qr(matmul(mt, new Tensor(sorted, [d, d]))).q.values);
  }
}

/** A flat tensor over the array `x` (an update buffer, or a product's output). */
function asTensor(x: FloatArray): Tensor {
  return new Tensor(x, [x.length]);
}

/** The parameter's state at its first gradient, with the layout the group's hyperparameters give it now. */
export function initialState(p: Tensor, hp: Readonly<Hyperparams>): SoapParamState {
  const layout = soapLayout(p.shape, {
    maxPrecondDim: hp.maxPrecondDim as number,
    mergeDims: hp.mergeDims as boolean,
    precondition1d: hp.precondition1d as boolean,
    dataFormat: hp.dataFormat as string,
  });
  const dtype = p.dtype;
  const shampooBeta = hp.shampooBeta as number;
  const factor = (d: number, k: number) => (layout.preconditioned[k] ? (allocate(dtype, d * d) as FloatArray) : null);
  return {
    step: 0,
    dims: layout.dims,
    channelsLast: layout.channelsLast,
    shampooBeta: shampooBeta >= 0 ? shampooBeta : (hp.betas as number[])[1],
    preconditionFrequency: hp.preconditionFrequency as number,
    expAvg: allocate(dtype, p.size) as FloatArray,
    expAvgSq: allocate(dtype, p.size) as FloatArray,
    gg: layout.dims.map(factor),
    q: layout.dims.map(factor),
  };
}

/** The gradient in the preconditioner's layout: the update buffer itself, or its `(0, 3, 1, 2)` permutation. */
function layoutGradient(view: Tensor, s: SoapParamState): FloatArray {
  return (s.channelsLast ? permute(view, [0, 3, 1, 2]).values : view.values) as FloatArray;
}

/**
 * The whole SOAP update as one rule block (Vyas et al. 2024, arXiv:2409.11321; the authors' `soap.py`
 * at github.com/nikhilvyas/SOAP): Adam on the gradient projected onto the eigenbases `Qₖ` of the
 * Kronecker factors `GGₖ`, the result projected back. Its output is the final delta, learning rate
 * and weight decay included; `soap` documents the equations and the defaults (`lr 3e-3, betas [0.95,
 * 0.95], shampooBeta -1, eps 1e-8, weightDecay 0.01, preconditionFrequency 10, maxPrecondDim 10000,
 * mergeDims false, precondition1d false, normalizeGrads false, dataFormat 'channels_first',
 * correctBias true`). In short, with `G′ = G ×ₖ Qₖᵀ`:
 *
 * ```
 * first step:  GGₖ ← (1−βₛ)·G₍ₖ₎G₍ₖ₎ᵀ,  Qₖ ← eigh(GGₖ) by decreasing eigenvalue,  delta 0
 * later:       m, v ← Adam moments of G′;  N = (m/(√v+ε)) ×ₖ Qₖ;  p₁ = p − lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·N;
 *              delta = p₁ − lr·λ·p₁ − p;  GGₖ ← βₛ·GGₖ + (1−βₛ)·G₍ₖ₎G₍ₖ₎ᵀ;
 *              every preconditionFrequency steps Qₖ ← qr(GGₖ·Qₖ).Q (columns sorted first, v permuted alike)
 * ```
 *
 * The refresh is one power-iteration step and a QR decomposition rather than a new eigendecomposition:
 * cheaper, and insensitive to the signs and order of the columns eigh returned. Reads `lr`, `betas`,
 * `eps`, `weightDecay`, `normalizeGrads` and `correctBias` from the group at every step;
 * `shampooBeta`, `preconditionFrequency` and the layout (`maxPrecondDim`, `mergeDims`,
 * `precondition1d`, `dataFormat`) at the parameter's first step, as the reference does (it stores the
 * first two in the parameter's state and cannot change the shape of the factors later).
 *
 * Products run through core ops on {@link Tensor} views of the state and of `ctx.updateTensor(i)`
 * ({@link matmulTransposed}, {@link eigh}, {@link qr}), so the backend's matmul does the work.
 *
 * @example
 * ```ts
 * // SOAP under another name, with the same defaults:
 * const mySoap = defineOptimizer({ name: 'mySoap', defaults: { ...soap([w]).defaults }, rule: scaleBySoap() });
 * ```
 */
export function scaleBySoap(): UpdateRule<SoapState> {
  return {
    init: (params: readonly Tensor[]): SoapState => ({ params: params.map(() => null) }),
    update(updates: readonly (TypedArray | null)[], state: SoapState, ctx: StepContext): void {
      const hp = ctx.hp;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i] as FloatArray | null;
        if (u === null || u.length === 0) continue;
        const p = ctx.params[i];
        const view = ctx.updateTensor(i);
        let s = state.params[i];
        if (s === null) {
          s = initialState(p, hp);
          state.params[i] = s;
          accumulateFactors(asTensor(layoutGradient(view, s)), s);
          for (let k = 0; k < s.dims.length; k++) {
            const m = s.gg[k];
            const q = s.q[k];
            if (m !== null && q !== null) eigenbasis(m, s.dims[k], q);
          }
          // The first step only builds the preconditioner: the parameter does not move.
          u.fill(0);
          continue;
        }
        const g = layoutGradient(view, s);
        const [beta1, beta2] = hp.betas as number[];
        const eps = hp.eps as number;
        const lr = hp.lr;
        const weightDecay = hp.weightDecay as number;
        const projected = rotate(asTensor(g), s, false).values as FloatArray;
        s.step += 1;
        const m = s.expAvg;
        const v = s.expAvgSq;
        const ratio = allocate(p.dtype, u.length, false) as FloatArray;
        soapAdamKernel(projected, m, v, ratio, beta1, beta2, eps);
        let stepSize = lr;
        if (hp.correctBias === true) {
          const bc1 = 1 - beta1 ** s.step;
          const bc2 = 1 - beta2 ** s.step;
          stepSize = (stepSize * Math.sqrt(bc2)) / bc1;
        }
        let direction = rotate(asTensor(ratio), s, true).values as FloatArray;
        if (s.channelsLast) {
          const [a, b, c, d] = p.shape;
          direction = permute(new Tensor(direction, [a, d, b, c]), [0, 2, 3, 1]).values as FloatArray;
        }
        let divisor = 1;
        if (hp.normalizeGrads === true) {
          let sumSq = 0;
          for (let j = 0; j < direction.length; j++) sumSq += direction[j] * direction[j];
          divisor = 1e-30 + Math.sqrt(sumSq / direction.length);
        }
        // The preconditioner update reads the gradient, which may live in `u`: it runs before `u` is written.
        updatePreconditioner(g, s);
        const pd = p.values;
        const decay = -lr * weightDecay;
        for (let j = 0; j < u.length; j++) {
          const p1 = pd[j] - stepSize * (direction[j] / divisor);
          u[j] = (weightDecay > 0 ? p1 + decay * p1 : p1) - pd[j];
        }
      }
    },
  };
}

/**
 * The reference's `update_preconditioner` after a SOAP step: `expAvg` back to the parameter's basis,
 * the factors updated with the gradient, the bases refreshed when `step` is a multiple of the
 * frequency, and `expAvg` projected onto the (new) bases.
 */
function updatePreconditioner(g: FloatArray, s: SoapParamState): void {
  const rotated = s.q.some((q) => q !== null);
  const m = stateView(s.expAvg, [s.expAvg.length]);
  if (rotated) s.expAvg.set(rotate(m, s, true).values);
  accumulateFactors(asTensor(g), s);
  if (s.step % s.preconditionFrequency === 0) refreshBases(s);
  if (rotated) s.expAvg.set(rotate(m, s, false).values);
}
