// The kernel cases of the modern optimizers' fused steps (Lion, AdEMAMix, Schedule-Free, Adan, LAMB, cautious
// AdamW), checked as cases-optim.ts says. LAMB's and cautious AdamW's have no emulation: they reduce on the GPU.
import * as modern from '../../../packages/core/src/backends/webgpu/kernels/optim-modern';
import * as reduced from '../../../packages/core/src/backends/webgpu/kernels/optim-reduced';
import {
  adanUpdateKernel,
  ademamixUpdateKernel,
  cautiousAdamwUpdateKernel,
  lambUpdateKernel,
  lionUpdateKernel,
  scheduleFreeUpdateKernel,
} from '../../../packages/core/src/kernels/cpu/optim-modern';
import { f, type UpdateCase } from './cases-optim';

const gpu = { ...modern, ...reduced };

function lion(wd: number, maximize: boolean): UpdateCase {
  const [lr, b1, b2] = [0.1, 0.8, 0.9];
  return {
    label: `lion wd=${wd} maximize=${maximize}`,
    state: ['m'],
    cpu: (a) => lionUpdateKernel(a.p, a.g, a.m, lr, b1, b2, wd, maximize),
    gpu: (a) => gpu.lionUpdateWebGpu(a.p, a.g, a.m, lr, b1, b2, wd, maximize),
    emulate: (a) => {
      const sign = maximize ? -1 : 1;
      const [fwd, fb1, fc1, fb2, fc2, nlr] = [f(wd), f(b1), f(1 - b1), f(b2), f(1 - b2), f(-lr)];
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        const g = f(sign * a.g[j]);
        let u = Math.sign(f(f(fb1 * a.m[j]) + f(fc1 * g)));
        a.m[j] = f(f(fb2 * a.m[j]) + f(fc2 * g));
        if (wd !== 0) u = f(u + f(fwd * pj));
        a.p[j] = f(pj + f(u * nlr));
      }
    },
  };
}

function ademamix(fast: boolean, wd: number): UpdateCase {
  const [lr, b1, b2, b3, alpha, eps] = [0.1, 0.8, 0.9, 0.95, 5, 0.1];
  const corrections = (t: number): [number, number] => [1 - b1 ** t, Math.sqrt(1 - b2 ** t)];
  return {
    label: `ademamix fast=${fast} wd=${wd}`,
    state: fast ? ['m1', 'm2', 'nu'] : ['m2', 'nu'],
    cpu: (a, t) =>
      ademamixUpdateKernel(a.p, a.g, a.m1 ?? null, a.m2, a.nu, b1, b2, b3, alpha, ...corrections(t), eps, lr, wd),
    gpu: (a, t) =>
      gpu.ademamixUpdateWebGpu(a.p, a.g, a.m1 ?? null, a.m2, a.nu, b1, b2, b3, alpha, ...corrections(t), eps, lr, wd),
    emulate: (a, t) => {
      const [bc1, bc2] = corrections(t).map(f);
      const [fwd, fb1, fc1, fb2, fc2, fb3, fc3] = [wd, b1, 1 - b1, b2, 1 - b2, b3, 1 - b3].map(f);
      const [fa, feps, nlr] = [f(alpha), f(eps), f(-lr)];
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        const g = a.g[j];
        let fastTerm = g;
        if (fast) {
          fastTerm = f(f(fb1 * a.m1[j]) + f(fc1 * g));
          a.m1[j] = fastTerm;
        }
        const m2 = f(f(fb3 * a.m2[j]) + f(fc3 * g));
        a.m2[j] = m2;
        const nu = f(f(fb2 * a.nu[j]) + f(f(fc2 * g) * g));
        a.nu[j] = nu;
        let u = f(f(f(fastTerm / bc1) + f(fa * m2)) / f(f(f(Math.sqrt(nu)) / bc2) + feps));
        if (wd !== 0) u = f(u + f(fwd * pj));
        a.p[j] = f(pj + f(u * nlr));
      }
    },
  };
}

function scheduleFree(adam: boolean, inner: boolean, wd: number, c: number): UpdateCase {
  const [lr, beta, b2, eps, mu] = [0.1, 0.9, 0.9, 0.1, 0.8];
  const coef = lr * (beta * (1 - c) - 1);
  const corrections = (t: number): [number, number] => [1 - b2 ** t, inner ? 1 - mu ** t : 1];
  const scalars = (t: number) => [lr, c, coef, wd, b2, corrections(t)[0], eps, mu, corrections(t)[1]] as const;
  return {
    label: `scheduleFree adam=${adam} inner=${inner} wd=${wd} c=${c}`,
    state: adam ? (inner ? ['z', 'v', 'm'] : ['z', 'v']) : ['z'],
    fromParam: ['z'],
    cpu: (a, t) => scheduleFreeUpdateKernel(a.p, a.g, a.z, a.v ?? null, a.m ?? null, ...scalars(t)),
    gpu: (a, t) => gpu.scheduleFreeUpdateWebGpu(a.p, a.g, a.z, a.v ?? null, a.m ?? null, ...scalars(t)),
    emulate: (a, t) => {
      const [bc2, bc1] = corrections(t).map(f);
      const [flr, fc, fcc, fcoef, fwd, fb2, fc2, feps, fmu, fcm] = [
        lr,
        c,
        1 - c,
        coef,
        wd,
        b2,
        1 - b2,
        eps,
        mu,
        1 - mu,
      ].map(f);
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        const g = a.g[j];
        let d = g;
        if (adam) {
          const vj = f(f(fb2 * a.v[j]) + f(f(fc2 * g) * g));
          a.v[j] = vj;
          const denom = f(f(Math.sqrt(f(vj / bc2))) + feps);
          if (inner) {
            const mj = f(f(fmu * a.m[j]) + f(fcm * g));
            a.m[j] = mj;
            d = f(f(mj / bc1) / denom);
          } else d = f(g / denom);
        }
        if (wd !== 0) d = f(d + f(fwd * pj));
        const zj = a.z[j];
        let next = fc < 0.5 ? f(pj + f(fc * f(zj - pj))) : f(zj - f(f(zj - pj) * fcc));
        next = f(next + f(fcoef * d));
        a.z[j] = f(zj - f(flr * d));
        a.p[j] = next; // the kernel writes y directly (see scheduleFreeUpdateWebGpu)
      }
    },
  };
}

