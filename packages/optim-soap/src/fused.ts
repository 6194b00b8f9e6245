import {
  copyKernel,
  hostReadsMayWait,
  keep,
  matmulTransposed,
  norm,
  permute,
  resolveKernel,
  soapAdamKernel,
  soapApplyKernel,
  soapLerpKernel,
  Tensor,
  type TypedArray,
  tidy,
  zeros,
} from '@nablajs/core';
import type { FusedUpdate, StepContext } from '@nablajs/optim';
import {
  eigenbasis,
  type FloatArray,
  initialState,
  refreshBases,
  type SoapParamState,
  type SoapState,
} from './scale-by-soap';

// SOAP's step where the values live on the GPU (webgpu backend): the rotations and the Gram matrices are
// tensor ops (the GPU's matmul), Adam in the eigenbasis, the EMA of the factors and the move are kernels,
// and only the decompositions run on the host, as host tasks: eigh at a parameter's first step, the QR
// refresh every `preconditionFrequency` steps. On cpu and wasm the rule runs instead.

/** A kept tensor over each state array: views made in a step's scope never release the array they share. */
const kept = new WeakMap<TypedArray, Tensor>();

function viewOf(a: TypedArray, shape: number[]): Tensor {
  let t = kept.get(a);
  if (t === undefined) {
    t = keep(new Tensor(a, [a.length]));
    kept.set(a, t);
  }
  return t.reshape(shape);
}

/** The rule's `rotate` with tensor ops: `x ×ₖ Qₖᵀ`, or `x ×ₖ Qₖ` when `back`. */
function rotate(x: Tensor, s: SoapParamState, back: boolean): Tensor {
  if (s.q.every((q) => q === null)) return x;
  const size = x.size;
  let cur = x;
  s.dims.forEach((d, k) => {
    const view = cur.reshape([d, size / d]);
    const q = s.q[k];
    cur = q === null ? view.T : matmulTransposed(view, viewOf(q, [d, d]), { transA: true, transB: back });
  });
  return cur;
}

/** The rule's `accumulateFactors`: `GGₖ ← lerp(GGₖ, G₍ₖ₎G₍ₖ₎ᵀ, 1 - shampooBeta)`. */
function accumulateFactors(g: Tensor, s: SoapParamState): void {
  let last = -1;
  s.gg.forEach((m, k) => {
    if (m !== null) last = k;
  });
  const lerp = resolveKernel('soapLerp', soapLerpKernel);
  let cur = g;
  for (let k = 0; k <= last; k++) {
    const view = cur.reshape([s.dims[k], g.size / s.dims[k]]);
    const m = s.gg[k];
    if (m !== null) lerp(m, matmulTransposed(view, view, { transB: true })._array, 1 - s.shampooBeta);
    if (k < last) cur = view.T;
  }
}

/** The factors and bases of `s` that exist (their kept views made, so a host task never frees them). */
function factorsOf(s: SoapParamState): { gg: FloatArray[]; q: FloatArray[] } {
  const gg: FloatArray[] = [];
  const q: FloatArray[] = [];
  s.gg.forEach((m, k) => {
    const o = s.q[k];
    if (m === null || o === null) return;
    viewOf(m, [m.length]);
    viewOf(o, [o.length]);
    gg.push(m);
    q.push(o);
  });
  return { gg, q };
}

function stepParam(p: Tensor, grad: Tensor, state: SoapState, i: number, ctx: StepContext): void {
  const hp = ctx.hp;
  const s = state.params[i];
  const g = s?.channelsLast === true ? permute(grad, [0, 3, 1, 2]) : grad;
  if (s === null) {
    const first = initialState(p, hp);
    state.params[i] = first;
    const layoutGrad = first.channelsLast ? permute(grad, [0, 3, 1, 2]) : grad;
    accumulateFactors(layoutGrad, first);
    const { gg, q } = factorsOf(first);
    // The first step only builds the preconditioner: the parameter does not move.
    if (gg.length > 0)
      ctx.hostTask(gg, q, () => {
        first.gg.forEach((m, k) => {
          const o = first.q[k];
          if (m !== null && o !== null) eigenbasis(m, first.dims[k], o);
        });
      });
    return;
  }
  const [beta1, beta2] = hp.betas as number[];
  const lr = hp.lr;
  const weightDecay = hp.weightDecay as number;
  const projected = rotate(g, s, false);
  s.step += 1;
  const ratio = zeros([p.size]);
  resolveKernel('soapAdam', soapAdamKernel)(
    projected._array,
    s.expAvg,
    s.expAvgSq,
    ratio._array,
    beta1,
    beta2,
    hp.eps as number,
  );
  let stepSize = lr;
  if (hp.correctBias === true) stepSize = (stepSize * Math.sqrt(1 - beta2 ** s.step)) / (1 - beta1 ** s.step);
  let direction = rotate(ratio, s, true);
  if (s.channelsLast) {
    const [a, b, c, d] = p.shape;
    direction = permute(direction.reshape([a, d, b, c]), [0, 2, 3, 1]);
  }
  if (hp.normalizeGrads === true)
    direction = direction.div(
      norm(direction)
        .mul(1 / Math.sqrt(p.size))
        .add(1e-30),
    );
  // The rule's update_preconditioner: m back to the parameter's basis, the factors, the refresh, m forward.
  const rotated = s.q.some((q) => q !== null);
  const copy = resolveKernel('copy', copyKernel);
  if (rotated) copy(rotate(viewOf(s.expAvg, [p.size]), s, true)._array, s.expAvg);
  accumulateFactors(g, s);
  const factors = factorsOf(s);
  if (s.step % s.preconditionFrequency === 0 && factors.gg.length > 0) {
    const { gg, q } = factors;
    const refreshed = s;
    viewOf(s.expAvgSq, [p.size]);
    ctx.hostTask([...gg, ...q, s.expAvgSq], [...q, s.expAvgSq], () => refreshBases(refreshed));
  }
  if (rotated) copy(rotate(viewOf(s.expAvg, [p.size]), s, false)._array, s.expAvg);
  resolveKernel('soapApply', soapApplyKernel)(p._array, direction._array, stepSize, -lr * weightDecay);
}

/**
 * The fused step of {@link soap} where values may live on the GPU (the webgpu backend active) and every
 * parameter of the group is float32: the rotations and Gram matrices run as tensor ops, the elementwise
 * parts as the `soapAdam`, `soapLerp` and `soapApply` kernels, and the decompositions (eigh at the first
 * step, the QR refresh every `preconditionFrequency` steps) as host tasks that wait for the next await.
 * Elsewhere it returns false and the rule runs.
 *
 * @example
 * ```ts
 * defineOptimizer({ name: 'soap', defaults, rule: scaleBySoap(), fused: fusedSoap() });
 * ```
 */
export function fusedSoap(): FusedUpdate {
  return (state, ctx) => {
    if (!hostReadsMayWait() || ctx.params.some((p) => p.dtype !== 'float32')) return false;
    tidy(() => {
      ctx.params.forEach((p, i) => {
        const grad = p.grad;
        if (grad !== null && p.size > 0) stepParam(p, grad, state as SoapState, i, ctx);
      });
    });
    return true;
  };
}
