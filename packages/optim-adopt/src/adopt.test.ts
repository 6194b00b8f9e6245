import { type Tensor, tensor, ValueError } from '@nablajs/core';
import {
  createOptimizer,
  decodeState,
  defineOptimizer,
  definePlugin,
  listOptimizers,
  lookahead,
  type Optimizer,
  resetRegistry,
  usePlugin,
} from '@nablajs/optim';
import { checkOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import adoptPlugin, {
  type AdoptClip,
  type AdoptState,
  adopt,
  adoptDefinition,
  defaultAdoptClip,
  scaleByAdopt,
} from './index';

const f64 = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });

function setGrad(p: Tensor, values: number[]): void {
  p.grad = tensor(values, { dtype: p.dtype });
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-14): void {
  expect(actual.length).toBe(expected.length);
  for (let j = 0; j < expected.length; j++)
    expect(Math.abs(actual[j] - expected[j])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[j])));
}

/** The state of scaleByAdopt (block 2 of the recipe) for group `g`, after a JSON round trip. */
function adoptState(opt: Optimizer, g = 0): AdoptState {
  const sd = JSON.parse(JSON.stringify(opt.stateDict()));
  return (decodeState(sd.state[g]) as unknown[])[2] as AdoptState;
}

/** Run `grads` (one array per step) through a fresh float64 parameter starting at `start`. */
function run(start: number[], grads: number[][], options: Parameters<typeof adopt>[1]): { p: Tensor; opt: Optimizer } {
  const p = f64(start);
  const opt = adopt([p], options);
  for (const g of grads) {
    setGrad(p, g);
    opt.step();
  }
  return { p, opt };
}

afterEach(() => resetRegistry());

describe('adopt: hand-computed steps (the authors’ adopt.py)', () => {
  it('first step only sets v = g², then normalises by the previous v, clips by t^0.25, lerps m', () => {
    const lr = 0.1;
    const [b1, b2] = [0.9, 0.99];
    const g1 = [2, -0.5];
    const g2 = [3, 0.25]; // |g2/g1| = 1.5 > 1 = clip(1): clipped; 0.5: not
    const g3 = [-1, 2]; // clip(2) = 2^0.25 ≈ 1.189
    const p = f64([1, -2]);
    const opt = adopt([p], { lr, betas: [b1, b2] });

    setGrad(p, g1);
    opt.step();
    expect(Array.from(p.data)).toEqual([1, -2]); // the first step moves nothing
    let s = adoptState(opt);
    expect(s.step).toEqual([1]);
    expect(Array.from(s.m[0])).toEqual([0, 0]);
    expect(Array.from(s.v[0])).toEqual([4, 0.25]);

    setGrad(p, g2);
    opt.step();
    const w = 1 - b1;
    const n2 = [Math.min(3 / 2, 1), 0.25 / 0.5]; // clip(1) = 1
    const m2 = n2.map((n) => w * n);
    const p2 = [1 - lr * m2[0], -2 - lr * m2[1]];
    const v2 = g1.map((g, j) => b2 * g * g + (1 - b2) * g2[j] * g2[j]);
    expectClose(p.data, p2);
    s = adoptState(opt);
    expect(s.step).toEqual([2]);
    expectClose(s.m[0], m2);
    expectClose(s.v[0], v2);

    setGrad(p, g3);
    opt.step();
    const c3 = 2 ** 0.25;
    const n3 = g3.map((g, j) => Math.max(-c3, Math.min(c3, g / Math.sqrt(v2[j]))));
    expect(Math.abs(g3[1] / Math.sqrt(v2[1]))).toBeGreaterThan(c3); // the second entry is clipped at t = 2
    const m3 = m2.map((m, j) => m + w * (n3[j] - m));
    expectClose(
      p.data,
      p2.map((x, j) => x - lr * m3[j]),
    );
    expect(adoptState(opt).step).toEqual([3]);
  });

  it('floors the denominator at eps (max(√v, ε), not √v + ε)', () => {
    const eps = 1e-6;
    const { p } = run([0], [[5e-7], [1e-7]], { lr: 1, eps, clipLambda: null });
    // √v = 5e-7 < ε: n = 1e-7 / 1e-6 = 0.1 (with √v + ε it would be 1e-7 / 1.5e-6).
    expectClose(p.data, [-(1 - 0.9) * (1e-7 / eps)]);
  });

  it('adds L2 decay to the gradient before everything, the first step’s v included', () => {
    const wd = 0.5;
    const { p, opt } = run([2, -1], [[0.3, 0.4]], { lr: 0.1, weightDecay: wd });
    expect(Array.from(p.data)).toEqual([2, -1]);
    expectClose(adoptState(opt).v[0], [(0.3 + wd * 2) ** 2, (0.4 - wd) ** 2]);
  });

  it('decays decoupled as p ← p - lr·λ·p before the update, skipped at the first step', () => {
    const [lr, wd] = [0.1, 0.5];
    const decayed = run([2, -1], [[0.3, 0.4]], { lr, weightDecay: wd, decouple: true });
    expect(Array.from(decayed.p.data)).toEqual([2, -1]); // no decay at the first step
    expectClose(adoptState(decayed.opt).v[0], [0.09, 0.16]); // and no L2 term in v
    const grads = [
      [0.3, 0.4],
      [0.6, -0.2],
      [0.1, 0.1],
    ];
    const a = run([2, -1], grads, { lr, weightDecay: wd, decouple: true });
    const b = run([2, -1], grads, { lr });
    // The same moments; each later step also takes lr·λ·p off the parameter it starts from.
    expectClose(adoptState(a.opt).m[0], Array.from(adoptState(b.opt).m[0]));
    const mb = [adoptState(run([2, -1], grads.slice(0, 2), { lr }).opt).m[0], adoptState(b.opt).m[0]];
    let x = [2, -1];
    for (const m of mb) x = x.map((v, j) => v - lr * wd * v - lr * m[j]);
    expectClose(a.p.data, x);
  });

  it('maximize negates the gradient first: the same as minimizing with -g', () => {
    const grads = [
      [0.3, -0.4],
      [0.5, 0.2],
      [-0.1, 0.7],
    ];
    const up = run([1, 2], grads, { lr: 0.05, weightDecay: 0.1, maximize: true });
    const down = run(
      [1, 2],
      grads.map((g) => g.map((x) => -x)),
      { lr: 0.05, weightDecay: 0.1 },
    );
    expect(Array.from(up.p.data)).toEqual(Array.from(down.p.data));
  });
});

