import { allocate, isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError, ShapeError, ValueError } from '../errors';
import { isGradEnabled } from '../grad-mode';
import { layerNormBackwardKernel, layerNormKernel } from '../kernels/cpu/layer-norm';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { add } from './add';
import { mean } from './mean';
import { mul } from './mul';
import { reshape } from './reshape';
import { rsqrt } from './rsqrt';
import { sub } from './sub';
import { sum } from './sum';

interface LayerNormAttrs {
  /** The number of normalised elements per row (the size of `normalizedShape`). */
  readonly n: number;
  readonly eps: number;
  readonly hasWeight: boolean;
  readonly hasBias: boolean;
}

/**
 * The VJP as tensor ops (for gradients of gradients): the statistics are recomputed from `x`, and
 * `dx = rstd · (ĝ - mean(ĝ) - x̂ · mean(ĝ · x̂))`, `dw = Σ g · x̂`, `db = Σ g` over the rows.
 */
function composedBackward(g: Tensor, x: Tensor, w: Tensor | null, b: Tensor | null, eps: number, n: number) {
  const rows = x.size / n;
  const x2 = reshape(x, [rows, n]);
  const g2 = reshape(g, [rows, n]);
  const xc = sub(x2, mean(x2, [1], true));
  const rstd = rsqrt(add(mean(mul(xc, xc), [1], true), eps));
  const xhat = mul(xc, rstd);
  const gh = w === null ? g2 : mul(g2, reshape(w, [n]));
  const dx = x.requiresGrad
    ? reshape(mul(rstd, sub(sub(gh, mean(gh, [1], true)), mul(xhat, mean(mul(gh, xhat), [1], true)))), x.shape)
    : null;
  const dw = w?.requiresGrad ? reshape(sum(mul(g2, xhat), [0]), w.shape) : null;
  const db = b?.requiresGrad ? reshape(sum(g2, [0]), b.shape) : null;
  return [dx, dw, db];
}

// Inputs [x, weight?, bias?]. The forward and, when no graph of the gradient is wanted, the backward
// are one fused kernel each (wasm on the wasm backend); the backward recomputes the row statistics
// from x rather than saving them. It reads x and the weight, never the output.
const layerNormOp = registerOp<LayerNormAttrs>({
  name: 'layerNorm',
  saves: { inputs: [0, 1], output: false },
  forward: (inputs, { n, eps, hasWeight, hasBias }) => {
    const x = inputs[0];
    const w = hasWeight ? inputs[1] : null;
    const b = hasBias ? inputs[hasWeight ? 2 : 1] : null;
    let dtype = x.dtype;
    for (const t of [w, b]) if (t !== null) dtype = promoteTypes(dtype, t.dtype);
    const out = allocate(dtype, x.size, false);
    resolveKernel('layerNorm', layerNormKernel)(
      x._array,
      w === null ? null : w._array,
      b === null ? null : b._array,
      x.size / n,
      n,
      eps,
      out,
    );
    return new Tensor(out, x.shape, dtype);
  },
  backward: (g, { inputs, attrs: { n, eps, hasWeight, hasBias } }) => {
    const x = inputs[0];
    const w = hasWeight ? inputs[1] : null;
    const b = hasBias ? inputs[hasWeight ? 2 : 1] : null;
    let grads: (Tensor | null)[];
    if (isGradEnabled()) grads = composedBackward(g, x, w, b, eps, n);
    else {
      const dx = x.requiresGrad ? allocate(x.dtype, x.size, false) : null;
      const dw = w?.requiresGrad ? allocate(w.dtype, w.size, false) : null;
      const db = b?.requiresGrad ? allocate(b.dtype, b.size, false) : null;
      resolveKernel('layerNormBackward', layerNormBackwardKernel)(
        g._array,
        x._array,
        w === null ? null : w._array,
        x.size / n,
        n,
        eps,
        dx,
        dw,
        db,
      );
      grads = [
        dx === null ? null : new Tensor(dx, x.shape, x.dtype),
        dw === null || w === null ? null : new Tensor(dw, w.shape, w.dtype),
        db === null || b === null ? null : new Tensor(db, b.shape, b.dtype),
      ];
    }
    const out: (Tensor | null)[] = [grads[0]];
    if (hasWeight) out.push(grads[1]);
    if (hasBias) out.push(grads[2]);
    return out;
  },
});

