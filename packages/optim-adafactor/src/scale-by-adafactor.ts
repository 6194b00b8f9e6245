import { allocate, type DType, type TypedArray } from '@nablajs/core';
import type { UpdateRule } from '@nablajs/optim';

/**
 * The state of {@link scaleByAdafactor}, one entry per parameter, with the names of PyTorch's
 * `Adafactor` state in camelCase. A parameter with two or more dimensions, of shape `[...b, m, n]`, keeps
 * the row and column factors (`b·m + b·n` numbers) and no `variance`; a vector or a 0-d scalar keeps
 * `variance` (as many numbers as the parameter) and no factors. Every buffer starts at zero and has the
 * parameter's dtype.
 *
 * @example
 * ```ts
 * const opt = adafactor([w]); // w: [6, 4]
 * // ... one step ...
 * const s = (decodeState(opt.stateDict().state[0]) as unknown[])[1] as AdafactorState;
 * s.step; // [1]
 * s.rowVar[0]?.length; // 6
 * s.colVar[0]?.length; // 4
 * s.variance[0]; // null
 * ```
 */
export interface AdafactorState {
  /** PyTorch's `step`: updates so far of each parameter (0 before the first, 1 after it). */
  step: number[];
  /** PyTorch's `row_var`: the running mean over the last dimension of `g²`, `[...b, m]` flat; `null` when unfactored. */
  rowVar: (TypedArray | null)[];
  /** PyTorch's `col_var`: the running mean over the next-to-last dimension of `g²`, `[...b, n]` flat; `null` when unfactored. */
  colVar: (TypedArray | null)[];
  /** PyTorch's `variance`: the running average of `g²` of a vector or scalar; `null` when factored. */
  variance: (TypedArray | null)[];
}

/** The spacing of 1 and the next number of each floating dtype (PyTorch's `torch.finfo(dtype).eps`). */
const MACHINE_EPSILON: Readonly<Record<string, number>> = {
  float64: 2 ** -52,
  float32: 2 ** -23,
  float16: 2 ** -10,
  bfloat16: 2 ** -7,
};

/**
 * `torch.finfo(dtype).eps` of a parameter's dtype: what {@link scaleByAdafactor} uses for `ε₁` when the
 * group's `eps[0]` is `null` (float32: 2⁻²³, float64: 2⁻⁵²).
 *
 * @example
 * ```ts
 * machineEpsilon('float32'); // 1.1920928955078125e-7
 * ```
 */
function machineEpsilon(dtype: DType): number {
  return MACHINE_EPSILON[dtype] ?? MACHINE_EPSILON.float32;
}

/** A threshold as PyTorch applies it to a tensor of `dtype`: rounded to float32 for a float32 tensor. */
function inDtype(dtype: DType, x: number): number {
  return dtype === 'float32' ? Math.fround(x) : x;
}

/** PyTorch's `lerp` with a scalar weight: `a + w·(b - a)` for `|w| < 0.5`, else `b - (b - a)·(1 - w)`. */
function lerp(a: number, b: number, w: number): number {
  return Math.abs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w);
}

/** The batch size of a shape factored along its last two dimensions: the product of the leading ones. */
function batchOf(shape: readonly number[]): number {
  let batch = 1;
  for (let k = 0; k < shape.length - 2; k++) batch *= shape[k];
  return batch;
}

/**
 * Update the factors of one parameter of shape `[batch, m, n]` (flat in `u`, its gradient) and overwrite
 * `u` with the unscaled update `g / √max(V̂, ε₁²)`. Returns `Σ update²`.
 */
function factoredUpdate(
  u: TypedArray,
  rowVar: TypedArray,
  colVar: TypedArray,
  batch: number,
  m: number,
  n: number,
  w: number,
  eps1: number,
  eps1Sq: number,
): number {
  let sumSq = 0;
  // One pass over g² per matrix: the row sums as it goes, the column sums in `colSums` (each summed over the
  // rows in order, as a separate pass would).
  const colSums = new Float64Array(n);
  for (let b = 0; b < batch; b++) {
    const off = b * m * n;
    colSums.fill(0);
    let rowSum = 0;
    for (let r = 0; r < m; r++) {
      let s = 0;
      for (let c = 0; c < n; c++) {
        const g = u[off + r * n + c];
        const g2 = g * g;
        s += g2;
        colSums[c] += g2;
      }
      const k = b * m + r;
      rowVar[k] = lerp(rowVar[k], s / n, w);
      rowSum += rowVar[k];
    }
    for (let c = 0; c < n; c++) {
      const k = b * n + c;
      colVar[k] = lerp(colVar[k], colSums[c] / m, w);
    }
    const rowMean = Math.max(rowSum / m, eps1);
    for (let r = 0; r < m; r++) {
      const rv = rowVar[b * m + r];
      for (let c = 0; c < n; c++) {
        const j = off + r * n + c;
        u[j] = u[j] / Math.sqrt(Math.max((rv * colVar[b * n + c]) / rowMean, eps1Sq));
        sumSq += u[j] * u[j];
      }
    }
  }
  return sumSq;
}

/** The same for a vector or a scalar with its full `variance`. Returns `Σ update²`. */
function unfactoredUpdate(u: TypedArray, variance: TypedArray, w: number, eps1Sq: number): number {
  let sumSq = 0;
  for (let j = 0; j < u.length; j++) {
    variance[j] = lerp(variance[j], u[j] * u[j], w);
    u[j] = u[j] / Math.sqrt(Math.max(variance[j], eps1Sq));
    sumSq += u[j] * u[j];
  }
  return sumSq;
}

