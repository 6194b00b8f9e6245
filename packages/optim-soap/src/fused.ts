import {
  copyKernel,
  hostReadsMayWait,
  norm,
  permute,
  resolveKernel,
  soapAdamKernel,
  soapApplyKernel,
  type Tensor,
  tidy,
  zeros,
} from '@nablajs/core';
import type { FusedUpdate, StepContext } from '@nablajs/optim';
import {
  accumulateFactors,
  eigenbasis,
  type FloatArray,
  initialState,
  refreshBases,
  rotate,
  type SoapParamState,
  type SoapState,
  stateView,
} from './scale-by-soap';

// SOAP's step where the values live on the GPU (webgpu backend): the rotations and the Gram matrices are
// tensor ops (the GPU's matmul), Adam in the eigenbasis, the EMA of the factors and the move are kernels,
// and only the decompositions run on the host, as host tasks: eigh at a parameter's first step, the QR
// refresh every `preconditionFrequency` steps. On cpu and wasm the rule runs instead.

/** The factors and bases of `s` that exist (their kept views made, so a host task never frees them). */
function factorsOf(s: SoapParamState): { gg: FloatArray[]; q: FloatArray[] } {
  const gg: FloatArray[] = [];
  const q: FloatArray[] = [];
  s.gg.forEach((m, k) => {
    const o = s.q[k];
    if (m === null || o === null) return;
    stateView(m, [m.length]);
    stateView(o, [o.length]);
    gg.push(m);
    q.push(o);
  });
  return { gg, q };
}

function stepParam(p: Tensor, grad: Tensor, state: SoapState, i: number, ctx: StepContext): void {
  const hp = ctx.hp;
  const previous = state.params[i];
  const s = previous ?? initialState(p, hp);
  state.params[i] = s;
  const g = s.channelsLast ? permute(grad, [0, 3, 1, 2]) : grad;
  if (previous === null) {
    // The first step only builds the preconditioner: the parameter does not move.
    accumulateFactors(g, s);
    const { gg, q } = factorsOf(s);
    if (gg.length > 0)
      ctx.hostTask(gg, q, () => {
        s.gg.forEach((m, k) => {
          const o = s.q[k];
          if (m !== null && o !== null) eigenbasis(m, s.dims[k], o);
        });
      });
    return;
  }
  const [beta1, beta2] = hp.betas as number[];
  const lr = hp.lr;
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
  const m = stateView(s.expAvg, [p.size]);
  if (rotated) copy(rotate(m, s, true)._array, s.expAvg);
  accumulateFactors(g, s);
  if (s.step % s.preconditionFrequency === 0) {
    const { gg, q } = factorsOf(s);
    stateView(s.expAvgSq, [p.size]);
    if (gg.length > 0) ctx.hostTask([...gg, ...q, s.expAvgSq], [...q, s.expAvgSq], () => refreshBases(s));
  }
  if (rotated) copy(rotate(m, s, false)._array, s.expAvg);
  resolveKernel('soapApply', soapApplyKernel)(p._array, direction._array, stepSize, -lr * (hp.weightDecay as number));
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
