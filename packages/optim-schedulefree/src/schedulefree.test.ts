import { type Tensor, tensor } from '@nablajs/core';
import {
  createOptimizer,
  decodeState,
  lambdaLR,
  type Optimizer,
  type OptimizerStateDict,
  resetRegistry,
  usePlugin,
} from '@nablajs/optim';
import { checkOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import scheduleFreePlugin, {
  adamwScheduleFree,
  type ScheduleFreeAdamState,
  type ScheduleFreeState,
  sgdScheduleFree,
} from './index';

afterEach(() => resetRegistry());

const f64 = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });
const f32 = (values: number[]) => tensor(values, { dtype: 'float32', requiresGrad: true });

// A smooth non-quadratic loss with a hand-written gradient, for the independent implementation below.
const A = [1, 2, 0.5, 3];
const T = [0.5, -1, 2, 0.25];
function lossOf(p: Tensor): Tensor {
  return p
    .sub(tensor(T, { dtype: p.dtype }))
    .square()
    .mul(tensor(A, { dtype: p.dtype }))
    .sum()
    .add(p.pow(4).mul(0.1).sum());
}
const gradOf = (y: readonly number[]) => y.map((v, j) => 2 * A[j] * (v - T[j]) + 0.4 * v ** 3);

function stepWith(opt: Optimizer, p: Tensor): void {
  opt.zeroGrad();
  lossOf(p).backward();
  opt.step();
}

/** The last block's state (the interpolation's) and, for AdamW, the first block's, of group `g`. */
function states(opt: Optimizer, g = 0): { sf: ScheduleFreeState; adam: ScheduleFreeAdamState } {
  const chainState = decodeState(opt.stateDict().state[g]) as unknown[];
  return {
    sf: chainState[chainState.length - 1] as ScheduleFreeState,
    adam: chainState[0] as ScheduleFreeAdamState,
  };
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], rel: number, label = ''): void {
  expect(actual.length).toBe(expected.length);
  for (let j = 0; j < expected.length; j++)
    expect(
      Math.abs(actual[j] - expected[j]),
      `${label} element ${j}: ${actual[j]} vs ${expected[j]}`,
    ).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected[j])));
}

interface ThreeOptions {
  lr: number;
  beta: number;
  weightDecay?: number;
  warmupSteps?: number;
  r?: number;
  weightLrPower?: number;
  adam?: { beta2: number; eps: number; innerMomentum: number };
}

/**
 * The paper's three sequences, stored explicitly (as the authors' *Reference classes do), written from the
 * equations: z ← z − γd; x ← (1 − c)x + c·z; y = (1 − β)z + βx, with d the (normalized) gradient at y plus
 * λy, γ the warmed-up lr, and c = w_t/Σw_i, w_i = i^r · (max_{j ≤ i} γ_j)^p.
 */
class ThreeSequences {
  x: number[];
  y: number[];
  z: number[];
  v: number[];
  m: number[];
  private readonly gammas: number[] = [];
  private readonly weights: number[] = [];

  constructor(
    start: readonly number[],
    private readonly o: ThreeOptions,
  ) {
    this.x = [...start];
    this.y = [...start];
    this.z = [...start];
    this.v = start.map(() => 0);
    this.m = start.map(() => 0);
  }