/**
 * Adafactor's whole step after the sign of the gradient is settled (PyTorch's `_single_tensor_adafactor`):
 * it turns each gradient `g` into the parameter's final delta, learning rate and weight decay included.
 * It reads the group's `lr`, `beta2Decay`, `eps`, `d` and `weightDecay` at every step. Per parameter `p`,
 * with its own step count `t` (advanced first):
 *
 * ```
 * β̂ = t^beta2Decay                         (weight of the new term in the running averages)
 * ρ = min(lr, 1/√t)
 * α = max(ε₂, ‖p‖/√numel(p)) · ρ            (p before this step's weight decay)
 * ε₁ = eps[0], or the machine epsilon of p's dtype when eps[0] is null
 * p has ≥ 2 dimensions [...b, m, n]:         factored along the last two
 *   R ← R + β̂·(mean over the last dim of g² - R)          [...b, m, 1]
 *   C ← C + β̂·(mean over the next-to-last dim of g² - C)  [...b, 1, n]
 *   V̂ = R·C / max(mean of R over its m rows, ε₁)           [...b, m, n]
 * otherwise (vector, 0-d scalar):
 *   V ← V + β̂·(g² - V);  V̂ = V
 * U = g / √max(V̂, ε₁²)
 * Û = U / max(1, RMS(U)/d)
 * p ← p·(1 - lr·weightDecay) - α·Û
 * ```
 *
 * The running averages interpolate as PyTorch's `lerp` does (`a + w·(b - a)` for `w < 0.5`,
 * `b - (b - a)·(1 - w)` otherwise), so at `t = 1` they equal the first squared gradient's means
 * exactly. The statistics are kept in the parameter's dtype; norms, means and the update are computed
 * in float64 and rounded when stored. The thresholds `ε₁` and `ε₁²` are rounded to the dtype as PyTorch
 * applies them: in float32, `ε₁ = 1e-30` makes `ε₁²` zero, so a variance entry of exactly 0 (a zero
 * gradient entry at the first step) gives `0/0 = NaN`, as in PyTorch; the default `ε₁` does not. The
 * default `ε₁` is the machine epsilon of each parameter's dtype (PyTorch's single-tensor loop takes the
 * first parameter's for the whole group; the two agree unless a group mixes dtypes).
 *
 * Weight decay is folded into the returned delta as `-lr·weightDecay·p`; the runtime then adds the
 * delta to `p`, which equals PyTorch's decay-then-step to rounding.
 *
 * Use it after `flipIfMaximize()`; it is the whole rest of the step (no `scaleByLearningRate()` after it).
 *
 * @example
 * ```ts
 * import { chain, defineOptimizer, flipIfMaximize } from '@nablajs/optim';
 * const myAdafactor = defineOptimizer({
 *   name: 'myAdafactor',
 *   defaults: { lr: 1e-2, beta2Decay: -0.8, eps: [null, 1e-3], d: 1, weightDecay: 0, maximize: false },
 *   rule: chain(flipIfMaximize(), scaleByAdafactor()),
 * });
 * ```
 */
export function scaleByAdafactor(): UpdateRule<AdafactorState> {
  return {
    init: (params) => ({
      step: params.map(() => 0),
      rowVar: params.map((p) => (p.ndim > 1 ? allocate(p.dtype, batchOf(p.shape) * p.shape[p.ndim - 2]) : null)),
      colVar: params.map((p) => (p.ndim > 1 ? allocate(p.dtype, batchOf(p.shape) * p.shape[p.ndim - 1]) : null)),
      variance: params.map((p) => (p.ndim > 1 ? null : allocate(p.dtype, p.size))),
    }),
    update(updates, state, ctx) {
      const lr = ctx.hp.lr;
      const beta2Decay = ctx.hp.beta2Decay as number;
      const d = ctx.hp.d as number;
      const weightDecay = ctx.hp.weightDecay as number;
      // NOTE: validation leaves a pair whose first entry may be null (the dtype's machine epsilon).
      const eps = ctx.hp.eps as readonly (number | null)[];
      const eps1Option = eps[0];
      const eps2 = eps[1] as number;
      const decay = weightDecay !== 0 ? lr * weightDecay : 0;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const param = ctx.params[i];
        const t = ++state.step[i];
        if (u.length === 0) continue;
        const w = t ** beta2Decay;
        const rho = Math.min(lr, 1 / Math.sqrt(t));
        const p = param.values;
        let pSq = 0;
        for (let j = 0; j < p.length; j++) pSq += p[j] * p[j];
        const alpha = Math.max(eps2, Math.sqrt(pSq) / Math.sqrt(p.length)) * rho;
        const eps1 = eps1Option ?? machineEpsilon(param.dtype);
        const eps1Sq = inDtype(param.dtype, eps1 * eps1);
        const rowVar = state.rowVar[i];
        const colVar = state.colVar[i];
        const shape = param.shape;
        const sumSq =
          rowVar !== null && colVar !== null
            ? factoredUpdate(
                u,
                rowVar,
                colVar,
                batchOf(shape),
                shape[shape.length - 2],
                shape[shape.length - 1],
                w,
                inDtype(param.dtype, eps1),
                eps1Sq,
              )
            : unfactoredUpdate(u, state.variance[i] as TypedArray, w, eps1Sq);
        const denom = Math.max(1, Math.sqrt(sumSq) / (Math.sqrt(u.length) * d));
        const scale = -alpha / denom;
        if (decay === 0) for (let j = 0; j < u.length; j++) u[j] *= scale;
        else for (let j = 0; j < u.length; j++) u[j] = scale * u[j] - decay * p[j];
      }
    },
  };
}
