// The kernel cases of SOAP's elementwise kernels (float32 on the GPU where the cpu rounds doubles once: within
// 1e-6 of max(1, |cpu|)), and of Prodigy's step on the GPU: begin, each parameter's share (moments, s, the sums of the
// estimate, reduced on the GPU), the update of d, and each parameter's move, for 5 steps over two parameters
// of ragged sizes, against the cpu kernels. No emulation bit for bit: the GPU sums a parameter's terms as a
// tree, the cpu kernel in order, so d and everything after it agree within float32 rounding.

import * as lookaheadGpu from '../../../packages/core/src/backends/webgpu/kernels/optim-lookahead';
import * as gpu from '../../../packages/core/src/backends/webgpu/kernels/optim-prodigy';
import * as soapGpu from '../../../packages/core/src/backends/webgpu/kernels/optim-soap';
import { lookaheadSyncKernel } from '../../../packages/core/src/kernels/cpu/optim-lookahead';
import {
  PRODIGY_STATS,
  prodigyAccumulateKernel,
  prodigyBeginKernel,
  prodigyStepKernel,
  prodigyUpdateDKernel,
} from '../../../packages/core/src/kernels/cpu/optim-prodigy';
import { soapAdamKernel, soapApplyKernel, soapLerpKernel } from '../../../packages/core/src/kernels/cpu/optim-soap';
import type { Checker } from './checker';

interface ProdigyCase {
  label: string;
  beta1: number;
  coupled: number;
  decoupled: number;
  sliceP: number;
  safeguard: boolean;
  corrected: boolean;
  growthRate: number;
  /** The second parameter's group has lr 0 (only its x₀ is taken, no share in d). */
  secondOff: boolean;
  /** The first step's gradients are all zero (the step is skipped). */
  zeroFirst: boolean;
}

const BASE: ProdigyCase = {
  label: '',
  beta1: 0.9,
  coupled: 0,
  decoupled: 0,
  sliceP: 1,
  safeguard: false,
  corrected: false,
  growthRate: Number.POSITIVE_INFINITY,
  secondOff: false,
  zeroFirst: false,
};

const CASES: ProdigyCase[] = [
  { ...BASE, label: 'prodigy defaults' },
  { ...BASE, label: 'prodigy coupled decay, beta1 = 0', coupled: 0.3, beta1: 0 },
  {
    ...BASE,
    label: 'prodigy decoupled decay, bias correction, growth 4',
    decoupled: 0.3,
    corrected: true,
    growthRate: 4,
  },
  {
    ...BASE,
    label: 'prodigy sliceP 3, safeguard warmup, a group with lr 0',
    sliceP: 3,
    safeguard: true,
    secondOff: true,
  },
  { ...BASE, label: 'prodigy zero gradients at the first step', zeroFirst: true },
];

const SIZES = [1031, 37];
const [B2, D0] = [0.999, 1e-6];

