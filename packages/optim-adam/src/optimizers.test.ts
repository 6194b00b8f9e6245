import { type Tensor, tensor } from '@nablajs/core';
import type { Optimizer, OptimizerFactory } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { adam } from './adam';
import { adamax } from './adamax';
import { adamw } from './adamw';
import { nadam } from './nadam';
import { radam } from './radam';

// Independent scalar re-implementations of each update rule, written from PyTorch's documented
// algorithms (and the fixture README), element by element. The optimizers must agree with them
// whatever the per-group hyperparameters and however they change between steps.

// biome-ignore lint/suspicious/noExplicitAny: hyperparameters of any optimizer
type Hp = Record<string, any>;
interface RefState {
  t: number;
  m: number[];
  v: number[];
  vmax: number[];
  muProduct: number;
}
type RefStep = (p: number[], g: readonly number[], s: RefState, hp: Hp) => void;

/** The gradient as PyTorch's single-tensor loops see it: negated when maximizing, then plus L2 decay. */
function prepared(g: number, p: number, hp: Hp, l2: boolean): number {
  const x = hp.maximize === true ? -g : g;
  return l2 ? x + hp.weightDecay * p : x;
}

/** Whether the step's weight decay is decoupled: always (AdamW) or as the group's flag says. */
const isDecoupled = (always: boolean, hp: Hp) => always || hp.decoupledWeightDecay === true;

function adamLike(alwaysDecoupled: boolean): RefStep {
  return (p, g, s, hp) => {
    s.t++;
    const [b1, b2] = hp.betas;
    const decoupled = isDecoupled(alwaysDecoupled, hp);
    for (let j = 0; j < p.length; j++) {
      const gj = prepared(g[j], p[j], hp, !decoupled);
      if (decoupled) p[j] *= 1 - hp.lr * hp.weightDecay;
      s.m[j] = b1 * s.m[j] + (1 - b1) * gj;
      s.v[j] = b2 * s.v[j] + (1 - b2) * gj * gj;
      let v = s.v[j];
      if (hp.amsgrad) {
        s.vmax[j] = Math.max(s.vmax[j], v);
        v = s.vmax[j];
      }
      const mHat = s.m[j] / (1 - b1 ** s.t);
      const vHat = v / (1 - b2 ** s.t);
      p[j] -= (hp.lr * mHat) / (Math.sqrt(vHat) + hp.eps);
    }
  };
}

const adamaxRef: RefStep = (p, g, s, hp) => {
  s.t++;
  const [b1, b2] = hp.betas;
  for (let j = 0; j < p.length; j++) {
    const gj = prepared(g[j], p[j], hp, true);
    s.m[j] = b1 * s.m[j] + (1 - b1) * gj;
    s.v[j] = Math.max(b2 * s.v[j], Math.abs(gj) + hp.eps);
    p[j] -= (hp.lr / (1 - b1 ** s.t)) * (s.m[j] / s.v[j]);
  }
};

const nadamRef: RefStep = (p, g, s, hp) => {
  s.t++;
  const [b1, b2] = hp.betas;
  const mu = b1 * (1 - 0.5 * 0.96 ** (s.t * hp.momentumDecay));
  const muNext = b1 * (1 - 0.5 * 0.96 ** ((s.t + 1) * hp.momentumDecay));
  s.muProduct *= mu;
  for (let j = 0; j < p.length; j++) {
    const gj = prepared(g[j], p[j], hp, !isDecoupled(false, hp));
    if (isDecoupled(false, hp)) p[j] *= 1 - hp.lr * hp.weightDecay;
    s.m[j] = b1 * s.m[j] + (1 - b1) * gj;
    s.v[j] = b2 * s.v[j] + (1 - b2) * gj * gj;
    const denom = Math.sqrt(s.v[j] / (1 - b2 ** s.t)) + hp.eps;
    p[j] -= ((hp.lr * (1 - mu)) / (1 - s.muProduct)) * (gj / denom);
    p[j] -= ((hp.lr * muNext) / (1 - s.muProduct * muNext)) * (s.m[j] / denom);
  }
};

