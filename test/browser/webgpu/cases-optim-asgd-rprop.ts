import * as gpu from '../../../packages/core/src/backends/webgpu/kernels/optim-asgd-rprop';
import { asgdUpdateKernel, rpropUpdateKernel } from '../../../packages/core/src/kernels/cpu/optim-asgd-rprop';
import { type Arrays, f, type UpdateCase } from './cases-optim';

function asgd(wd: number, maximize: boolean, t0: number, lambd: number, alpha: number): UpdateCase {
  const lr = 0.1;
  // eta and mu of step t, as the fused step computes them at the end of step t - 1 (eta = lr, mu = 1 at first)
  const scalars = (t: number): [number, number] =>
    t === 1 ? [lr, 1] : [lr / (1 + lambd * lr * (t - 1)) ** alpha, 1 / Math.max(1, t - 1 - t0)];
  return {
    label: `asgd wd=${wd} maximize=${maximize} t0=${t0} lambd=${lambd} alpha=${alpha}`,
    state: ['ax'],
    cpu: (a, t) => asgdUpdateKernel(a.p, a.g, a.ax, ...scalars(t), lambd, wd, maximize),
    gpu: (a, t) => gpu.asgdUpdateWebGpu(a.p, a.g, a.ax, ...scalars(t), lambd, wd, maximize),
    emulate: (a: Arrays, t) => {
      const [eta, mu] = scalars(t);
      const sign = maximize ? -1 : 1;
      const [fwd, nle, feta, fmu] = [f(wd), f(-(lambd * eta)), f(eta), f(mu)];
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        let g = f(sign * a.g[j]);
        if (wd !== 0) g = f(g + f(fwd * pj));
        const next = f(pj + f(f(nle * pj) - f(feta * g)));
        a.p[j] = next;
        a.ax[j] = mu !== 1 ? f(a.ax[j] + f(fmu * f(next - a.ax[j]))) : next;
      }
    },
  };
}

function rprop(maximize: boolean, etas: [number, number], stepSizes: [number, number]): UpdateCase {
  const lr = 0.1;
  const scalars = (t: number) => [t === 1, lr, etas[0], etas[1], stepSizes[0], stepSizes[1], maximize] as const;
  return {
    label: `rprop maximize=${maximize} etas=[${etas}] stepSizes=[${stepSizes}]`,
    state: ['prev', 'stepSize'],
    cpu: (a, t) => rpropUpdateKernel(a.p, a.g, a.prev, a.stepSize, ...scalars(t)),
    gpu: (a, t) => gpu.rpropUpdateWebGpu(a.p, a.g, a.prev, a.stepSize, ...scalars(t)),
    emulate: (a: Arrays, t) => {
      const sign = maximize ? -1 : 1;
      const [flr, fminus, fplus, lo, hi] = [lr, etas[0], etas[1], stepSizes[0], stepSizes[1]].map(f);
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        let g = f(sign * a.g[j]);
        const s = Math.sign(g) * Math.sign(a.prev[j]);
        const factor = s > 0 ? fplus : s < 0 ? fminus : 1;
        const size = Math.min(Math.max(f((t === 1 ? flr : a.stepSize[j]) * factor), lo), hi);
        a.stepSize[j] = size;
        if (s < 0) g = 0;
        a.prev[j] = g;
        a.p[j] = f(pj - f(Math.sign(g) * size));
      }
    },
  };
}

/** The kernel cases of ASGD and Rprop's fused steps (see cases-optim.ts). */
export function asgdRpropCases(): UpdateCase[] {
  return [
    asgd(0, false, 1e6, 1e-4, 0.75),
    asgd(0.3, true, 1, 0.3, 0.75),
    asgd(0.3, false, 2, 0.5, 1.5),
    rprop(false, [0.5, 1.2], [1e-6, 50]),
    rprop(true, [0.5, 1.2], [1e-6, 50]),
    rprop(false, [0.3, 1.7], [0.05, 0.15]),
  ];
}