export async function runProdigyCases(c: Checker): Promise<void> {
  for (const u of CASES) {
    const b3 = Math.sqrt(B2);
    const stats = new Float32Array(PRODIGY_STATS.size);
    stats[PRODIGY_STATS.d] = D0;
    stats[PRODIGY_STATS.dMax] = D0;
    const devStats = c.upload(stats);
    const cpu = SIZES.map((n) => {
      const nS = Math.ceil(n / u.sliceP);
      const p = c.rng.floats(n, -2, 2);
      return {
        p,
        p0: new Float32Array(nS),
        s: new Float32Array(nS),
        m: new Float32Array(n),
        v: new Float32Array(n),
        terms: new Float32Array(2 * nS),
      };
    });
    const dev = cpu.map((a) => ({
      p: c.upload(a.p),
      p0: c.array(a.p0.length, 'float32', true),
      s: c.array(a.s.length, 'float32', true),
      m: c.array(a.m.length, 'float32', true),
      v: c.array(a.v.length, 'float32', true),
      terms: c.array(a.terms.length, 'float32', true),
    }));
    const base = SIZES.map((n) => c.rng.floats(n, -3, 3));
    for (let t = 1; t <= 5; t++) {
      // a steady direction plus noise, so that the displacement correlates with the gradients and d grows
      const grads = base.map((b) =>
        u.zeroFirst && t === 1 ? new Float32Array(b.length) : c.rng.floats(b.length, -1, 1).map((x, j) => b[j] + x),
      );
      const devGrads = grads.map((g) => c.upload(g));
      prodigyBeginKernel(stats, 1, u.beta1, B2, u.corrected);
      gpu.prodigyBeginWebGpu(devStats, 1, u.beta1, B2, u.corrected);
      cpu.forEach((a, i) => {
        const on = !(u.secondOff && i === 1);
        const m = u.beta1 > 0 ? a.m : null;
        const dm = u.beta1 > 0 ? dev[i].m : null;
        const args = [u.sliceP, t === 1, on, u.coupled, u.beta1, B2, b3, D0, u.safeguard] as const;
        prodigyAccumulateKernel(a.p, grads[i], a.p0, a.s, m, a.v, a.terms, stats, ...args);
        const d = dev[i];
        gpu.prodigyAccumulateWebGpu(d.p, devGrads[i], d.p0, d.s, dm, d.v, d.terms, devStats, ...args);
      });
      prodigyUpdateDKernel(stats, b3, 1, u.growthRate, D0);
      gpu.prodigyUpdateDWebGpu(devStats, b3, 1, u.growthRate, D0);
      cpu.forEach((a, i) => {
        const args = [stats, u.coupled, u.decoupled, 1e-8] as const;
        prodigyStepKernel(a.p, grads[i], u.beta1 > 0 ? a.m : null, a.v, ...args);
        const d = dev[i];
        gpu.prodigyStepWebGpu(d.p, devGrads[i], u.beta1 > 0 ? d.m : null, d.v, devStats, u.coupled, u.decoupled, 1e-8);
      });
    }
    if (!(stats[PRODIGY_STATS.d] > 1.5 * D0)) throw new Error(`${u.label}: d did not grow (${stats[PRODIGY_STATS.d]})`);
    const expectedK = u.zeroFirst ? 4 : 5;
    if (stats[PRODIGY_STATS.k] !== expectedK)
      throw new Error(`${u.label}: k is ${stats[PRODIGY_STATS.k]}, expected ${expectedK}`);
    // the estimate itself, relative to its size (the sums are tiny: a floor of 1 would hide any error)
    await c.compare(`${u.label}: statistics of d, 5 steps`, [devStats], [stats], {
      tolerance: 1e-5,
      floor: 1e-30,
      keep: true,
    });
    // with beta1 = 0 a step is about 30·dlr·sign(g), so d's rounding reaches the parameters
    await c.compare(
      `${u.label}: parameters, 5 steps`,
      dev.map((d) => d.p),
      cpu.map((a) => a.p),
      {
        tolerance: 1e-5,
        keep: true,
      },
    );
    // the state, relative to each array's largest entry (its entries scale with d, far below 1)
    for (const k of ['p0', 's', 'm', 'v'] as const) {
      const refs = cpu.map((a) => a[k]);
      const floor = Math.max(1e-30, ...refs.map((r) => r.reduce((x, y) => Math.max(x, Math.abs(y)), 0))) * 1e-3;
      await c.compare(
        `${u.label}: ${k}, 5 steps`,
        dev.map((d) => d[k]),
        refs,
        { tolerance: 1e-4, floor, keep: k !== 'v' },
      );
    }
  }
}

export async function runSoapCases(c: Checker): Promise<void> {
  const n = 1031;
  for (const [b1, b2, eps] of [
    [0.95, 0.95, 1e-8],
    [0.9, 0.999, 0.1],
  ]) {
    const [m, v, ratio] = [c.rng.floats(n, -1, 1), c.rng.floats(n, 0, 2), new Float32Array(n)];
    const dev = [c.upload(m), c.upload(v), c.array(n, 'float32', true)];
    for (let t = 0; t < 3; t++) {
      const g = c.rng.floats(n, -3, 3);
      soapAdamKernel(g, m, v, ratio, b1, b2, eps);
      soapGpu.soapAdamWebGpu(c.upload(g), dev[0], dev[1], dev[2], b1, b2, eps);
    }
    await c.compare(`soapAdam betas=${b1},${b2} eps=${eps}: 3 steps`, dev, [m, v, ratio], { tolerance: 1e-6 });
  }
  for (const w of [0.05, 0.7]) {
    const [x, end] = [c.rng.floats(n, -2, 2), c.rng.floats(n, -2, 2)];
    const dx = c.upload(x);
    soapLerpKernel(x, end, w);
    soapGpu.soapLerpWebGpu(dx, c.upload(end), w);
    await c.compare(`soapLerp w=${w}`, [dx], [x], { tolerance: 1e-6 });
  }
  for (const decay of [0, -3e-3]) {
    const [p, direction] = [c.rng.floats(n, -2, 2), c.rng.floats(n, -2, 2)];
    const dp = c.upload(p);
    soapApplyKernel(p, direction, 0.05, decay);
    soapGpu.soapApplyWebGpu(dp, c.upload(direction), 0.05, decay);
    await c.compare(`soapApply decay=${decay}`, [dp], [p], { tolerance: 1e-6 });
  }
}

/** Lookahead's sync kernel against the cpu kernel: three syncs of a ragged parameter, two alphas. */
export async function runLookaheadCases(c: Checker): Promise<void> {
  const n = 1031;
  for (const alpha of [0.5, 0.8]) {
    const [p, slow] = [c.rng.floats(n, -2, 2), c.rng.floats(n, -2, 2)];
    const dev = [c.upload(p), c.upload(slow)];
    for (let t = 0; t < 3; t++) {
      const fast = c.rng.floats(n, -2, 2);
      p.set(fast);
      lookaheadSyncKernel(p, slow, alpha);
      dev[0] = c.upload(fast);
      lookaheadGpu.lookaheadSyncWebGpu(dev[0], dev[1], alpha);
    }
    await c.compare(`lookaheadSync alpha=${alpha}: 3 syncs`, dev, [p, slow], { tolerance: 1e-6 });
  }
}
