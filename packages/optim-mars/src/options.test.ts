import { type Tensor, tensor } from '@nablajs/core';
import { createOptimizer, decodeState, listOptimizers, type Optimizer, resetRegistry, usePlugin } from '@nablajs/optim';
import { checkOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import marsPlugin, { type MarsOptions, type MarsState, mars } from './index';

const f64 = (values: number[], shape?: number[]) =>
  tensor(values, { dtype: 'float64', requiresGrad: true, shape: shape ?? [values.length] });

function setGrad(p: Tensor, values: number[]): void {
  p.grad = tensor(values, { dtype: p.dtype, shape: p.shape });
}

function marsState(opt: Optimizer, g = 0): MarsState {
  return (decodeState(opt.stateDict().state[g]) as unknown[])[0] as MarsState;
}

/** Gradients that change sign and size from step to step (so that every hyperparameter matters). */
const gradAt = (t: number, n: number) => Array.from({ length: n }, (_, j) => Math.sin(1.3 * t + j) * (1 + (j % 3)));

/** The values of each parameter after `steps` steps of `mars(shapes..., options)` from a fixed start. */
function run(options: MarsOptions, shapes: number[][] = [[2, 3], [3], [2, 1, 2]], steps = 4): number[][] {
  const params = shapes.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return f64(
      Array.from({ length: n }, (_, j) => 0.5 - 0.3 * j),
      shape,
    );
  });
  const opt = mars(params, options);
  for (let t = 1; t <= steps; t++) {
    for (const p of params) setGrad(p, gradAt(t, p.size));
    opt.step();
  }
  return params.map((p) => Array.from(p.data));
}

afterEach(() => resetRegistry());