const radamRef: RefStep = (p, g, s, hp) => {
  s.t++;
  const [b1, b2] = hp.betas;
  const rhoInf = 2 / (1 - b2) - 1;
  const rhoT = rhoInf - (2 * s.t * b2 ** s.t) / (1 - b2 ** s.t);
  for (let j = 0; j < p.length; j++) {
    const gj = prepared(g[j], p[j], hp, !isDecoupled(false, hp));
    if (isDecoupled(false, hp)) p[j] *= 1 - hp.lr * hp.weightDecay;
    s.m[j] = b1 * s.m[j] + (1 - b1) * gj;
    s.v[j] = b2 * s.v[j] + (1 - b2) * gj * gj;
    const mHat = s.m[j] / (1 - b1 ** s.t);
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      p[j] -= (hp.lr * mHat * rect * Math.sqrt(1 - b2 ** s.t)) / (Math.sqrt(s.v[j]) + hp.eps);
    } else {
      p[j] -= hp.lr * mHat;
    }
  }
};

interface Spec {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: each factory has its own options type
  factory: OptimizerFactory<any>;
  defaults: Hp;
  ref: RefStep;
  /** Hyperparameter changes applied between steps: [group 0, group 1]. */
  changes: Record<number, [Hp, Hp]>;
  flags: string[];
}

const specs: Spec[] = [
  {
    name: 'adam',
    factory: adam,
    defaults: {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
      maximize: false,
      decoupledWeightDecay: false,
    },
    ref: adamLike(false),
    changes: {
      3: [
        { lr: 0.02, betas: [0.8, 0.99] },
        { amsgrad: true, weightDecay: 0.1 },
      ],
      5: [{ eps: 0.5, maximize: true }, { betas: [0.95, 0.9] }],
      7: [{ decoupledWeightDecay: true, weightDecay: 0.3 }, { decoupledWeightDecay: true }],
    },
    flags: ['amsgrad', 'maximize', 'decoupledWeightDecay'],
  },
  {
    name: 'adamw',
    factory: adamw,
    defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false },
    ref: adamLike(true),
    changes: {
      3: [{ lr: 0.02, weightDecay: 0.3 }, { amsgrad: true }],
      5: [
        { betas: [0.5, 0.6], maximize: true },
        { eps: 0.01, weightDecay: 0 },
      ],
    },
    flags: ['amsgrad', 'maximize'],
  },
  {
    name: 'adamax',
    factory: adamax,
    defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false },
    ref: adamaxRef,
    changes: {
      3: [{ lr: 0.02, weightDecay: 0.2 }, { betas: [0.5, 0.7] }],
      5: [{ eps: 0.3, maximize: true }, { lr: 0.001 }],
    },
    flags: ['maximize'],
  },
  {
    name: 'nadam',
    factory: nadam,
    defaults: {
      lr: 2e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      momentumDecay: 4e-3,
      decoupledWeightDecay: false,
      maximize: false,
    },
    ref: nadamRef,
    changes: {
      3: [{ lr: 0.02, momentumDecay: 0.3 }, { betas: [0.5, 0.7] }],
      5: [
        { eps: 0.1, weightDecay: 0.2 },
        { momentumDecay: 0, weightDecay: 0.1, decoupledWeightDecay: true },
      ],
      7: [{ maximize: true, decoupledWeightDecay: true }, { decoupledWeightDecay: false }],
    },
    flags: ['maximize', 'decoupledWeightDecay'],
  },
  {
    name: 'radam',
    factory: radam,
    defaults: {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      decoupledWeightDecay: false,
      maximize: false,
    },
    ref: radamRef,
    changes: {
      // betas[1] = 0.5 makes rho_t > 5 impossible (rho_inf = 3): plain momentum steps from then on.
      3: [{ lr: 0.02, betas: [0.8, 0.5] }, { weightDecay: 0.1 }],
      6: [
        { eps: 0.1, betas: [0.9, 0.999], decoupledWeightDecay: true, weightDecay: 0.2 },
        { lr: 0.3, maximize: true },
      ],
      8: [{ maximize: true }, { decoupledWeightDecay: true }],
    },
    flags: ['maximize', 'decoupledWeightDecay'],
  },
];

