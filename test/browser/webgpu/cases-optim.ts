// The fused optimizer updates over 5 steps, every flag combination that changes the formula. Against
// (1) an emulation of the WGSL formulas in JavaScript with Math.fround after every operation: exact,
// since SwiftShader's float32 +, -, *, / and sqrt are correctly rounded and it does not contract into
// fma (a GPU that contracts or approximates division would differ by an ulp here and there); and (2) the
// cpu kernels, which compute in doubles and round once per stored value: 1e-5 relative to max(1, |ref|).
// Large hyperparameters (eps 0.1, weight decay 0.3) make every term of every formula count.
import * as classic from '../../../packages/core/src/backends/webgpu/kernels/optim';
import {
  adagradUpdateKernel,
  adamUpdateKernel,
  rmspropUpdateKernel,
  sgdUpdateKernel,
} from '../../../packages/core/src/kernels/cpu/optim';
import { adamaxNadamCases } from './cases-optim-adamax-nadam';
import { asgdRpropCases } from './cases-optim-asgd-rprop';
import { modernCases } from './cases-optim-modern';
import { muonCases } from './cases-optim-muon';
import { runLookaheadCases, runProdigyCases, runSoapCases } from './cases-optim-prodigy-soap';
import { radamAdadeltaCases } from './cases-optim-radam-adadelta';
import type { Checker } from './checker';

const gpu = classic;

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
    ...modernCases(),
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
  await runProdigyCases(c);
  await runSoapCases(c);
  await runLookaheadCases(c);
}