describe('mars: options', () => {
  it('has the authors’ defaults', () => {
    expect(mars([f64([1])]).defaults).toEqual({
      lr: 3e-3,
      betas: [0.95, 0.99],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
      gamma: 0.025,
      marsType: 'mars-adamw',
      optimize1d: false,
      lr1d: 3e-3,
      betas1d: [0.9, 0.95],
      weightDecay1d: 0.1,
    });
  });

  it('rejects invalid options, naming the function, the option and the value; the caller’s data untouched', () => {
    const p = f64([1, 2]);
    const bad: [Record<string, unknown>, string][] = [
      [{ lr: -1 }, 'mars: lr must be in [0, inf), got -1'],
      [{ betas: [0.9] }, 'mars: betas must be an array of 2 numbers, got [0.9]'],
      [{ betas: [0.9, 1] }, 'mars: betas[1] must be in [0, 1), got 1'],
      [{ eps: -1e-8 }, 'mars: eps must be in [0, inf), got -1e-8'],
      [{ weightDecay: -0.1 }, 'mars: weightDecay must be in [0, inf), got -0.1'],
      [{ amsgrad: 1 }, 'mars: amsgrad must be true or false, got 1'],
      [{ gamma: -0.5 }, 'mars: gamma must be in [0, inf), got -0.5'],
      [{ marsType: 'mars-sgd' }, `mars: marsType must be 'mars-adamw', 'mars-lion' or 'mars-shampoo', got "mars-sgd"`],
      [{ optimize1d: 'yes' }, 'mars: optimize1d must be true or false, got "yes"'],
      [{ lr1d: Number.NaN }, 'mars: lr1d must be in [0, inf), got NaN'],
      [{ betas1d: [-0.1, 0.9] }, 'mars: betas1d[0] must be in [0, 1), got -0.1'],
      [{ weightDecay1d: -1 }, 'mars: weightDecay1d must be in [0, inf), got -1'],
      [{ isApprox: false }, 'mars: unknown option "isApprox"'],
    ];
    for (const [options, message] of bad) {
      const copy = structuredClone(options);
      expect(() => mars([p], options as MarsOptions)).toThrow(message);
      expect(options).toEqual(copy);
    }
    expect(() => mars([{ params: [p], betas1d: [0.9, 1.5] }])).toThrow('mars: betas1d[1] must be in [0, 1), got 1.5');
    expect(Array.from(p.data)).toEqual([1, 2]);
    expect(p.grad).toBeNull();
  });

  it('passes the conformance suite for every marsType, with optimize1d and amsgrad', () => {
    // Without optimize1d the testkit's vectors take the AdamW branch, where lr₀ cancels the created lr
    // and weightDecay and gamma do not act: check the hyperparameters of the branch they take.
    const branch1d = ['lr1d', 'weightDecay1d', 'eps'];
    const branchMars = ['lr', 'weightDecay', 'gamma', 'eps'];
    for (const [options, hyperparams] of [
      [{ lr: 0.01 }, branch1d],
      [{ lr: 0.01, optimize1d: true, amsgrad: true, weightDecay: 0.01 }, branchMars],
      [{ lr: 0.01, marsType: 'mars-lion', optimize1d: true }, ['lr']],
      [{ lr: 0.01, marsType: 'mars-shampoo', optimize1d: true }, branchMars],
    ] as [Record<string, unknown>, string[]][]) {
      const result = checkOptimizerConformance(mars, {
        name: 'mars',
        options,
        invalidOptions: [{ betas: [0.9, 1] }, { marsType: 'adam' }, { gamma: -1 }, { betas1d: [0.9] }],
        hyperparams,
      });
      expect(result.failures).toEqual([]);
    }
  });

  it('passes the conformance suite with the testkit’s default hyperparameters, in float64 and float32', () => {
    const rows: [Record<string, unknown>, 'float64' | 'float32'][] = [
      [{ lr: 0.01 }, 'float64'],
      [{ lr: 0.01, optimize1d: true, amsgrad: true, weightDecay: 0.01 }, 'float32'],
      [{ lr: 0.01, marsType: 'mars-shampoo' }, 'float32'],
    ];
    for (const [options, dtype] of rows) {
      const invalidOptions = [{ marsType: 'adam' }, { betas1d: [0.9, 1] }];
      const result = checkOptimizerConformance(mars, { name: 'mars', options, dtype, invalidOptions });
      expect(result.failures).toEqual([]);
      expect(result.skipped).toEqual([]);
    }
  });

  it('every option changes the steps', () => {
    const base = run({ lr: 0.01, weightDecay: 0.1 });
    const changes: MarsOptions[] = [
      { lr: 0.02 },
      { betas: [0.9, 0.99] },
      { betas: [0.95, 0.9] },
      { eps: 1e-1 },
      { weightDecay: 0.3 },
      { amsgrad: true },
      { gamma: 0.2 },
      { marsType: 'mars-lion' },
      { marsType: 'mars-shampoo' },
      { optimize1d: true },
      { lr1d: 0.01 },
      { betas1d: [0.5, 0.95] },
      { betas1d: [0.9, 0.5] },
      { weightDecay1d: 0.5 },
    ];
    for (const change of changes) {
      const other = run({ lr: 0.01, weightDecay: 0.1, ...change });
      expect(other, JSON.stringify(change)).not.toEqual(base);
    }
  });

  it('takes the MARS branch for ndim 2 only: a 3-D tensor steps as the same values as a vector (AdamW branch)', () => {
    for (const optimize1d of [false, true]) {
      const [cube] = run({ lr: 0.05, gamma: 0.5, optimize1d }, [[2, 1, 2]]);
      const [vector] = run({ lr: 0.05, gamma: 0.5, optimize1d }, [[4]]);
      const [matrix] = run({ lr: 0.05, gamma: 0.5, optimize1d }, [[2, 2]]);
      expect(cube).toEqual(vector);
      // MARS-AdamW is elementwise but for the clip: with optimize1d, every shape takes it alike.
      if (optimize1d) expect(matrix).toEqual(vector);
      else expect(matrix).not.toEqual(vector);
    }
  });

  it('decays matrices by lr·weightDecay and the others by lr·lr1d/lr₀·weightDecay1d (zero gradients)', () => {
    const w = f64([2, -4], [1, 2]);
    const b = f64([2, -4]);
    const opt = mars([w, b], { lr: 0.1, weightDecay: 0.5, lr1d: 0.02, weightDecay1d: 0.25 });
    for (let t = 1; t <= 3; t++) {
      setGrad(w, [0, 0]);
      setGrad(b, [0, 0]);
      opt.step();
      const kw = (1 - 0.1 * 0.5) ** t;
      const kb = (1 - 0.02 * 0.25) ** t;
      expect(Array.from(w.data).map((x, j) => x / [2, -4][j])).toEqual([kw, kw].map((k) => expect.closeTo(k, 14)));
      expect(Array.from(b.data).map((x, j) => x / [2, -4][j])).toEqual([kb, kb].map((k) => expect.closeTo(k, 14)));
    }
  });

  it('scales the 1-D learning rate with the group’s lr, relative to the lr the group was made with', () => {
    // Zero gradients: each step multiplies a vector by 1 - lr1d·(lr/lr₀)·weightDecay1d.
    const b = f64([1]);
    const c = f64([1]);
    const opt = mars([{ params: [b] }, { params: [c], lr: 0.5 }], { lr: 0.1, lr1d: 0.04, weightDecay1d: 1 });
    expect(marsState(opt, 0).initialLr).toBe(0.1);
    expect(marsState(opt, 1).initialLr).toBe(0.5);
    const stepBoth = () => {
      setGrad(b, [0]);
      setGrad(c, [0]);
      opt.step();
    };
    stepBoth();
    expect(b.data[0]).toBeCloseTo(1 - 0.04, 15);
    expect(c.data[0]).toBeCloseTo(1 - 0.04, 15); // lr₀ is the group's own lr
    opt.paramGroups[0].lr = 0.05; // a scheduler halves lr: the 1-D rate halves too
    opt.paramGroups[1].lr1d = 0.08; // lr1d is read at every step
    stepBoth();
    expect(b.data[0]).toBeCloseTo((1 - 0.04) * (1 - 0.02), 15);
    expect(c.data[0]).toBeCloseTo((1 - 0.04) * (1 - 0.08), 15);
  });

  it('per-group hyperparameters: overrides act on their group only; a group with lr 0 stays still', () => {
    const shapes = [[2, 2], [2]];
    const init = (n: number) => Array.from({ length: n }, (_, j) => 1 - 0.4 * j);
    const a = [f64(init(4), shapes[0]), f64(init(2))];
    const b = [f64(init(4), shapes[0]), f64(init(2))];
    const opt = mars(
      [
        { params: a, marsType: 'mars-lion', weightDecay: 0.2, lr: 0.02 },
        { params: b, lr: 0 },
      ],
      { lr: 0.01 },
    );
    const alone = [f64(init(4), shapes[0]), f64(init(2))];
    const ref = mars([{ params: alone, marsType: 'mars-lion', weightDecay: 0.2, lr: 0.02 }], { lr: 0.01 });
    for (let t = 1; t <= 3; t++) {
      for (const p of [...a, ...b, ...alone]) setGrad(p, gradAt(t, p.size));
      opt.step();
      ref.step();
    }
    expect(a.map((p) => Array.from(p.data))).toEqual(alone.map((p) => Array.from(p.data)));
    expect(b.map((p) => Array.from(p.data))).toEqual([init(4), init(2)]);
    expect(marsState(opt, 1).step).toEqual([3, 3]);
  });

  it('amsgrad keeps the running maximum of v in the state; a parameter without a gradient does not advance', () => {
    const w = f64([1, -1], [1, 2]);
    const v = f64([0.5]);
    // The same gradient twice: c_t = (1 + γ·β₁/(1-β₁))·g, then g, so v falls at step 2 (β₂ = 0.5).
    const opt = mars([w, v], { amsgrad: true, lr: 0.01, betas: [0.9, 0.5], gamma: 0.2 });
    setGrad(w, [0.3, -0.1]);
    setGrad(v, [2]);
    opt.step();
    setGrad(w, [0.3, -0.1]);
    v.grad = null;
    opt.step();
    const s = marsState(opt);
    expect(s.step).toEqual([2, 1]);
    const max = s.maxExpAvgSq[0] as ArrayLike<number>;
    for (let j = 0; j < 2; j++) expect(max[j]).toBeGreaterThan(s.expAvgSq[0][j]);
    expect(Array.from(s.maxExpAvgSq[1] as ArrayLike<number>)).toEqual(Array.from(s.expAvgSq[1]));
  });

  it('round-trips its state dict through JSON and continues bit for bit', () => {
    const make = () => [f64([0.3, -0.7, 1.1, 0.2], [2, 2]), f64([0.4, -0.1]), f64([1, 2, 3, 4], [1, 2, 2])];
    const options: MarsOptions = { lr: 0.02, amsgrad: true, weightDecay: 0.05 };
    const ps = make();
    const qs = make();
    const opt = mars(ps, options);
    const stepWith = (o: Optimizer, params: Tensor[], t: number) => {
      for (const p of params) setGrad(p, gradAt(t, p.size));
      o.step();
    };
    for (let t = 1; t <= 3; t++) stepWith(opt, ps, t);
    for (const [i, q] of qs.entries()) q.data.set(ps[i].data);
    const restored = mars(qs, { ...options, lr: 0.5 }); // the group's lr and lr₀ come from the state dict
    restored.loadStateDict(JSON.parse(JSON.stringify(opt.stateDict())));
    expect(restored.paramGroups[0].lr).toBe(0.02);
    expect(marsState(restored).initialLr).toBe(0.02);
    for (let t = 4; t <= 6; t++) {
      stepWith(opt, ps, t);
      stepWith(restored, qs, t);
    }
    expect(qs.map((q) => Array.from(q.data))).toEqual(ps.map((p) => Array.from(p.data)));
  });

  it('registers mars through its plugin', () => {
    usePlugin(marsPlugin);
    expect(marsPlugin.name).toBe('@nablajs/optim-mars');
    expect(listOptimizers()).toContain('mars');
    const opt = createOptimizer('mars', [f64([1, 2])], { marsType: 'mars-lion' });
    expect(opt.paramGroups[0].marsType).toBe('mars-lion');
  });
});