function adan(wd: number, prox: boolean): UpdateCase {
  const [lr, b1, b2, b3, eps] = [0.1, 0.8, 0.7, 0.9, 0.1];
  const shrink = wd !== 0 && prox ? 1 / (1 + lr * wd) : 1;
  const scalars = (t: number) =>
    [b1, b2, b3, 1 / (1 - b1 ** t), b2 / (1 - b2 ** t), Math.sqrt(1 - b3 ** t), eps, wd, shrink, lr] as const;
  return {
    label: `adan wd=${wd} prox=${prox}`,
    state: ['m', 'v', 'n', 'prev'],
    cpu: (a, t) => adanUpdateKernel(a.p, a.g, a.m, a.v, a.n, a.prev, ...scalars(t)),
    gpu: (a, t) => gpu.adanUpdateWebGpu(a.p, a.g, a.m, a.v, a.n, a.prev, ...scalars(t)),
    emulate: (a, t) => {
      const [fb1, fc1, fb2, fc2, fb3, fc3] = [b1, 1 - b1, b2, 1 - b2, b3, 1 - b3].map(f);
      const [ib1, ds, bc3] = scalars(t).slice(3, 6).map(f);
      const [feps, fwd, fshrink, nlr] = [eps, wd, shrink, -lr].map(f);
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        const g = a.g[j];
        const d = f(g - a.prev[j]);
        const mj = f(f(fb1 * a.m[j]) + f(fc1 * g));
        a.m[j] = mj;
        const vj = f(f(fb2 * a.v[j]) + f(fc2 * d));
        a.v[j] = vj;
        const nesterov = f(f(d * fb2) + g);
        const nj = f(f(fb3 * a.n[j]) + f(f(fc3 * nesterov) * nesterov));
        a.n[j] = nj;
        const denom = f(f(f(Math.sqrt(nj)) / bc3) + feps);
        let u = f(f(f(mj / denom) * ib1) + f(f(vj / denom) * ds));
        a.prev[j] = g;
        if (wd !== 0) {
          u = f(u + f(fwd * pj));
          if (shrink !== 1) u = f(u * fshrink);
        }
        a.p[j] = f(pj + f(u * nlr));
      }
    },
  };
}

function lamb(wd: number, clip: boolean, corrected: boolean): UpdateCase {
  const [lr, b1, b2, eps] = [0.1, 0.8, 0.9, 0.1];
  const scalars = (t: number) =>
    [b1, b2, corrected ? 1 / (1 - b1 ** t) : 1, corrected ? 1 / Math.sqrt(1 - b2 ** t) : 1, eps, wd, clip, lr] as const;
  return {
    label: `lamb wd=${wd} clip=${clip} corrected=${corrected}`,
    state: ['m', 'v', 'u'],
    cpu: (a, t) => lambUpdateKernel(a.p, a.g, a.m, a.v, a.u, ...scalars(t)),
    gpu: (a, t) => gpu.lambUpdateWebGpu(a.p, a.g, a.m, a.v, a.u, ...scalars(t)),
  };
}

function cautious(wd: number, corrected: boolean): UpdateCase {
  const [lr, b1, b2, eps] = [0.1, 0.8, 0.9, 0.1];
  const scalars = (t: number) => [b1, b2, corrected ? Math.sqrt(1 - b2 ** t) / (1 - b1 ** t) : 1, eps, wd, lr] as const;
  return {
    label: `cautiousAdamw wd=${wd} corrected=${corrected}`,
    state: ['m', 'v', 'u'],
    cpu: (a, t) => cautiousAdamwUpdateKernel(a.p, a.g, a.m, a.v, a.u, ...scalars(t)),
    gpu: (a, t) => gpu.cautiousAdamwUpdateWebGpu(a.p, a.g, a.m, a.v, a.u, ...scalars(t)),
  };
}

/** The kernel cases of the modern optimizers' fused steps (see cases-optim.ts). */
export function modernCases(): UpdateCase[] {
  return [
    lion(0, false),
    lion(0.3, true),
    ademamix(true, 0),
    ademamix(false, 0.3),
    scheduleFree(false, false, 0, 0.3),
    scheduleFree(false, false, 0.3, 0.7),
    scheduleFree(true, false, 0.3, 0.2),
    scheduleFree(true, true, 0, 1),
    adan(0, true),
    adan(0.3, true),
    adan(0.3, false),
    lamb(0, false, true),
    lamb(0.3, true, true),
    lamb(0.3, false, false),
    cautious(0, true),
    cautious(0.3, false),
  ];
}
