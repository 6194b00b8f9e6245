import * as gpu from '../../../packages/core/src/backends/webgpu/kernels/optim-adamax-nadam';
import { adamaxUpdateKernel, nadamUpdateKernel } from '../../../packages/core/src/kernels/cpu/optim-adamax-nadam';
import { f, type UpdateCase } from './cases-optim';

function adamax(wd: number, maximize: boolean): UpdateCase {
  const [lr, b1, b2, eps] = [0.1, 0.8, 0.9, 0.1];
  return {
    label: `adamax wd=${wd} maximize=${maximize}`,
    state: ['m', 'u'],
    cpu: (a, t) => adamaxUpdateKernel(a.p, a.g, a.m, a.u, t, lr, b1, b2, eps, wd, maximize),
    gpu: (a, t) => gpu.adamaxUpdateWebGpu(a.p, a.g, a.m, a.u, t, lr, b1, b2, eps, wd, maximize),
    emulate: (a, t) => {
      const sign = maximize ? -1 : 1;
      const [fwd, fb1, fc1, fb2, feps, bc1, nlr] = [wd, b1, 1 - b1, b2, eps, 1 - b1 ** t, -lr].map(f);
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        let g = f(sign * a.g[j]);
        if (wd !== 0) g = f(g + f(fwd * pj));
        const mj = f(f(fb1 * a.m[j]) + f(fc1 * g));
        a.m[j] = mj;
        const uj = Math.max(f(fb2 * a.u[j]), f(Math.abs(g) + feps));
        a.u[j] = uj;
        const d = f(f(mj / uj) / bc1);
        a.p[j] = f(pj + f(d * nlr));
      }
    },
  };
}

function nadam(wd: number, momentumDecay: number): UpdateCase {
  const [lr, b1, b2, eps] = [0.1, 0.8, 0.9, 0.1];
  // the step's scalars as fusedNadam computes them, the momentum product kept per case
  let muProduct = 1;
  const scalarsAt: number[][] = [];
  const scalars = (t: number): [number, number, number] => {
    while (scalarsAt.length < t) {
      const k = scalarsAt.length + 1;
      const mu = b1 * (1 - 0.5 * 0.96 ** (k * momentumDecay));
      const muNext = b1 * (1 - 0.5 * 0.96 ** ((k + 1) * momentumDecay));
      muProduct *= mu;
      scalarsAt.push([(1 - mu) / (1 - muProduct), muNext / (1 - muProduct * muNext), Math.sqrt(1 - b2 ** k)]);
    }
    const [gradScale, momentumScale, bc2Sqrt] = scalarsAt[t - 1];
    return [gradScale, momentumScale, bc2Sqrt];
  };
  return {
    label: `nadam wd=${wd} momentumDecay=${momentumDecay}`,
    state: ['m', 'v'],
    cpu: (a, t) => nadamUpdateKernel(a.p, a.g, a.m, a.v, b1, b2, ...scalars(t), eps, wd, lr),
    gpu: (a, t) => gpu.nadamUpdateWebGpu(a.p, a.g, a.m, a.v, b1, b2, ...scalars(t), eps, wd, lr),
    emulate: (a, t) => {
      const [fwd, fb1, fc1, fb2, fc2, feps, nlr] = [wd, b1, 1 - b1, b2, 1 - b2, eps, -lr].map(f);
      const [gs, ms, bc2] = scalars(t).map(f);
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        let g = a.g[j];
        if (wd !== 0) g = f(g + f(fwd * pj));
        const mj = f(f(fb1 * a.m[j]) + f(fc1 * g));
        a.m[j] = mj;
        const vj = f(f(fb2 * a.v[j]) + f(f(fc2 * g) * g));
        a.v[j] = vj;
        const d = f(f(f(Math.sqrt(vj)) / bc2) + feps);
        const upd = f(f(f(gs * g) / d) + f(f(ms * mj) / d));
        a.p[j] = f(pj + f(upd * nlr));
      }
    },
  };
}

/** The kernel cases of Adamax and NAdam's fused steps (see cases-optim.ts). */
export function adamaxNadamCases(): UpdateCase[] {
  return [adamax(0, false), adamax(0.3, true), nadam(0, 4e-3), nadam(0.3, 0.5)];
}
