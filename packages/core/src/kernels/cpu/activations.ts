import type { TypedArray } from '../../dtype';
import { erfc } from './erf';
import { sumKernel } from './reduce';

// Kernels of the activation functions and of their fused gradients. Forward kernels take (x, out, ...attrs);
// gradient kernels take (g, x or y, out, ...attrs) and compute `g * f'(x)` in one pass.

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327;
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/**
 * The logistic function `1 / (1 + e^-x)`, computed without overflow: for negative `x` it uses
 * `e^x / (1 + e^x)` so that `e^-x` never becomes infinite.
 */
export function sigmoidScalar(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** `x * Φ(x)` with Φ the standard normal cdf, written with erfc so that the left tail keeps its precision. */
export function geluExactScalar(x: number): number {
  return 0.5 * x * erfc(-x * SQRT1_2);
}

/** `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`. */
export function geluTanhScalar(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_K * (x + GELU_C * x * x * x)));
}

/** The cpu kernel of `relu`: `max(x, 0)`, NaN stays NaN. */
export function reluKernel(x: TypedArray, out: TypedArray): void {
  const n = x.length;
  if (x instanceof Float64Array) {
    for (let i = 0; i < n; i++) out[i] = Math.max(x[i], 0);
    return;
  }
  // NOTE: (v + |v|) / 2 has no branch (5x faster on data of random sign) and is exact for float32 and
  // int32 values held in doubles; in float64 it could overflow near the largest double, hence the loop above.
  // It gives NaN for -Infinity (-Inf + Inf), where relu is 0: the rare NaN result is checked (well predicted).
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const r = (v + Math.abs(v)) * 0.5;
    out[i] = r === 0 || r > 0 || Number.isNaN(v) ? r : 0;
  }
}

/**
 * The gradient of `relu` (PyTorch's `threshold_backward`): 0 where `x <= threshold`, `g` elsewhere, so
 * a NaN `x` passes `g` on, as in PyTorch.
 */
export function thresholdBackwardKernel(g: TypedArray, x: TypedArray, out: TypedArray, threshold: number): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] <= threshold ? 0 : g[i];
}

/**
 * ReLU's gradient and a linear layer's bias gradient in one call, on `rows x n` arrays: `dz = 0` where
 * `y <= 0`, else `g` (NaN in `y` passes `g`, {@link thresholdBackwardKernel}), and `db[j] = Σ_r dz[r, j]` (the sum over axis 0, as
 * `sumKernel`). A backend replaces it with one pass over the arrays; the results are the two kernels'.
 */
export function reluBackwardBiasKernel(
  g: TypedArray,
  y: TypedArray,
  dz: TypedArray,
  rows: number,
  n: number,
  db: TypedArray,
): void {
  thresholdBackwardKernel(g, y, dz, 0);
  sumKernel(dz, [rows, n], [0], db);
}

/** The cpu kernel of `leakyRelu`: `x` where positive, `slope * x` elsewhere. */
export function leakyReluKernel(x: TypedArray, out: TypedArray, slope: number): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = v > 0 ? v : v * slope;
  }
}

/** The gradient of `leakyRelu`: `g` where `x > 0`, `slope * g` elsewhere (including at 0). */
export function leakyReluBackwardKernel(g: TypedArray, x: TypedArray, out: TypedArray, slope: number): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? g[i] : g[i] * slope;
}

/** The cpu kernel of `sigmoid`, stable for any `x`. */
export function sigmoidKernel(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      out[i] = e / (1 + e);
    }
  }
}

/** The gradient of `sigmoid` from its output `y`: `g * y * (1 - y)`. */
export function sigmoidBackwardKernel(g: TypedArray, y: TypedArray, out: TypedArray): void {
  for (let i = 0; i < y.length; i++) {
    const s = y[i];
    out[i] = g[i] * s * (1 - s);
  }
}

/** The cpu kernel of `tanh`. */
export function tanhKernel(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]);
}