  step(lr = this.o.lr): void {
    const t = this.gammas.length + 1;
    const warmup = this.o.warmupSteps ?? 0;
    const gamma = lr * (t <= warmup ? t / warmup : 1);
    this.gammas.push(gamma);
    const peak = Math.max(...this.gammas);
    this.weights.push(t ** (this.o.r ?? 0) * peak ** (this.o.weightLrPower ?? 2));
    const total = this.weights.reduce((s, w) => s + w, 0);
    const c = this.weights[t - 1] / total;
    const g = gradOf(this.y);
    const d = g.map((gj, j) => {
      const adam = this.o.adam;
      if (adam === undefined) return gj;
      this.v[j] = adam.beta2 * this.v[j] + (1 - adam.beta2) * gj * gj;
      const denom = Math.sqrt(this.v[j] / (1 - adam.beta2 ** t)) + adam.eps;
      if (adam.innerMomentum === 0) return gj / denom;
      this.m[j] = adam.innerMomentum * this.m[j] + (1 - adam.innerMomentum) * gj;
      return this.m[j] / (1 - adam.innerMomentum ** t) / denom;
    });
    const lambda = this.o.weightDecay ?? 0;
    for (let j = 0; j < d.length; j++) {
      this.z[j] -= gamma * (d[j] + lambda * this.y[j]);
      this.x[j] = (1 - c) * this.x[j] + c * this.z[j];
    }
    this.y = this.z.map((zj, j) => (1 - this.o.beta) * zj + this.o.beta * this.x[j]);
  }
}

describe('schedule-free: the update (Defazio et al. 2024)', () => {
  it('two hand-computed steps of SGD on f = p²/2 (exact in binary)', () => {
    // lr 0.5, β 0.5, y0 = z0 = x0 = 2.
    // Step 1: k = 0, w = 1·0.5² = 0.25, W = 0.25, c = 1; g = 2:
    //   z1 = 2 - 0.5·2 = 1; x1 = z1 = 1; y1 = 0.5·1 + 0.5·1 = 1.
    // Step 2: c = 0.25/0.5 = 0.5; g = y1 = 1:
    //   z2 = 1 - 0.5 = 0.5; x2 = 0.5·1 + 0.5·0.5 = 0.75; y2 = 0.5·0.5 + 0.5·0.75 = 0.625.
    const p = f64([2]);
    const opt = sgdScheduleFree([p], { lr: 0.5, momentum: 0.5 });
    const step = () => {
      opt.zeroGrad();
      p.square().mul(0.5).sum().backward();
      opt.step();
    };
    step();
    expect(Array.from(p.data)).toEqual([1]);
    step();
    expect(Array.from(p.data)).toEqual([0.625]);
    expect(states(opt).sf).toEqual({
      k: 2,
      lrMax: 0.5,
      weightSum: 0.5,
      scheduledLr: 0.5,
      z: [Float64Array.from([0.5])],
    });
    opt.eval?.();
    expect(Array.from(p.data)).toEqual([0.75]);
    opt.train?.();
    expect(Array.from(p.data)).toEqual([0.625]);
  });

  it('sgdScheduleFree equals the three sequences z, x, y (warmup, r, weightLrPower, weight decay at y)', () => {
    const options = { lr: 0.05, beta: 0.8, weightDecay: 0.03, warmupSteps: 5, r: 1, weightLrPower: 1.5 };
    const p = f64([1, -2, 0.5, 3]);
    const ref = new ThreeSequences(Array.from(p.data), options);
    const opt = sgdScheduleFree([p], {
      lr: 0.05,
      momentum: 0.8,
      weightDecay: 0.03,
      warmupSteps: 5,
      r: 1,
      weightLrPower: 1.5,
    });
    for (let t = 1; t <= 30; t++) {
      stepWith(opt, p);
      ref.step();
      expectClose(p.data, ref.y, 1e-13, `y after step ${t}`);
      if (t % 7 === 0) {
        opt.eval?.();
        expectClose(p.data, ref.x, 1e-13, `x after step ${t}`);
        opt.train?.();
      }
    }
    expectClose(states(opt).sf.z[0] as Float64Array, ref.z, 1e-13, 'z');
  });

  it('adamwScheduleFree equals the three sequences with the bias-corrected Adam direction and decay at y', () => {
    const adam = { beta2: 0.99, eps: 1e-8, innerMomentum: 0 };
    const p = f64([1, -2, 0.5, 3]);
    const ref = new ThreeSequences(Array.from(p.data), { lr: 0.02, beta: 0.9, weightDecay: 0.1, warmupSteps: 3, adam });
    const opt = adamwScheduleFree([p], { lr: 0.02, betas: [0.9, 0.99], weightDecay: 0.1, warmupSteps: 3 });
    for (let t = 1; t <= 30; t++) {
      stepWith(opt, p);
      ref.step();
      expectClose(p.data, ref.y, 1e-12, `y after step ${t}`);
    }
    opt.eval?.();
    expectClose(p.data, ref.x, 1e-12, 'x');
    const { adam: state } = states(opt);
    expectClose(state.v[0] as Float64Array, ref.v, 1e-12, 'v');
    expect(state.m[0]).toBeNull();
  });

  it('innerMomentum averages the gradient inside the Adam direction, with its own bias correction', () => {
    const adam = { beta2: 0.999, eps: 1e-8, innerMomentum: 0.85 };
    const p = f64([1, -2, 0.5, 3]);
    const ref = new ThreeSequences(Array.from(p.data), { lr: 0.03, beta: 0.95, r: 0.5, adam });
    const opt = adamwScheduleFree([p], { lr: 0.03, betas: [0.95, 0.999], r: 0.5, innerMomentum: 0.85 });
    for (let t = 1; t <= 25; t++) {
      stepWith(opt, p);
      ref.step();
    }
    expectClose(p.data, ref.y, 1e-12, 'y');
    expectClose(states(opt).adam.m[0] as Float64Array, ref.m, 1e-12, 'm');
  });

  it('innerMomentum switched on mid-run starts its average at zero', () => {
    const p = f64([1, -2, 0.5, 3]);
    const opt = adamwScheduleFree([p], { lr: 0.03 });
    stepWith(opt, p);
    expect(states(opt).adam.m[0]).toBeNull();
    opt.paramGroups[0].innerMomentum = 0.5;
    opt.zeroGrad();
    lossOf(p).backward();
    const g = Array.from(p.grad?.data ?? []);
    opt.step();
    expectClose(
      states(opt).adam.m[0] as Float64Array,
      g.map((v) => 0.5 * v),
      1e-15,
    );
  });

  it('float32 parameters keep float32 state and follow the float64 run closely', () => {
    const a = f32([1, -2, 0.5, 3]);
    const b = f64([1, -2, 0.5, 3]);
    const oa = adamwScheduleFree([a], { lr: 0.02, weightDecay: 0.01 });
    const ob = adamwScheduleFree([b], { lr: 0.02, weightDecay: 0.01 });
    for (let t = 0; t < 20; t++) {
      stepWith(oa, a);
      stepWith(ob, b);
    }
    const { sf, adam } = states(oa);
    expect(sf.z[0]).toBeInstanceOf(Float32Array);
    expect(adam.v[0]).toBeInstanceOf(Float32Array);
    expectClose(a.data, Array.from(b.data), 1e-5);
  });
});