describe('adopt: clipLambda (optimizer-wide, as the reference’s self.clip_lambda)', () => {
  it('is called with the steps taken before this one (1 at the second step), per parameter', () => {
    const seen: number[] = [];
    const a = f64([1]);
    const b = f64([1]);
    const opt = adopt([a, b], {
      clipLambda: (t) => {
        seen.push(t);
        return 1;
      },
    });
    setGrad(a, [1]);
    opt.step(); // a: first step, no call; b: no gradient
    setGrad(b, [1]);
    opt.step(); // a: t = 1; b: its first step, no call
    opt.step(); // a: t = 2; b: t = 1
    expect(seen).toEqual([1, 2, 1]);
    expect(adoptState(opt).step).toEqual([3, 2]);
  });

  it('null turns clipping off; a constant clips at that value; the default is t^0.25', () => {
    // v = 1 after the first step, so the second normalises g = 10 to n = 10; m = (1 - β₁)·clip(n), p = -m.
    const grads = [[1], [10]];
    expectClose(run([0], grads, { lr: 1, clipLambda: null }).p.data, [-0.1 * 10]);
    expectClose(run([0], grads, { lr: 1, clipLambda: () => 0.5 }).p.data, [-0.1 * 0.5]);
    expectClose(run([0], grads, { lr: 1 }).p.data, [-0.1 * 1]); // 1^0.25 = 1
    expect(defaultAdoptClip(16)).toBe(2);
    expect(defaultAdoptClip(1)).toBe(1);
  });

  it('is not a group hyperparameter: not in defaults, paramGroups or the state dict', () => {
    const opt = adopt([f64([1])], { clipLambda: () => 2, lr: 0.01 });
    expect(opt.defaults).not.toHaveProperty('clipLambda');
    expect(opt.paramGroups[0]).not.toHaveProperty('clipLambda');
    expect(JSON.stringify(opt.stateDict())).not.toContain('clip');
    expect(() => adopt([{ params: [f64([1])], clipLambda: null }])).toThrow(
      'adopt: unknown option "clipLambda" in parameter group 0',
    );
  });

  it('rejects a result that is not a number before the group’s state changes', () => {
    const p = f64([1, 2]);
    let value: unknown = 1;
    const opt = adopt([p], { clipLambda: () => value as number });
    setGrad(p, [0.5, 0.5]);
    opt.step();
    opt.step();
    const before = JSON.stringify(opt.stateDict());
    const data = Array.from(p.data);
    for (const [bad, shown] of [
      [Number.NaN, 'NaN'],
      ['1', '"1"'],
      [undefined, 'undefined'],
    ] as const) {
      value = bad;
      expect(() => opt.step()).toThrow(`adopt.step: clipLambda(2) returned ${shown}, expected a number (not NaN)`);
      expect(JSON.stringify(opt.stateDict())).toBe(before);
      expect(Array.from(p.data)).toEqual(data);
    }
    value = Number.POSITIVE_INFINITY; // no clipping at this step
    opt.step();
    expect(adoptState(opt).step).toEqual([3]);
  });
});