const grad = (k: number, group: number, i: number, j: number) =>
  Math.sin(1.1 * k + 0.7 * j + 2.3 * i + group) * (1 + 0.5 * j);
const f64 = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });
const newState = (n: number): RefState => ({
  t: 0,
  m: new Array(n).fill(0),
  v: new Array(n).fill(0),
  vmax: new Array(n).fill(0),
  muProduct: 1,
});

function expectClose(actual: ArrayLike<number>, expected: readonly number[], label: string): void {
  for (let j = 0; j < expected.length; j++) {
    const err = Math.abs(actual[j] - expected[j]);
    if (err > 1e-12 * Math.max(1, Math.abs(expected[j])))
      throw new Error(`${label}[${j}]: ${actual[j]} vs ${expected[j]}`);
  }
}

for (const spec of specs) {
  describe(spec.name, () => {
    it("has PyTorch's defaults", () => {
      const opt = spec.factory([f64([1])]);
      expect({ ...opt.defaults }).toEqual(spec.defaults);
      expect(opt.name).toBe(spec.name);
    });

    it('matches the reference with per-group hyperparameters changed between steps, skipping parameters without gradients', () => {
      const groups = [
        { params: [f64([0.5, -1.5, 2]), f64([0.25])], lr: 0.05 },
        { params: [f64([-0.3, 0.8])], lr: 0.01, betas: [0.7, 0.9], eps: 1e-3, weightDecay: 0.05 },
      ];
      const opt = spec.factory(groups);
      const hps: Hp[] = opt.paramGroups.map(({ params: _p, ...hp }) => ({ ...hp }));
      const refParams = groups.map((g) => g.params.map((p) => Array.from(p.data)));
      const refStates = groups.map((g) => g.params.map((p) => newState(p.size)));
      for (let k = 1; k <= 8; k++) {
        const change = spec.changes[k];
        if (change)
          change.forEach((c, gi) => {
            Object.assign(opt.paramGroups[gi], c);
            Object.assign(hps[gi], c);
          });
        groups.forEach((g, gi) => {
          g.params.forEach((p, i) => {
            // The second parameter of group 0 has no gradient at steps 2 and 4.
            const skip = gi === 0 && i === 1 && (k === 2 || k === 4);
            const gv = Array.from({ length: p.size }, (_, j) => grad(k, gi, i, j));
            p.grad = skip ? null : tensor(gv, { dtype: 'float64' });
            if (!skip) spec.ref(refParams[gi][i], gv, refStates[gi][i], hps[gi]);
          });
        });
        opt.step();
        groups.forEach((g, gi) => {
          g.params.forEach((p, i) => {
            expectClose(p.data, refParams[gi][i], `${spec.name} step ${k} group ${gi} param ${i}`);
          });
        });
      }
      const state = opt.stateDict().state[0] as unknown[];
      const blockState = state.find((s) => s !== null) as { step: number[] };
      expect(blockState.step).toEqual([8, 6]);
    });

    it('continues identically after a stateDict round trip through JSON', () => {
      const run = (opt: Optimizer, p: Tensor, from: number, to: number) => {
        for (let k = from; k <= to; k++) {
          p.grad = tensor([grad(k, 0, 0, 0), grad(k, 0, 0, 1)], { dtype: 'float64' });
          opt.step();
        }
      };
      const a = f64([1, -2]);
      const optA = spec.factory([a], { lr: 0.01 });
      run(optA, a, 1, 3);
      const b = f64(Array.from(a.data));
      const optB = spec.factory([b], { lr: 0.5 });
      optB.loadStateDict(JSON.parse(JSON.stringify(optA.stateDict())));
      expect(optB.paramGroups[0].lr).toBe(0.01);
      run(optA, a, 4, 9);
      run(optB, b, 4, 9);
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
    });

    it('validates its options, naming the optimizer and the option', () => {
      const p = [f64([1])];
      const n = spec.name;
      expect(() => spec.factory(p, { betas: [0.9, 1.5] })).toThrow(`${n}: betas[1] must be in [0, 1), got 1.5`);
      expect(() => spec.factory(p, { betas: [-0.1, 0.9] })).toThrow(`${n}: betas[0] must be in [0, 1), got -0.1`);
      expect(() => spec.factory(p, { betas: [0.9, 1] })).toThrow(`${n}: betas[1] must be in [0, 1), got 1`);
      expect(() => spec.factory(p, { betas: [0.9] })).toThrow(`${n}: betas must be an array of 2 numbers, got [0.9]`);
      expect(() => spec.factory(p, { lr: -1 })).toThrow(`${n}: lr must be in [0, inf), got -1`);
      expect(() => spec.factory(p, { eps: -1e-8 })).toThrow(`${n}: eps must be in [0, inf), got -1e-8`);
      expect(() => spec.factory(p, { weightDecay: -0.1 })).toThrow(`${n}: weightDecay must be in [0, inf), got -0.1`);
      expect(() => spec.factory(p, { lr: Number.NaN })).toThrow(`${n}: lr must be in [0, inf), got NaN`);
      expect(() => spec.factory(p, { momentum: 0.9 })).toThrow(`${n}: unknown option "momentum"`);
      for (const flag of spec.flags)
        expect(() => spec.factory(p, { [flag]: 1 })).toThrow(`${n}: ${flag} must be true or false, got 1`);
      expect(() => spec.factory([{ params: p, betas: [0.9, 1.5] }])).toThrow(
        `${n}: betas[1] must be in [0, 1), got 1.5`,
      );
      expect(() => spec.factory(p, { lr: 0, eps: 0, weightDecay: 0, betas: [0, 0] })).not.toThrow();
    });
  });
}