describe('schedule-free: the counters and the learning rate (lr_max)', () => {
  it('warms the learning rate up linearly and keeps scheduledLr for logging', () => {
    const p = f64([1, -2, 0.5, 3]);
    const opt = sgdScheduleFree([p], { lr: 0.1, warmupSteps: 4 });
    const seen: number[] = [];
    for (let t = 0; t < 6; t++) {
      stepWith(opt, p);
      seen.push(states(opt).sf.scheduledLr);
    }
    expectClose(seen, [0.025, 0.05, 0.075, 0.1, 0.1, 0.1], 1e-16);
  });

  it('a scheduler lowering lr mid-run keeps lr_max at the peak; raising it past the peak moves lr_max', () => {
    const lr = 0.05;
    const factor = (epoch: number) => (epoch < 6 ? 1 : epoch < 12 ? 0.2 : 2);
    const p = f64([1, -2, 0.5, 3]);
    const opt = sgdScheduleFree([p], { lr, momentum: 0.9, weightDecay: 0.01 });
    const scheduler = lambdaLR(opt, { lrLambda: factor });
    const ref = new ThreeSequences(Array.from(p.data), { lr, beta: 0.9, weightDecay: 0.01 });
    const weightSums: number[] = [];
    for (let t = 0; t < 18; t++) {
      stepWith(opt, p);
      ref.step(lr * factor(t));
      scheduler.step();
      const { sf } = states(opt);
      expect(sf.lrMax).toBe(t < 12 ? lr : 2 * lr);
      weightSums.push(sf.weightSum);
      expectClose(p.data, ref.y, 1e-13, `y after step ${t + 1}`);
    }
    // r = 0, weightLrPower = 2: every step until the new peak weighs lr_max² = 0.05², although lr fell to 0.01.
    expectClose([weightSums[11]], [12 * lr ** 2], 1e-15);
    expectClose([weightSums[17]], [12 * lr ** 2 + 6 * (2 * lr) ** 2], 1e-15);
    opt.eval?.();
    expectClose(p.data, ref.x, 1e-13, 'x');
  });

  it('lr = 0 gives weight 0 and c = 0 (the reference catches the division by zero): nothing moves', () => {
    const p = f64([1, -2, 0.5, 3]);
    const opt = sgdScheduleFree([p], { lr: 0 });
    for (let t = 0; t < 3; t++) stepWith(opt, p);
    expect(Array.from(p.data)).toEqual([1, -2, 0.5, 3]);
    expect(states(opt).sf).toMatchObject({ k: 3, lrMax: 0, weightSum: 0 });
  });

  it('uses each group its own hyperparameters and counters: groups run as if optimized alone', () => {
    const make = () => [f64([1, -2, 0.5, 3]), f64([0.3, 0.7, -1, 2])];
    const [a, b] = make();
    const opt = adamwScheduleFree(
      [
        { params: [a], lr: 0.01, betas: [0.8, 0.99] },
        { params: [b], weightDecay: 0.1, warmupSteps: 3, innerMomentum: 0.9 },
      ],
      { lr: 0.02 },
    );
    const [a2, b2] = make();
    const alone = [
      adamwScheduleFree([a2], { lr: 0.01, betas: [0.8, 0.99] }),
      adamwScheduleFree([b2], { lr: 0.02, weightDecay: 0.1, warmupSteps: 3, innerMomentum: 0.9 }),
    ];
    for (let t = 0; t < 12; t++) {
      opt.zeroGrad();
      lossOf(a).add(lossOf(b)).backward();
      opt.step();
      stepWith(alone[0], a2);
      stepWith(alone[1], b2);
    }
    expect(Array.from(a.data)).toEqual(Array.from(a2.data));
    expect(Array.from(b.data)).toEqual(Array.from(b2.data));
    // eval() moves each group with its own β₁.
    opt.eval?.();
    alone[0].eval?.();
    alone[1].eval?.();
    expect(Array.from(a.data)).toEqual(Array.from(a2.data));
    expect(Array.from(b.data)).toEqual(Array.from(b2.data));
  });

  it('a parameter without a gradient neither moves nor touches its z and v, while its group counts the step', () => {
    const a = f64([1, -2, 0.5, 3]);
    const b = f64([0.3, 0.7]);
    const opt = adamwScheduleFree([a, b], { lr: 0.02 });
    stepWith(opt, a); // b never had a gradient: no z, no v
    let { sf, adam } = states(opt);
    expect(sf.z[1]).toBeNull();
    expect(adam.v[1]).toBeNull();
    opt.eval?.();
    expect(Array.from(b.data)).toEqual([0.3, 0.7]); // nothing to move to without z
    opt.train?.();
    opt.zeroGrad();
    lossOf(a).add(b.square().sum()).backward();
    opt.step();
    const bAfter = Array.from(b.data);
    const zb = Array.from(states(opt).sf.z[1] as Float64Array);
    const vb = Array.from(states(opt).adam.v[1] as Float64Array);
    for (let t = 0; t < 3; t++) stepWith(opt, a);
    ({ sf, adam } = states(opt));
    expect(Array.from(b.data)).toEqual(bAfter);
    expect(Array.from(sf.z[1] as Float64Array)).toEqual(zb);
    expect(Array.from(adam.v[1] as Float64Array)).toEqual(vb);
    expect(sf.k).toBe(5);
    expect(adam.k).toBe(5);
  });
});