describe('adopt: options, groups, state and plugin', () => {
  it('has the reference’s defaults', () => {
    expect(adopt([f64([1])]).defaults).toEqual({
      lr: 1e-3,
      betas: [0.9, 0.9999],
      eps: 1e-6,
      weightDecay: 0,
      decouple: false,
      maximize: false,
    });
  });

  it('rejects invalid options, naming the option, and leaves the caller’s data alone', () => {
    const p = [f64([1])];
    const cases: [Record<string, unknown>, string][] = [
      [{ lr: -1 }, 'adopt: lr must be in [0, inf), got -1'],
      [{ betas: [0.9] }, 'adopt: betas must be an array of 2 numbers, got [0.9]'],
      [{ betas: [0.9, 1] }, 'adopt: betas[1] must be in [0, 1), got 1'],
      [{ betas: [-0.1, 0.9] }, 'adopt: betas[0] must be in [0, 1), got -0.1'],
      [{ eps: -1 }, 'adopt: eps must be in [0, inf), got -1'],
      [{ weightDecay: -0.1 }, 'adopt: weightDecay must be in [0, inf), got -0.1'],
      [{ decouple: 1 }, 'adopt: decouple must be true or false, got 1'],
      [{ maximize: 'yes' }, 'adopt: maximize must be true or false, got "yes"'],
      [{ clipLambda: 0.5 }, 'adopt: clipLambda must be a function of the step count (step) => number, or null'],
      [{ clipLambda: 'sqrt' }, 'got "sqrt"'],
      [{ clipLambda: () => 1, betas: [1, 0] }, 'adopt: betas[0] must be in [0, 1), got 1'],
      [{ amsgrad: true }, 'adopt: unknown option "amsgrad" in options'],
    ];
    for (const [options, message] of cases) {
      const copy = JSON.stringify(options);
      const error = (() => {
        try {
          adopt(p, options);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(error, copy).toBeInstanceOf(ValueError);
      expect((error as Error).message).toContain(message);
      expect(JSON.stringify(options)).toBe(copy);
    }
    expect(() => scaleByAdopt(0.5 as unknown as AdoptClip)).toThrow(
      'scaleByAdopt: clipLambda must be a function of the step count or null, got 0.5',
    );
    const options = { clipLambda: () => 1, betas: [0.8, 0.9] };
    adopt(p, options);
    expect(Object.keys(options)).toEqual(['clipLambda', 'betas']);
    expect(options.betas).toEqual([0.8, 0.9]);
    expect(Array.from(p[0].data)).toEqual([1]);
  });

  it('takes per-group overrides: each group steps as its own optimizer would', () => {
    const grads = [
      [0.3, -0.2],
      [0.5, 0.1],
      [-0.4, 0.6],
      [0.2, 0.2],
    ];
    const a = f64([1, 2]);
    const b = f64([-1, 0.5]);
    const override = { lr: 0.05, betas: [0.5, 0.9], eps: 1e-3, weightDecay: 0.2, decouple: true, maximize: true };
    const opt = adopt([{ params: [a] }, { params: [b], ...override }], { lr: 0.01, weightDecay: 0.1 });
    const aloneA = run([1, 2], grads, { lr: 0.01, weightDecay: 0.1 }).p;
    const aloneB = run([-1, 0.5], grads, { ...override }).p;
    for (const g of grads) {
      setGrad(a, g);
      setGrad(b, g);
      opt.step();
    }
    expect(opt.paramGroups[1].betas).toEqual([0.5, 0.9]);
    expect(Array.from(a.data)).toEqual(Array.from(aloneA.data));
    expect(Array.from(b.data)).toEqual(Array.from(aloneB.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
  });

  it('round-trips its state dict through JSON and continues bit for bit (custom clip given again)', () => {
    const clip = (t: number) => 0.3 * t;
    const grads = (k: number) => [Math.sin(k), Math.cos(2 * k), 0.1 * k];
    const p = f64([1, -1, 0.5]);
    const opt = adopt([p], { lr: 0.05, clipLambda: clip, weightDecay: 0.01, decouple: true });
    for (let k = 1; k <= 3; k++) {
      setGrad(p, grads(k));
      opt.step();
    }
    const saved = JSON.parse(JSON.stringify(opt.stateDict()));
    const q = f64(Array.from(p.data));
    const copy = adopt([q], { lr: 0.05, clipLambda: clip, weightDecay: 0.01, decouple: true });
    copy.loadStateDict(saved);
    expect(adoptState(copy)).toEqual(adoptState(opt));
    for (let k = 4; k <= 7; k++) {
      setGrad(p, grads(k));
      setGrad(q, grads(k));
      opt.step();
      copy.step();
    }
    expect(Array.from(q.data)).toEqual(Array.from(p.data));
    expect(adoptState(copy).step).toEqual([7]);
  });

  it('passes the conformance suite with the default clip, no clip, a custom clip, decay and float32', () => {
    const rows: [Record<string, unknown>, ('float32' | 'float64')?][] = [
      [{ lr: 0.01 }],
      [{ lr: 0.01, clipLambda: null, weightDecay: 0.01 }],
      [{ lr: 0.01, clipLambda: (t: number) => 0.5 + t, weightDecay: 0.05, decouple: true }],
      [{ lr: 0.01, betas: [0.5, 0.9], eps: 1e-3 }, 'float32'],
    ];
    for (const [options, dtype] of rows) {
      const result = checkOptimizerConformance(adopt, {
        name: 'adopt',
        options,
        dtype,
        invalidOptions: [{ betas: [0.9, 1] }, { clipLambda: 5 }, { decouple: 'yes' }, { eps: -1 }],
      });
      expect(result.failures).toEqual([]);
    }
  });

  it('registers adopt through its plugin; wrappers take it by name, and a factory made from adoptDefinition', () => {
    usePlugin(adoptPlugin);
    expect(adoptPlugin.name).toBe('@nablajs/optim-adopt');
    expect(listOptimizers()).toContain('adopt');
    const opt = createOptimizer('adopt', [f64([1, 2])], { clipLambda: null, lr: 0.01 });
    expect(opt.name).toBe('adopt');
    expect(opt.paramGroups[0].lr).toBe(0.01);
    // wrappers take 'adopt' by name with the default clip (the declared definition), and refuse a clipLambda
    const wrappedP = f64([1, 2]);
    const byName = lookahead([wrappedP], { inner: 'adopt', innerOptions: { lr: 0.02 }, k: 10 });
    expect(byName.paramGroups[0].inner).toBe('adopt');
    const plain = run([1, 2], [], { lr: 0.02 });
    for (const g of [
      [0.3, -0.2],
      [0.5, 0.1],
      [-0.4, 0.6],
    ]) {
      setGrad(wrappedP, g);
      setGrad(plain.p, g);
      byName.step();
      plain.opt.step();
    }
    // before Lookahead's first synchronisation (k = 10) the fast weights are plain ADOPT's, default clip
    expect(Array.from(wrappedP.data)).toEqual(Array.from(plain.p.data));
    expect(wrappedP.data[0]).not.toBe(1);
    expect(() => lookahead([f64([1])], { inner: 'adopt', innerOptions: { clipLambda: null } })).toThrow(/clipLambda/);

    const adoptRule = defineOptimizer(adoptDefinition(() => 0.5));
    usePlugin(definePlugin({ name: 'adopt-rule', optimizers: { adoptRule } }));
    const grads = [
      [0.3, -0.2],
      [0.5, 0.1],
      [-0.4, 0.6],
    ];
    const viaDefinition = f64([1, 2]);
    const ruleOpt = adoptRule([viaDefinition], { lr: 0.02 });
    const direct = run([1, 2], [], { lr: 0.02, clipLambda: () => 0.5 });
    for (const g of grads) {
      setGrad(viaDefinition, g);
      setGrad(direct.p, g);
      ruleOpt.step();
      direct.opt.step();
    }
    expect(Array.from(viaDefinition.data)).toEqual(Array.from(direct.p.data));
    const wrapped = lookahead([f64([1, 2])], { inner: 'adoptRule', lr: 0.02, k: 2 });
    expect(wrapped.paramGroups[0].inner).toBe('adoptRule');
  });
});
