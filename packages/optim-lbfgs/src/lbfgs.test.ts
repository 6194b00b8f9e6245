import { matmul, type Tensor, tensor } from '@nablajs/core';
import { createOptimizer, resetRegistry, usePlugin } from '@nablajs/optim';
import { checkOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import plugin, { lbfgs } from './index';

function rosenbrock(xy: Tensor): Tensor {
  const x = xy.slice([[0, 1]]);
  const y = xy.slice([[1, 2]]);
  return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100)).sum();
}

function setup(options: Parameters<typeof lbfgs>[1] = {}, start = [-1.5, 2], dtype: 'float32' | 'float64' = 'float64') {
  const xy = tensor(start, { dtype, requiresGrad: true });
  const opt = lbfgs([xy], options);
  let calls = 0;
  const closure = () => {
    calls++;
    opt.zeroGrad();
    const l = rosenbrock(xy);
    l.backward();
    return l;
  };
  return { xy, opt, closure, calls: () => calls };
}

describe('lbfgs', () => {
  afterEach(() => resetRegistry());

  it('minimises Rosenbrock with the strong Wolfe line search', () => {
    const { xy, opt, closure } = setup({ lineSearchFn: 'strong_wolfe' });
    for (let k = 0; k < 5; k++) opt.step(closure);
    expect(xy.data[0]).toBeCloseTo(1, 4);
    expect(xy.data[1]).toBeCloseTo(1, 4);
  });

  it('solves a quadratic in n iterations (conjugate directions) and then returns at once', () => {
    const A = tensor(
      [
        [4, 1, 0],
        [1, 3, 0.5],
        [0, 0.5, 2],
      ],
      { dtype: 'float64' },
    );
    const b = tensor([1, 2, 3], { dtype: 'float64' });
    const x = tensor([0, 0, 0], { dtype: 'float64', requiresGrad: true });
    const opt = lbfgs([x], { lineSearchFn: 'strong_wolfe', toleranceGrad: 1e-5 });
    const closure = () => {
      opt.zeroGrad();
      const l = x.dot(matmul(A, x)).mul(0.5).sub(b.dot(x));
      l.backward();
      return l;
    };
    opt.step(closure);
    const g = matmul(A, x).sub(b);
    expect(Math.max(...Array.from(g.data, Math.abs))).toBeLessThanOrEqual(1e-5);
    const evals = opt.funcEvals;
    const iters = opt.nIter;
    opt.step(closure);
    expect(opt.funcEvals).toBe(evals + 1);
    expect(opt.nIter).toBe(iters);
  });

  it('defaults to PyTorch: lr 1, maxIter 20, maxEval 25, tolerances, history 100, no line search', () => {
    const { opt } = setup();
    const { params: _p, ...hp } = opt.paramGroups[0];
    expect(hp).toEqual({
      lr: 1,
      maxIter: 20,
      maxEval: 25,
      toleranceGrad: 1e-7,
      toleranceChange: 1e-9,
      historySize: 100,
      lineSearchFn: null,
    });
    expect(setup({ maxIter: 7 }).opt.paramGroups[0].maxEval).toBe(8);
    expect(setup({ maxIter: 7, maxEval: 3 }).opt.paramGroups[0].maxEval).toBe(3);
  });

  it('caps the evaluations per step at maxIter (no re-evaluation after the last iteration) and maxEval', () => {
    const a = setup({ lr: 0.25, maxIter: 4 });
    a.opt.step(a.closure);
    expect(a.calls()).toBe(4);
    expect([a.opt.funcEvals, a.opt.nIter]).toEqual([4, 4]);
    const b = setup({ lr: 0.25, maxIter: 10, maxEval: 3 });
    b.opt.step(b.closure);
    expect(b.calls()).toBe(3);
    expect([b.opt.funcEvals, b.opt.nIter]).toEqual([3, 2]);
  });

  it('stepAsync is step on the cpu backend: the same first loss and the same point', async () => {
    const a = setup({ lineSearchFn: 'strong_wolfe' });
    const b = setup({ lineSearchFn: 'strong_wolfe' });
    for (let k = 0; k < 3; k++) expect(await a.opt.stepAsync(a.closure)).toBe(b.opt.step(b.closure));
    expect(Array.from(a.xy.values)).toEqual(Array.from(b.xy.values));
    expect(a.calls()).toBe(b.calls());
    await expect(a.opt.stepAsync()).rejects.toThrow(/lbfgs.step: .* needs a closure, got none/);
  });

  it('needs a closure and says so', () => {
    const { opt } = setup();
    expect(() => opt.step()).toThrow(
      /lbfgs.step: L-BFGS re-evaluates the loss several times per step and needs a closure, got none/,
    );
  });

  it('supports one parameter group only, as PyTorch', () => {
    const a = tensor([1], { dtype: 'float64', requiresGrad: true });
    const b = tensor([2], { dtype: 'float64', requiresGrad: true });
    expect(() => lbfgs([{ params: [a] }, { params: [b] }])).toThrow(
      "lbfgs: L-BFGS supports a single parameter group (as PyTorch's LBFGS), got 2; pass one list of parameters",
    );
    const opt = lbfgs([{ params: [a], lr: 0.5 }]);
    expect(opt.paramGroups[0].lr).toBe(0.5);
    expect(() => opt.addParamGroup({ params: [b] })).toThrow(
      /lbfgs.addParamGroup: L-BFGS supports a single parameter group/,
    );
  });

  it('validates its options and parameters', () => {
    const x = () => [tensor([1], { dtype: 'float64', requiresGrad: true })];
    expect(() => lbfgs(x(), { lr: -1 })).toThrow('lbfgs: lr must be in [0, inf), got -1');
    expect(() => lbfgs(x(), { maxIter: 0 })).toThrow('lbfgs: maxIter must be an integer in [1, inf), got 0');
    expect(() => lbfgs(x(), { maxEval: 2.5 })).toThrow('lbfgs: maxEval must be an integer in [1, inf), got 2.5');
    expect(() => lbfgs(x(), { historySize: 0 })).toThrow('lbfgs: historySize must be an integer in [1, inf), got 0');
    expect(() => lbfgs(x(), { toleranceGrad: -1 })).toThrow('lbfgs: toleranceGrad must be in [0, inf), got -1');
    expect(() => lbfgs(x(), { toleranceChange: Number.NaN })).toThrow(
      'lbfgs: toleranceChange must be in [0, inf), got NaN',
    );
    expect(() => lbfgs(x(), { lineSearchFn: 'armijo' as never })).toThrow(
      `lbfgs: lineSearchFn must be 'strong_wolfe' or null, got "armijo"`,
    );
    expect(() => lbfgs(x(), { momentum: 0.9 } as never)).toThrow(
      /lbfgs: unknown option "momentum" in options; valid options: lr, maxIter/,
    );
    expect(() => lbfgs([])).toThrow(/params must be a non-empty array/);
    expect(() =>
      lbfgs([
        tensor([1], { dtype: 'float64', requiresGrad: true }),
        tensor([1], { dtype: 'float32', requiresGrad: true }),
      ]),
    ).toThrow(/params\[1\] is float32 but params\[0\] is float64/);
  });

  it('reads the group hyperparameters at every step (lr set between steps takes effect)', () => {
    const a = setup({ lr: 0.25, maxIter: 3 });
    const b = setup({ lr: 0.25, maxIter: 3 });
    a.opt.step(a.closure);
    b.opt.step(b.closure);
    b.opt.paramGroups[0].lr = 0.05;
    a.opt.step(a.closure);
    b.opt.step(b.closure);
    expect(Array.from(b.xy.data)).not.toEqual(Array.from(a.xy.data));
    const c = setup({ lr: 0.25, maxIter: 3 });
    c.opt.step(c.closure);
    const [evals, iters] = [c.opt.funcEvals, c.opt.nIter];
    c.opt.paramGroups[0].maxIter = 1;
    c.opt.step(c.closure);
    expect([c.opt.funcEvals, c.opt.nIter]).toEqual([evals + 1, iters + 1]);
  });

  it('round-trips its state through JSON and continues bit for bit, counters included', () => {
    for (const lineSearchFn of [null, 'strong_wolfe'] as const) {
      const a = setup({ lr: 0.5, maxIter: 3, historySize: 2, lineSearchFn });
      a.opt.step(a.closure);
      a.opt.step(a.closure);
      const b = setup({ lr: 0.5, maxIter: 3, historySize: 2, lineSearchFn }, Array.from(a.xy.data));
      b.opt.loadStateDict(JSON.parse(JSON.stringify(a.opt.stateDict())));
      expect([b.opt.funcEvals, b.opt.nIter]).toEqual([a.opt.funcEvals, a.opt.nIter]);
      for (let k = 0; k < 3; k++) expect(b.opt.step(b.closure)).toBe(a.opt.step(a.closure));
      expect(Array.from(b.xy.data)).toEqual(Array.from(a.xy.data));
      expect(b.opt.stateDict()).toEqual(a.opt.stateDict());
    }
  });

  it('rejects a foreign or mismatched state and stays untouched', () => {
    const a = setup({ maxIter: 3, lr: 0.25 });
    a.opt.step(a.closure);
    const before = JSON.stringify(a.opt.stateDict());
    const sd = JSON.parse(before);
    expect(() => a.opt.loadStateDict({ ...sd, name: 'adam' })).toThrow(
      'lbfgs.loadStateDict: the state is from optimizer "adam", this one is "lbfgs"',
    );
    const other = lbfgs([tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true })], { maxIter: 3 });
    const c = () => {
      other.zeroGrad();
      const p = other.paramGroups[0].params[0];
      const l = p.square().sum();
      l.backward();
      return l;
    };
    other.step(c);
    expect(() => a.opt.loadStateDict(other.stateDict())).toThrow(
      /the saved state does not fit these parameters \(d: length 3, expected 2\)/,
    );
    const f32 = setup({ maxIter: 3 }, [-1.5, 2], 'float32');
    f32.opt.step(f32.closure);
    expect(() => a.opt.loadStateDict(f32.opt.stateDict())).toThrow(/d: Float32Array, expected Float64Array/);
    expect(() => a.opt.loadStateDict({ ...sd, paramGroups: [{ ...sd.paramGroups[0], historySize: 0 }] })).toThrow(
      /historySize must be an integer/,
    );
    expect(() => a.opt.loadStateDict({ ...sd, state: [{ ...sd.state[0], ro: [] }] })).toThrow(
      /history: 1 directions, 1 steps and 0 ro values/,
    );
    expect(JSON.stringify(a.opt.stateDict())).toBe(before);
  });

  it('fires hooks around the step and returns the first loss', () => {
    const { opt, closure } = setup({ maxIter: 3, lr: 0.1 });
    const events: string[] = [];
    const off = opt.onBeforeStep(() => events.push('before'));
    opt.onAfterStep(() => events.push('after'));
    const loss = opt.step(closure);
    expect(loss).toBe(rosenbrock(tensor([-1.5, 2], { dtype: 'float64' })).item());
    expect(events).toEqual(['before', 'after']);
    off();
    opt.step(closure);
    expect(events).toEqual(['before', 'after', 'after']);
  });

  it('runs in float32 with float32 buffers', () => {
    const { xy, opt, closure } = setup({ lineSearchFn: 'strong_wolfe' }, [-1.5, 2], 'float32');
    for (let k = 0; k < 4; k++) opt.step(closure);
    expect(xy.data).toBeInstanceOf(Float32Array);
    expect(xy.data[0]).toBeCloseTo(1, 3);
    expect((opt.stateDict().state[0] as { d: { $typed: string } }).d.$typed).toBe('float32');
  });

  it('treats a null gradient as zero, as PyTorch', () => {
    const x = tensor([2], { dtype: 'float64', requiresGrad: true });
    const unused = tensor([5], { dtype: 'float64', requiresGrad: true });
    const opt = lbfgs([x, unused], { maxIter: 5 });
    opt.step(() => {
      opt.zeroGrad();
      const l = x.square().sum();
      l.backward();
      return l;
    });
    expect(unused.grad).toBeNull();
    expect(unused.data[0]).toBe(5);
    expect(Math.abs(x.data[0])).toBeLessThan(2);
  });

  it('is a plugin that registers lbfgs', () => {
    usePlugin(plugin);
    const x = tensor([1], { dtype: 'float64', requiresGrad: true });
    expect(createOptimizer('lbfgs', [x], { lineSearchFn: 'strong_wolfe' }).name).toBe('lbfgs');
  });

  it('passes the conformance suite (one group only and null grads as zeros, like PyTorch: those checks are skipped)', () => {
    const result = checkOptimizerConformance(lbfgs, {
      name: 'lbfgs',
      options: { lineSearchFn: 'strong_wolfe' },
      invalidOptions: [{ maxIter: 0 }, { historySize: -1 }, { lineSearchFn: 'backtracking' }],
      steps: 5,
      skip: ['param-groups', 'null-grads'],
    });
    expect(result.failures).toEqual([]);
    expect(result.passed.length).toBe(11);
    const fixed = checkOptimizerConformance(lbfgs, {
      name: 'lbfgs',
      options: { lr: 0.1 },
      skip: ['param-groups', 'null-grads'],
    });
    expect(fixed.failures).toEqual([]);
  });
});
