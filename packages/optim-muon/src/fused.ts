import {
  allocate,
  keep,
  muonAdamwUpdateKernel,
  muonMomentumKernel,
  muonUpdateKernel,
  resolveKernel,
  stack,
  Tensor,
  tidy,
} from '@nablajs/core';
import { type FusedUpdate, scratchArrays } from '@nablajs/optim';
import type { AuxAdamWState } from './aux-adamw';
import { zeropowerViaNewtonSchulz } from './newton-schulz';
import { muonLrScale, muonMatrixShape, routesToMuon } from './routing';
import { checkMuonParams, type MuonState } from './scale-by-muon';

/**
 * The fused step of {@link muon}: for each matrix with a gradient, the momentum kernel (`muonMomentum`)
 * writes the direction, Newton-Schulz orthogonalises it with tensor ops (the backend's matmul), and the update
 * kernel (`muonUpdate`) applies it with the decoupled decay; each other parameter takes the AdamW fallback
 * in one kernel (`muonAdamwUpdate`). The results are the chain's (`chain(scaleByMuon(), scaleByAuxAdamW())`)
 * bit for bit, on the same state; on the webgpu backend the whole step stays on the GPU.
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(muon)!, // its name, defaults and validate
 *   rule: chain(scaleByMuon(), scaleByAuxAdamW()),
 *   fused: fusedMuon(),
 * });
 * ```
 */
export function fusedMuon(): FusedUpdate {
  const directionOf = scratchArrays();
  // A kept tensor over each direction array (a tidy scope must never release the array it views).
  const views = new WeakMap<Tensor, Tensor>();
  const viewOf = (p: Tensor, shape: number[]): Tensor => {
    const data = directionOf(p);
    let view = views.get(p);
    if (view === undefined || view._array !== data) {
      view = keep(new Tensor(data, p.shape, p.dtype));
      views.set(p, view);
    }
    return view.reshape(shape);
  };
  return (state, ctx) => {
    const [muonState, adamState] = state as [MuonState, AuxAdamWState];
    const hp = ctx.hp;
    checkMuonParams(ctx.params, hp.useMuon);
    const momentum = hp.momentum as number;
    const nesterov = hp.nesterov === true;
    const coefficients = hp.nsCoefficients as readonly number[];
    const steps = hp.nsSteps as number;
    const eps = hp.eps as number;
    const decay = hp.lr * (hp.weightDecay as number);
    const [b1, b2] = hp.adamwBetas as readonly number[];
    const adamwLr = hp.adamwLr as number;
    const adamwDecay = adamwLr * (hp.adamwWeightDecay as number);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      if (!routesToMuon(p, hp)) {
        let m = adamState.expAvg[i];
        let v = adamState.expAvgSq[i];
        if (m === null) m = adamState.expAvg[i] = allocate(p.dtype, p.size);
        if (v === null) v = adamState.expAvgSq[i] = allocate(p.dtype, p.size);
        const t = ++adamState.step[i];
        resolveKernel('muonAdamwUpdate', muonAdamwUpdateKernel)(
          p._array,
          g._array,
          m,
          v,
          adamwLr,
          b1,
          b2,
          hp.adamwEps as number,
          adamwDecay,
          1 - b1 ** t,
          1 - b2 ** t,
        );
        continue;
      }
      let buf = muonState.momentumBuffer[i];
      if (buf === null) buf = muonState.momentumBuffer[i] = allocate(p.dtype, p.size);
      const [batch, rows, cols] = muonMatrixShape(p.shape);
      if (rows * cols === 0) continue;
      resolveKernel('muonMomentum', muonMomentumKernel)(g._array, buf, directionOf(p), momentum, nesterov);
      const step = hp.lr * muonLrScale(rows, cols, hp.adjustLrFn as string | null);
      tidy(() => {
        const ns = (x: Tensor) => zeropowerViaNewtonSchulz(x, coefficients, steps, eps);
        let o: Tensor;
        if (batch === 1) o = ns(viewOf(p, [rows, cols]));
        else {
          const matrices = viewOf(p, [batch, rows, cols]);
          o = stack(Array.from({ length: batch }, (_, k) => ns(matrices.slice([[k, k + 1]]).reshape([rows, cols]))));
        }
        resolveKernel('muonUpdate', muonUpdateKernel)(p._array, o._array, decay, step);
      });
    }
    return true;
  };
}