describe('nadam options', () => {
  it('rejects a negative momentumDecay', () => {
    expect(() => nadam([f64([1])], { momentumDecay: -1 })).toThrow('nadam: momentumDecay must be in [0, inf), got -1');
  });
});

describe('maximize', () => {
  for (const spec of specs.filter((s) => s.flags.includes('maximize')))
    it(`${spec.name}: maximizing f is minimizing -f (without weight decay), and ascends`, () => {
      const up = f64([1, -2]);
      const down = f64([1, -2]);
      const optUp = spec.factory([up], { lr: 0.1, maximize: true, weightDecay: 0 });
      const optDown = spec.factory([down], { lr: 0.1, weightDecay: 0 });
      for (let k = 1; k <= 5; k++) {
        const g = [grad(k, 0, 0, 0), grad(k, 0, 0, 1)];
        up.grad = tensor(g, { dtype: 'float64' });
        down.grad = tensor(
          g.map((x) => -x),
          { dtype: 'float64' },
        );
        optUp.step();
        optDown.step();
      }
      expect(Array.from(up.data)).toEqual(Array.from(down.data));
      // One step on f(x) = x² from x = 1 (gradient 2): ascent moves x up.
      const x = f64([1]);
      const opt = spec.factory([x], { lr: 0.1, maximize: true, weightDecay: 0 });
      x.grad = tensor([2], { dtype: 'float64' });
      opt.step();
      expect(x.data[0]).toBeGreaterThan(1);
    });
});

describe('adamw', () => {
  it('decays by lr*weightDecay only, independent of the gradient and of the bias-corrected step size', () => {
    // With a zero gradient the Adam part is 0/(0 + eps) = 0: only p *= 1 - lr*wd = 1 - 0.1*0.5 = 0.95.
    const p = f64([2, -4]);
    const opt = adamw([p], { lr: 0.1, weightDecay: 0.5 });
    p.grad = tensor([0, 0], { dtype: 'float64' });
    opt.step();
    expect(Array.from(p.data)).toEqual([2 * 0.95, -4 * 0.95].map((x) => x));
  });
});

describe('radam', () => {
  it('takes un-normalised momentum steps while rho_t <= 5 (steps 1-5 with b2 = 0.999), then rectified ones', () => {
    // Step 1: m̂ = g, so p -= lr * g exactly.
    const p = f64([1]);
    const opt = radam([p], { lr: 0.1 });
    p.grad = tensor([3], { dtype: 'float64' });
    opt.step();
    expect(p.data[0]).toBeCloseTo(1 - 0.1 * 3, 15);
  });
});
