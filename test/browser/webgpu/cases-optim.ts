// The fused optimizer updates over 5 steps, every flag combination that changes the formula. Against
// (1) an emulation of the WGSL formulas in JavaScript with Math.fround after every operation: exact,
// since SwiftShader's float32 +, -, *, / and sqrt are correctly rounded and it does not contract into
// fma (a GPU that contracts or approximates division would differ by an ulp here and there); and (2) the
// cpu kernels, which compute in doubles and round once per stored value: 1e-5 relative to max(1, |ref|).
// Large hyperparameters (eps 0.1, weight decay 0.3) make every term of every formula count.
import * as classic from '../../../packages/core/src/backends/webgpu/kernels/optim';
import * as modern from '../../../packages/core/src/backends/webgpu/kernels/optim-modern';
import * as reduced from '../../../packages/core/src/backends/webgpu/kernels/optim-reduced';
import {
  adagradUpdateKernel,
  adamUpdateKernel,
  rmspropUpdateKernel,
  sgdUpdateKernel,
} from '../../../packages/core/src/kernels/cpu/optim';
import {
  adanUpdateKernel,
  ademamixUpdateKernel,
  cautiousAdamwUpdateKernel,
  lambUpdateKernel,
  lionUpdateKernel,
  scheduleFreeUpdateKernel,
} from '../../../packages/core/src/kernels/cpu/optim-modern';
import { adamaxNadamCases } from './cases-optim-adamax-nadam';
import { asgdRpropCases } from './cases-optim-asgd-rprop';
import { muonCases } from './cases-optim-muon';
import { radamAdadeltaCases } from './cases-optim-radam-adadelta';
import type { Checker } from './checker';

const gpu = { ...classic, ...modern, ...reduced };

export const f = Math.fround;
export type Arrays = Record<string, Float32Array>;

/** One fused update checked over 5 steps (see runOptimCases). */
export interface UpdateCase {
  label: string;
  state: string[];
  /** run the cpu kernel (in place on typed arrays) or the GPU one (on GPU arrays of the same names) */
  cpu: (a: Arrays, t: number) => void;
  gpu: (a: Record<string, ReturnType<Checker['upload']>>, t: number) => void;
  /** The float32 emulation to match bit for bit; absent where the GPU reduces in another order (LAMB, cautious). */
  emulate?: (a: Arrays, t: number) => void;
  /** State arrays that start as a copy of the parameter (Schedule-Free's z); the others start at zero. */
  fromParam?: string[];
}

function adam(amsgrad: boolean, wd: number, decoupled: boolean, maximize: boolean): UpdateCase {
  const [lr, b1, b2, eps] = [0.1, 0.8, 0.9, 0.1];
  return {
    label: `adam amsgrad=${amsgrad} wd=${wd} decoupled=${decoupled} maximize=${maximize}`,
    state: amsgrad ? ['m', 'v', 'vmax'] : ['m', 'v'],
    cpu: (a, t) => adamUpdateKernel(a.p, a.g, a.m, a.v, a.vmax ?? null, t, lr, b1, b2, eps, wd, decoupled, maximize),
    gpu: (a, t) =>
      gpu.adamUpdateWebGpu(a.p, a.g, a.m, a.v, a.vmax ?? null, t, lr, b1, b2, eps, wd, decoupled, maximize),
    emulate: (a, t) => {
      const sign = maximize ? -1 : 1;
      const [fwd, fb1, fc1, fb2, fc2] = [f(wd), f(b1), f(1 - b1), f(b2), f(1 - b2)];
      const [ib1, ib2, feps, nlr] = [f(1 / (1 - b1 ** t)), f(1 / Math.sqrt(1 - b2 ** t)), f(eps), f(-lr)];
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        let g = f(sign * a.g[j]);
        if (wd !== 0 && !decoupled) g = f(g + f(fwd * pj));
        const mj = f(f(fb1 * a.m[j]) + f(fc1 * g));
        let vj = f(f(fb2 * a.v[j]) + f(f(fc2 * g) * g));
        a.m[j] = mj;
        a.v[j] = vj;
        if (a.vmax) {
          vj = Math.max(a.vmax[j], vj);
          a.vmax[j] = vj;
        }
        let u = f(f(mj * ib1) / f(f(f(Math.sqrt(vj)) * ib2) + feps));
        if (wd !== 0 && decoupled) u = f(u + f(fwd * pj));
        a.p[j] = f(pj + f(u * nlr));
      }
    },
  };
}

function sgd(momentum: number, dampening: number, wd: number, nesterov: boolean, maximize: boolean): UpdateCase {
  const lr = 0.1;
  return {
    label: `sgd momentum=${momentum} dampening=${dampening} wd=${wd} nesterov=${nesterov} maximize=${maximize}`,
    state: momentum > 0 ? ['buf'] : [],
    cpu: (a, t) => sgdUpdateKernel(a.p, a.g, a.buf ?? null, t === 1, lr, momentum, dampening, wd, nesterov, maximize),
    gpu: (a, t) =>
      gpu.sgdUpdateWebGpu(a.p, a.g, a.buf ?? null, t === 1, lr, momentum, dampening, wd, nesterov, maximize),
    emulate: (a, t) => {
      const sign = maximize ? -1 : 1;
      const [fwd, fm, keep, nlr] = [f(wd), f(momentum), f(1 - dampening), f(-lr)];
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        let g = f(sign * a.g[j]);
        if (wd !== 0) g = f(g + f(fwd * pj));
        let d = g;
        if (a.buf) {
          const b = t === 1 ? g : f(f(fm * a.buf[j]) + f(keep * g));
          a.buf[j] = b;
          d = nesterov ? f(g + f(fm * b)) : b;
        }
        a.p[j] = f(pj + f(d * nlr));
      }
    },
  };
}