describe('schedule-free: train and eval points', () => {
  it('starts in train mode; eval() before any step moves nothing (no z yet)', () => {
    const p = f64([1, -2]);
    const opt = sgdScheduleFree([p], { lr: 0.1 });
    expect(opt.mode).toBe('train');
    opt.eval?.();
    expect(opt.mode).toBe('eval');
    expect(Array.from(p.data)).toEqual([1, -2]);
    opt.train?.();
    expect(opt.mode).toBe('train');
  });

  it('eval() puts x = (y - (1-β)z)/β in the parameters, train() puts y back', () => {
    const p = f64([1, -2, 0.5, 3]);
    const opt = sgdScheduleFree([p], { lr: 0.05, momentum: 0.75 });
    for (let t = 0; t < 5; t++) stepWith(opt, p);
    const y = Array.from(p.data);
    const z = Array.from(states(opt).sf.z[0] as Float64Array);
    opt.eval?.();
    expectClose(
      p.data,
      y.map((yj, j) => (yj - 0.25 * z[j]) / 0.75),
      1e-14,
    );
    opt.eval?.(); // already in eval mode: nothing moves
    expectClose(
      p.data,
      y.map((yj, j) => (yj - 0.25 * z[j]) / 0.75),
      1e-14,
    );
  });

  it('stepping in eval mode throws a clear error and changes neither the parameters nor the state', () => {
    for (const factory of [sgdScheduleFree, adamwScheduleFree]) {
      const p = f64([1, -2, 0.5, 3]);
      const opt = factory([p], { lr: 0.01 });
      for (let t = 0; t < 3; t++) stepWith(opt, p);
      opt.eval?.();
      const params = Array.from(p.data);
      const state = JSON.stringify(opt.stateDict());
      opt.zeroGrad();
      lossOf(p).backward();
      expect(() => opt.step()).toThrow(`${opt.name}.step: the optimizer is in eval mode`);
      expect(() => opt.step()).toThrow('call optimizer.train() before stepping');
      expect(Array.from(p.data)).toEqual(params);
      expect(JSON.stringify(opt.stateDict())).toBe(state);
      expect(opt.mode).toBe('eval');
    }
  });

  it('eval() then train() returns y within 4u·(|x| + |y| + |z - y|/β) per element (u: the unit roundoff)', () => {
    // Rounding analysis: x = y + (1 - 1/β)(z - y) and y' = x + (1 - β)(z - x) each round a few times; the
    // errors are at most a few u of |x|, |y| and of |z - y|/β = |z - x| (the interpolation distances).
    for (const [dtype, u] of [
      ['float64', 2 ** -53],
      ['float32', 2 ** -24],
    ] as const) {
      for (const beta of [0.9, 0.98, 0.6, 0.3]) {
        const values = Array.from({ length: 64 }, (_, j) => Math.sin(1.7 * j + 0.3) * 10 ** ((j % 7) - 3));
        const p = tensor(values, { dtype, requiresGrad: true });
        const opt = adamwScheduleFree([p], { lr: 0.05, betas: [beta, 0.999] });
        for (let t = 0; t < 6; t++) {
          opt.zeroGrad();
          p.mul(
            tensor(
              values.map((_, j) => Math.cos(j) + 0.1 * t),
              { dtype },
            ),
          )
            .sum()
            .add(p.pow(4).sum())
            .backward();
          opt.step();
        }
        const y = Array.from(p.data);
        const z = Array.from(states(opt).sf.z[0] as ArrayLike<number>);
        opt.eval?.();
        const x = Array.from(p.data);
        opt.train?.();
        let moved = false;
        for (let j = 0; j < y.length; j++) {
          const bound = 4 * u * (Math.abs(x[j]) + Math.abs(y[j]) + Math.abs(z[j] - y[j]) / beta);
          expect(Math.abs(p.data[j] - y[j]), `${dtype} β ${beta} element ${j}`).toBeLessThanOrEqual(bound);
          if (x[j] !== y[j]) moved = true;
        }
        expect(moved).toBe(true);
      }
    }
  });

  it('a state dict saved in eval mode, loaded into a fresh optimizer, continues after train() bit for bit', () => {
    for (const factory of [sgdScheduleFree, adamwScheduleFree]) {
      const options = { lr: 0.02, warmupSteps: 2, weightDecay: 0.01 };
      const p = f64([1, -2, 0.5, 3]);
      const opt = factory([p], options);
      for (let t = 0; t < 5; t++) stepWith(opt, p);
      opt.eval?.();
      const saved = JSON.parse(JSON.stringify(opt.stateDict())) as OptimizerStateDict;
      expect(saved.mode).toBe('eval');
      const checkpoint = Array.from(p.data);
      opt.train?.();
      for (let t = 0; t < 6; t++) stepWith(opt, p);

      const q = f64(checkpoint);
      const fresh = factory([q], options);
      fresh.loadStateDict(saved);
      expect(fresh.mode).toBe('eval');
      expect(Array.from(q.data)).toEqual(checkpoint); // loading does not move the parameters
      fresh.train?.();
      for (let t = 0; t < 6; t++) stepWith(fresh, q);
      expect(Array.from(q.data)).toEqual(Array.from(p.data));
      expect(fresh.stateDict()).toEqual(opt.stateDict());
    }
  });
});

