import * as gpu from '../../../packages/core/src/backends/webgpu/kernels/optim-muon';
import {
  muonAdamwUpdateKernel,
  muonMomentumKernel,
  muonUpdateKernel,
} from '../../../packages/core/src/kernels/cpu/optim-muon';
import { f, type UpdateCase } from './cases-optim';

/** PyTorch's lerp in float32, as the WGSL evaluates it: `w` and `rest = 1 - w` rounded once. */
function lerp32(start: number, end: number, w: number, rest: number): number {
  return Math.abs(w) < 0.5 ? f(start + f(w * f(end - start))) : f(end - f(f(end - start) * rest));
}

function momentum(mu: number, nesterov: boolean): UpdateCase {
  return {
    label: `muonMomentum mu=${mu} nesterov=${nesterov}`,
    state: ['buf', 'dir'],
    cpu: (a) => muonMomentumKernel(a.g, a.buf, a.dir, mu, nesterov),
    gpu: (a) => gpu.muonMomentumWebGpu(a.g, a.buf, a.dir, mu, nesterov),
    emulate: (a) => {
      const keep = 1 - mu;
      for (let j = 0; j < a.g.length; j++) {
        const g = a.g[j];
        const b = lerp32(a.buf[j], g, f(keep), f(1 - keep));
        a.buf[j] = b;
        a.dir[j] = nesterov ? lerp32(g, b, f(mu), f(1 - mu)) : b;
      }
    },
  };
}

function update(decay: number, step: number): UpdateCase {
  return {
    label: `muonUpdate decay=${decay} step=${step}`,
    state: [],
    cpu: (a) => muonUpdateKernel(a.p, a.g, decay, step),
    gpu: (a) => gpu.muonUpdateWebGpu(a.p, a.g, decay, step),
    emulate: (a) => {
      const [nd, ns] = [f(-decay), f(-step)];
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        const u = decay !== 0 ? f(f(nd * pj) + f(ns * a.g[j])) : f(ns * a.g[j]);
        a.p[j] = f(pj + u);
      }
    },
  };
}

function adamw(decay: number): UpdateCase {
  const [lr, b1, b2, eps] = [0.1, 0.8, 0.9, 0.1];
  const scalars = (t: number) => [lr, b1, b2, eps, decay, 1 - b1 ** t, 1 - b2 ** t] as const;
  return {
    label: `muonAdamwUpdate decay=${decay}`,
    state: ['m', 'v'],
    cpu: (a, t) => muonAdamwUpdateKernel(a.p, a.g, a.m, a.v, ...scalars(t)),
    gpu: (a, t) => gpu.muonAdamwUpdateWebGpu(a.p, a.g, a.m, a.v, ...scalars(t)),
    emulate: (a, t) => {
      const [c1, c2] = [1 - b1, 1 - b2];
      const [bc1, bc2, feps, nlr, nd] = [f(1 - b1 ** t), f(1 - b2 ** t), f(eps), f(-lr), f(-decay)];
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        const g = a.g[j];
        const m = lerp32(a.m[j], g, f(c1), f(1 - c1));
        a.m[j] = m;
        const v = lerp32(a.v[j], f(g * g), f(c2), f(1 - c2));
        a.v[j] = v;
        const d = f(f(m / bc1) / f(f(Math.sqrt(f(v / bc2))) + feps));
        const u = decay !== 0 ? f(f(nd * pj) + f(nlr * d)) : f(nlr * d);
        a.p[j] = f(pj + u);
      }
    },
  };
}

/** The kernel cases of Muon's fused step (see cases-optim.ts). */
export function muonCases(): UpdateCase[] {
  return [momentum(0.95, true), momentum(0.3, false), update(0, 0.02), update(0.03, 0.2), adamw(0), adamw(0.03)];
}
