import * as gpu from '../../../packages/core/src/backends/webgpu/kernels/optim-radam-adadelta';
import { adadeltaUpdateKernel, radamUpdateKernel } from '../../../packages/core/src/kernels/cpu/optim-radam-adadelta';
import { f, type UpdateCase } from './cases-optim';

/**
 * RAdam over steps `first`..`first + 4` (the case's 5 steps shifted): ρ_t passes 5 at step 6 for β₂ = 0.9
 * (ρ_∞ = 19) and for β₂ = 0.99 (ρ_∞ = 199), so a case can take momentum steps, rectified steps or both.
 */
function radam(first: number, b2: number, wd: number): UpdateCase {
  const [lr, b1, eps] = [0.1, 0.8, 0.1];
  const stepOf = (t: number) => first - 1 + t;
  // The step's rectification, from the formula (independently of the kernels' code).
  const rectification = (step: number): number | null => {
    const bc2 = 1 - b2 ** step;
    const rhoInf = 2 / (1 - b2) - 1;
    const rhoT = rhoInf - (2 * step * b2 ** step) / bc2;
    if (!(rhoT > 5)) return null;
    return Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) * Math.sqrt(bc2);
  };
  return {
    label: `radam steps ${first}-${first + 4} b2=${b2} wd=${wd}`,
    state: ['m', 'v'],
    cpu: (a, t) => radamUpdateKernel(a.p, a.g, a.m, a.v, stepOf(t), lr, b1, b2, eps, wd),
    gpu: (a, t) => gpu.radamUpdateWebGpu(a.p, a.g, a.m, a.v, stepOf(t), lr, b1, b2, eps, wd),
    emulate: (a, t) => {
      const step = stepOf(t);
      const rect = rectification(step);
      const [fwd, fb1, fc1, fb2, fc2, bc1] = [wd, b1, 1 - b1, b2, 1 - b2, 1 - b1 ** step].map(f);
      const [scale, feps, nlr] = [f(rect ?? 1), f(eps), f(-lr)];
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        let g = a.g[j];
        if (wd !== 0) g = f(g + f(fwd * pj));
        const mj = f(f(fb1 * a.m[j]) + f(fc1 * g));
        const vj = f(f(fb2 * a.v[j]) + f(f(fc2 * g) * g));
        a.m[j] = mj;
        a.v[j] = vj;
        let u = f(mj / bc1);
        if (rect !== null) u = f(f(u * scale) / f(f(Math.sqrt(vj)) + feps));
        a.p[j] = f(pj + f(u * nlr));
      }
    },
  };
}

function adadelta(rho: number, eps: number, wd: number, maximize: boolean): UpdateCase {
  const lr = 0.5;
  return {
    label: `adadelta rho=${rho} eps=${eps} wd=${wd} maximize=${maximize}`,
    state: ['sq', 'acc'],
    cpu: (a) => adadeltaUpdateKernel(a.p, a.g, a.sq, a.acc, lr, rho, eps, wd, maximize),
    gpu: (a) => gpu.adadeltaUpdateWebGpu(a.p, a.g, a.sq, a.acc, lr, rho, eps, wd, maximize),
    emulate: (a) => {
      const sign = maximize ? -1 : 1;
      const [fwd, frho, fc, feps, nlr] = [wd, rho, 1 - rho, eps, -lr].map(f);
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        let g = f(sign * a.g[j]);
        if (wd !== 0) g = f(g + f(fwd * pj));
        const vj = f(f(frho * a.sq[j]) + f(f(fc * g) * g));
        a.sq[j] = vj;
        const aj = a.acc[j];
        const d = f(f(f(Math.sqrt(f(aj + feps))) / f(Math.sqrt(f(vj + feps)))) * g);
        a.acc[j] = f(f(frho * aj) + f(f(fc * d) * d));
        a.p[j] = f(pj + f(d * nlr));
      }
    },
  };
}

/** The kernel cases of RAdam and Adadelta's fused steps (see cases-optim.ts). */
export function radamAdadeltaCases(): UpdateCase[] {
  return [
    radam(1, 0.9, 0), // momentum steps only
    radam(4, 0.9, 0.3), // steps 4-5 momentum, 6-8 rectified
    radam(6, 0.99, 0.3), // rectified only
    adadelta(0.9, 0.1, 0, false),
    adadelta(0.5, 0.1, 0.3, true),
    adadelta(0.9, 1e-6, 0.3, false),
  ];
}