describe('schedule-free: options, plugin, conformance', () => {
  it('has the reference defaults', () => {
    const p = [f64([1])];
    expect({ ...sgdScheduleFree(p).defaults }).toEqual({
      lr: 1.0,
      momentum: 0.9,
      weightDecay: 0,
      warmupSteps: 0,
      r: 0,
      weightLrPower: 2,
    });
    expect({ ...adamwScheduleFree(p).defaults }).toEqual({
      lr: 0.0025,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      warmupSteps: 0,
      r: 0,
      weightLrPower: 2,
      innerMomentum: 0,
    });
  });

  it('rejects bad options with a message naming the option, before anything changes', () => {
    const p = [f64([1])];
    expect(() => sgdScheduleFree(p, { momentum: 1 })).toThrow('sgdScheduleFree: momentum must be in (0, 1), got 1');
    expect(() => sgdScheduleFree(p, { momentum: 0 })).toThrow('sgdScheduleFree: momentum must be in (0, 1), got 0');
    expect(() => sgdScheduleFree(p, { weightDecay: -1 })).toThrow(
      'sgdScheduleFree: weightDecay must be in [0, inf), got -1',
    );
    expect(() => sgdScheduleFree(p, { warmupSteps: 2.5 })).toThrow(
      'sgdScheduleFree: warmupSteps must be an integer in [0, inf), got 2.5',
    );
    expect(() => sgdScheduleFree(p, { r: -1 })).toThrow('sgdScheduleFree: r must be in [0, inf), got -1');
    expect(() => sgdScheduleFree(p, { weightLrPower: -2 })).toThrow(
      'sgdScheduleFree: weightLrPower must be in [0, inf), got -2',
    );
    expect(() => sgdScheduleFree(p, { lr: -1 })).toThrow('sgdScheduleFree: lr must be in [0, inf), got -1');
    expect(() => sgdScheduleFree(p, { betas: [0.9, 0.9] } as object)).toThrow(
      'sgdScheduleFree: unknown option "betas"',
    );
    expect(() => adamwScheduleFree(p, { betas: [0, 0.999] })).toThrow(
      'adamwScheduleFree: betas[0] must be in (0, 1], got 0',
    );
    expect(() => adamwScheduleFree(p, { betas: [0.9, 1] })).toThrow(
      'adamwScheduleFree: betas[1] must be in [0, 1), got 1',
    );
    expect(() => adamwScheduleFree(p, { betas: [0.9] })).toThrow(
      'adamwScheduleFree: betas must be an array of 2 numbers',
    );
    expect(() => adamwScheduleFree(p, { eps: -1 })).toThrow('adamwScheduleFree: eps must be in [0, inf), got -1');
    expect(() => adamwScheduleFree(p, { innerMomentum: 1 })).toThrow(
      'adamwScheduleFree: innerMomentum must be in [0, 1), got 1',
    );
    expect(() => adamwScheduleFree(p, { momentum: 0.9 } as object)).toThrow(
      'adamwScheduleFree: unknown option "momentum"',
    );
    // A bad value written into a group is caught when the state is loaded, not silently used.
    const opt = adamwScheduleFree(p);
    const sd = opt.stateDict();
    sd.paramGroups[0].warmupSteps = -3;
    expect(() => opt.loadStateDict(sd)).toThrow(
      'adamwScheduleFree: warmupSteps must be an integer in [0, inf), got -3',
    );
    expect(opt.paramGroups[0].warmupSteps).toBe(0);
  });

  it('β₁ = 1 is primal averaging: y = x, and eval() / train() move nothing', () => {
    const p = f64([1, -2, 0.5, 3]);
    const opt = adamwScheduleFree([p], { lr: 0.05, betas: [1, 0.999] });
    for (let t = 0; t < 4; t++) stepWith(opt, p);
    const y = Array.from(p.data);
    opt.eval?.();
    expect(Array.from(p.data)).toEqual(y);
  });

  it('is a plugin that registers both optimizers', () => {
    expect(scheduleFreePlugin.name).toBe('@nablajs/optim-schedulefree');
    usePlugin(scheduleFreePlugin);
    expect(createOptimizer('sgdScheduleFree', [f64([1])], { lr: 0.5 }).name).toBe('sgdScheduleFree');
    const opt = createOptimizer('adamwScheduleFree', [f64([1])], { lr: 0.01 });
    expect(opt.name).toBe('adamwScheduleFree');
    expect(opt.mode).toBe('train');
  });

  // Schedule-Free keeps its step counter k, lr_max and weight_sum per parameter group, as the reference
  // does, so a step in which only a's gradient exists advances the averaging weights b will use later: the
  // rule declares it couples its parameters, and null-grads checks that b does not move and that its own
  // z / v stay, not that its later trajectory equals a run without those steps.
  const rows = {
    sgdScheduleFree: [sgdScheduleFree, { lr: 1e-3 }, [{ momentum: 1.5 }, { warmupSteps: -1 }]],
    adamwScheduleFree: [adamwScheduleFree, { lr: 0.05 }, [{ betas: [0.9, 1.5] }, { innerMomentum: -0.1 }]],
  } as const;
  for (const [name, [factory, options, invalidOptions]] of Object.entries(rows))
    for (const dtype of ['float64', 'float32'] as const)
      it(`${name} passes the conformance suite (${dtype})`, () => {
        const result = checkOptimizerConformance(factory, {
          name,
          options,
          invalidOptions: [...invalidOptions],
          dtype,
        });
        expect(result.failures).toEqual([]);
        expect(result.passed).toContain('null-grads');
        expect(result.passed).toContain('train-eval');
      });

  it('declares its couplings: train/eval points and parameters coupled through the group', () => {
    expect(sgdScheduleFree([f64([1])]).couples).toEqual({ closure: false, global: true, trainEval: true });
  });
});