/** Check an optional weight or bias of `layerNorm`: a floating tensor of shape `normalizedShape`, or null. */
function checkAffine(name: string, t: Tensor | null | undefined, shape: readonly number[]): Tensor | null {
  if (t === undefined || t === null) return null;
  if (!(t instanceof Tensor)) throw new ValueError(`layerNorm: ${name} must be a Tensor, got ${typeof t}`);
  if (!isFloatingDType(t.dtype))
    throw new DTypeError(`layerNorm: ${name} must be a float32 or float64 tensor, got ${t.dtype}`);
  if (!shapesEqual(t.shape, shape))
    throw new ShapeError(`layerNorm: ${name} must have shape ${formatShape(shape)}, got ${formatShape(t.shape)}`);
  return t;
}

/**
 * Layer normalisation over the trailing dimensions `normalizedShape`, like
 * `torch.nn.functional.layer_norm`: `y = (x - E[x]) / sqrt(Var[x] + eps) · weight + bias`, where the
 * mean and the **biased** variance (divided by n) are taken over the last `normalizedShape.length`
 * dimensions, eps sits inside the square root, and `weight` and `bias` (optional) have the shape
 * `normalizedShape`. Gradients flow to `x`, `weight` and `bias`, and gradients of gradients work.
 *
 * One fused kernel forward and one backward (the wasm backend runs both as wasm kernels on float32
 * rows whose length is a multiple of 4); the statistics are computed in float64, the mean first and
 * then the variance as the mean of squared deviations.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.layer_norm.html
 *
 * @param normalizedShape - the trailing dimensions to normalise over (at least one)
 * @param weight - the scale, of shape `normalizedShape` (default none)
 * @param bias - the shift, of shape `normalizedShape` (default none)
 * @param eps - added to the variance, a finite number >= 0 (default 1e-5)
 *
 * @example
 * ```ts
 * layerNorm(tensor([[1, 2, 3]]), [3]).toArray(); // [[-1.2247, 0, 1.2247]]
 * ```
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  if (!(x instanceof Tensor))
    throw new ValueError(`layerNorm: input must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (!isFloatingDType(x.dtype))
    throw new DTypeError(`layerNorm: input must be a float32 or float64 tensor, got ${x.dtype}`);
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps))
    throw new ValueError(`layerNorm: eps must be a finite number >= 0, got ${String(eps)}`);
  if (!Array.isArray(normalizedShape) || normalizedShape.some((d) => !Number.isInteger(d) || d < 0))
    throw new ShapeError(
      `layerNorm: normalizedShape must be an array of non-negative integers, got ${JSON.stringify(normalizedShape)}`,
    );
  const k = normalizedShape.length;
  if (k === 0) throw new ShapeError('layerNorm: normalizedShape must name at least one dimension, got []');
  if (k > x.ndim || !shapesEqual(x.shape.slice(x.ndim - k), normalizedShape))
    throw new ShapeError(
      `layerNorm: input of shape ${formatShape(x.shape)} does not end with normalizedShape ${formatShape(normalizedShape)}`,
    );
  const w = checkAffine('weight', weight, normalizedShape);
  const b = checkAffine('bias', bias, normalizedShape);
  let n = 1;
  for (const d of normalizedShape) n *= d;
  // No element to normalise: an empty result of x's shape (kept on x's graph).
  if (x.size === 0) return mul(x, 1);
  const inputs = [x];
  if (w !== null) inputs.push(w);
  if (b !== null) inputs.push(b);
  return layerNormOp(inputs, { n, eps, hasWeight: w !== null, hasBias: b !== null });
}