/** The gradient of `tanh` from its output `y`: `g * (1 - y²)`. */
export function tanhBackwardKernel(g: TypedArray, y: TypedArray, out: TypedArray): void {
  for (let i = 0; i < y.length; i++) {
    const t = y[i];
    out[i] = g[i] * (1 - t * t);
  }
}

/** The cpu kernel of `gelu`, exact (`x Φ(x)`) or with the tanh approximation. */
export function geluKernel(x: TypedArray, out: TypedArray, tanhApproximation: boolean): void {
  if (tanhApproximation) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = 0.5 * v * (1 + Math.tanh(GELU_K * (v + GELU_C * v * v * v)));
    }
  } else {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = 0.5 * v * erfc(-v * SQRT1_2);
    }
  }
}

/**
 * The gradient of `gelu`: `g * (Φ(x) + x φ(x))` exactly, or for the tanh form, with `u = k (x + c x³)`
 * and `t = tanh(u)`, `g * (0.5 (1 + t) + 0.5 x (1 - t²) k (1 + 3 c x²))`.
 */
export function geluBackwardKernel(g: TypedArray, x: TypedArray, out: TypedArray, tanhApproximation: boolean): void {
  if (tanhApproximation) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const v2 = v * v;
      const t = Math.tanh(GELU_K * (v + GELU_C * v2 * v));
      out[i] = g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * v2));
    }
  } else {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const cdf = 0.5 * erfc(-v * SQRT1_2);
      const pdf = INV_SQRT_2PI * Math.exp(-0.5 * v * v);
      out[i] = g[i] * (cdf + v * pdf);
    }
  }
}

/** The cpu kernel of `silu`: `x * sigmoid(x)`, stable for any `x`. */
export function siluKernel(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v >= 0) out[i] = v / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      out[i] = (v * e) / (1 + e);
    }
  }
}

/** The gradient of `silu`: `g * s (1 + x (1 - s))` with `s = sigmoid(x)`. */
export function siluBackwardKernel(g: TypedArray, x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const s = sigmoidScalar(v);
    out[i] = g[i] * s * (1 + v * (1 - s));
  }
}

/** The cpu kernel of `elu`: `x` where positive, `alpha (e^x - 1)` elsewhere. */
export function eluKernel(x: TypedArray, out: TypedArray, alpha: number): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = v > 0 ? v : alpha * Math.expm1(v);
  }
}

/**
 * The cpu kernel of `softplus`: `log(1 + e^(βx)) / β`, and `x` itself where `βx > threshold` (PyTorch's
 * switch to the linear regime, which also keeps `e^(βx)` from overflowing).
 */
export function softplusKernel(x: TypedArray, out: TypedArray, beta: number, threshold: number): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const bx = v * beta;
    out[i] = bx > threshold ? v : Math.log1p(Math.exp(bx)) / beta;
  }
}

/** The cpu kernel of `logSigmoid`: `min(x, 0) - log(1 + e^-|x|)`, finite for any finite `x`. */
export function logSigmoidKernel(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = v < 0 ? v - Math.log1p(Math.exp(v)) : -Math.log1p(Math.exp(-v));
  }
}

/** The gradient of `elu`: `g * alpha * e^x` where `x <= 0`, `g` elsewhere (NaN included, as in PyTorch). */
export function eluBackwardKernel(g: TypedArray, x: TypedArray, out: TypedArray, alpha: number): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = v <= 0 ? g[i] * alpha * Math.exp(v) : g[i];
  }
}

/** The gradient of `softplus`: `g * σ(βx)`, and `g` in the linear regime `βx > threshold`. */
export function softplusBackwardKernel(
  g: TypedArray,
  x: TypedArray,
  out: TypedArray,
  beta: number,
  threshold: number,
): void {
  for (let i = 0; i < x.length; i++) {
    const bx = x[i] * beta;
    out[i] = bx > threshold ? g[i] : g[i] * sigmoidScalar(bx);
  }
}

/** The gradient of `logSigmoid`: `g * σ(-x)`. */
export function logSigmoidBackwardKernel(g: TypedArray, x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) out[i] = g[i] * sigmoidScalar(-x[i]);
}