function rmsprop(centered: boolean, momentum: number, wd: number, maximize: boolean): UpdateCase {
  const [lr, alpha, eps] = [0.01, 0.9, 0.1];
  const state = ['sq', ...(centered ? ['ga'] : []), ...(momentum > 0 ? ['buf'] : [])];
  return {
    label: `rmsprop centered=${centered} momentum=${momentum} wd=${wd} maximize=${maximize}`,
    state,
    cpu: (a) =>
      rmspropUpdateKernel(a.p, a.g, a.sq, a.ga ?? null, a.buf ?? null, lr, alpha, eps, wd, momentum, maximize),
    gpu: (a) =>
      gpu.rmspropUpdateWebGpu(a.p, a.g, a.sq, a.ga ?? null, a.buf ?? null, lr, alpha, eps, wd, momentum, maximize),
    emulate: (a) => {
      const sign = maximize ? -1 : 1;
      const [fwd, fa, decay, feps, fm, nlr] = [f(wd), f(alpha), f(1 - alpha), f(eps), f(momentum), f(-lr)];
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        let g = f(sign * a.g[j]);
        if (wd !== 0) g = f(g + f(fwd * pj));
        const s = f(f(fa * a.sq[j]) + f(f(decay * g) * g));
        a.sq[j] = s;
        let root = f(Math.sqrt(s));
        if (a.ga) {
          const avg = f(f(fa * a.ga[j]) + f(decay * g));
          a.ga[j] = avg;
          root = f(Math.sqrt(f(s - f(avg * avg))));
        }
        let d = f(g / f(root + feps));
        if (a.buf) {
          d = f(f(fm * a.buf[j]) + d);
          a.buf[j] = d;
        }
        a.p[j] = f(pj + f(d * nlr));
      }
    },
  };
}

function adagrad(lrDecay: number, wd: number, maximize: boolean): UpdateCase {
  const [lr, eps] = [0.1, 0.1];
  return {
    label: `adagrad lrDecay=${lrDecay} wd=${wd} maximize=${maximize}`,
    state: ['sum'],
    cpu: (a, t) => adagradUpdateKernel(a.p, a.g, a.sum, t, lr, lrDecay, eps, wd, maximize),
    gpu: (a, t) => gpu.adagradUpdateWebGpu(a.p, a.g, a.sum, t, lr, lrDecay, eps, wd, maximize),
    emulate: (a, t) => {
      const sign = maximize ? -1 : 1;
      const [fwd, clr, feps, nlr] = [f(wd), f(1 / (1 + (t - 1) * lrDecay)), f(eps), f(-lr)];
      for (let j = 0; j < a.p.length; j++) {
        const pj = a.p[j];
        let g = f(sign * a.g[j]);
        if (wd !== 0) g = f(g + f(fwd * pj));
        const s = f(a.sum[j] + f(g * g));
        a.sum[j] = s;
        a.p[j] = f(pj + f(f(f(clr * g) / f(f(Math.sqrt(s)) + feps)) * nlr));
      }
    },
  };
}

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

export async function runOptimCases(c: Checker): Promise<void> {
  const cases: UpdateCase[] = [
    adam(false, 0, false, false),
    adam(true, 0.3, false, false),
    adam(false, 0.3, true, true),
    adam(true, 0.3, true, false),
    sgd(0, 0, 0, false, false),
    sgd(0, 0, 0.3, false, true),
    sgd(0.9, 0, 0, false, false),
    sgd(0.9, 0.2, 0.3, true, false),
    rmsprop(false, 0, 0, false),
    rmsprop(true, 0, 0.3, false),
    rmsprop(false, 0.5, 0, true),
    rmsprop(true, 0.5, 0.3, false),
    adagrad(0, 0, false),
    adagrad(0.1, 0.3, true),
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
    ...adamaxNadamCases(),
    ...radamAdadeltaCases(),
    ...asgdRpropCases(),
    ...muonCases(),
  ];
  const n = 1031;
  for (const u of cases) {
    const p0 = c.rng.floats(n, -2, 2);
    const names = ['p', ...u.state];
    const cpu: Arrays = { p: Float32Array.from(p0) };
    const emu: Arrays = { p: Float32Array.from(p0) };
    const dev: Record<string, ReturnType<Checker['upload']>> = { p: c.upload(p0) };
    for (const s of u.state) {
      if (u.fromParam?.includes(s)) {
        cpu[s] = Float32Array.from(p0);
        emu[s] = Float32Array.from(p0);
        dev[s] = c.upload(p0);
        continue;
      }
      cpu[s] = new Float32Array(n);
      emu[s] = new Float32Array(n);
      dev[s] = c.array(n, 'float32', true);
    }
    for (let t = 1; t <= 5; t++) {
      const g = c.rng.floats(n, -3, 3);
      cpu.g = g;
      emu.g = g;
      dev.g = c.upload(g);
      u.cpu(cpu, t);
      u.emulate?.(emu, t);
      u.gpu(dev, t);
    }
    const outs = names.map((k) => dev[k]);
    if (u.emulate !== undefined)
      await c.compare(
        `${u.label}: float32 emulation, 5 steps`,
        outs,
        names.map((k) => emu[k]),
        { exact: true, keep: true },
      );
    await c.compare(
      `${u.label}: cpu kernel, 5 steps`,
      outs,
      names.map((k) => cpu[k]),
      { tolerance: 1e-5 },
    );
  }
}
