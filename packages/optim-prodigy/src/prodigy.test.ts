import { type Tensor, tensor, ValueError } from '@nablajs/core';
import {
  chain,
  clipByGlobalNorm,
  createOptimizer,
  decodeState,
  defineOptimizer,
  definitionOf,
  lookahead,
  type Optimizer,
  type OptimizerStateDict,
  resetRegistry,
  stepContext,
  usePlugin,
} from '@nablajs/optim';
import { checkOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import prodigyPlugin, { type ProdigyState, prodigy, prodigyD, prodigyStats, scaleByProdigy } from './index';

const f64 = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });

function setGrad(p: Tensor, values: number[]): void {
  p.grad = tensor(values, { dtype: p.dtype });
}

/** The rule state of group `g`, decoded from the state dict. */
function groupState(opt: Optimizer, g = 0): ProdigyState {
  return decodeState(opt.stateDict().state[g]) as ProdigyState;
}

/** A loss over two parameters whose gradients differ in scale and sign. */
function loss(a: Tensor, b: Tensor): Tensor {
  return a
    .sub(tensor([1, -2, 0.5], { dtype: a.dtype }))
    .square()
    .sum()
    .add(b.mul(3).sin().sum());
}

function run(opt: Optimizer, a: Tensor, b: Tensor, steps: number): void {
  for (let k = 0; k < steps; k++) {
    opt.zeroGrad();
    loss(a, b).backward();
    opt.step();
  }
}

afterEach(() => resetRegistry());

describe('prodigy: a hand-derived run (the reference algorithm, by hand)', () => {
  it('four steps: no estimate at first, a step that moves nothing, then d grows and enters the new d·eps', () => {
    // d0 = 1, lr = 1, betas [0.5, 0.75], beta3 0.5, eps 0.25; x0 = 2. Then d/d0 = d and dlr = d.
    const p = f64([2]);
    const opt = prodigy([p], { d0: 1, betas: [0.5, 0.75], beta3: 0.5, eps: 0.25 });

    // Step 1, g = 2: the numerator is g·(x0 - x) = 0. m = 0.5·1·2 = 1, v = 0.25·1·4 = 1, s = 1·2 = 2.
    // d̂ = 0/2 = 0, so d stays 1 (= d0). p = 2 - 1·1/(√1 + 1·0.25) = 2 - 0.8 = 1.2.
    setGrad(p, [2]);
    opt.step();
    expect(p.data[0]).toBeCloseTo(1.2, 15);
    expect(prodigyStats(opt)).toEqual({ d: 1, dMax: 1, dHat: 0, dNumerator: 0, dDenom: 2, k: 1 });

    // Step 2, g = -1: m = 0.5·1 + 0.5·(-1) = 0, v = 0.75 + 0.25 = 1, s = 0.5·2 - 1 = 0. Σ‖s‖₁ = 0: the
    // reference returns early: p, d, d_numerator and k stay; m, v, s keep their new values; step stays 1.
    setGrad(p, [-1]);
    opt.step();
    expect(p.data[0]).toBeCloseTo(1.2, 15);
    expect(prodigyStats(opt)).toEqual({ d: 1, dMax: 1, dHat: 0, dNumerator: 0, dDenom: 2, k: 1 });
    let st = groupState(opt);
    expect([st.expAvg[0]?.[0], st.expAvgSq[0]?.[0], st.s[0]?.[0], st.step[0]]).toEqual([0, 1, 0, 1]);

    // Step 3, g = 1: numerator 0·0.5 + 1·(2 - 1.2) = 0.8; m = 0.5, v = 1, s = 1, d̂ = 0.8 < d = 1: d stays.
    // p = 1.2 - 1·0.5/1.25 = 0.8.
    setGrad(p, [1]);
    opt.step();
    expect(p.data[0]).toBeCloseTo(0.8, 15);
    let stats = prodigyStats(opt);
    expect(stats.d).toBe(1);
    expect(stats.dHat).toBeCloseTo(0.8, 15);
    expect(stats.k).toBe(2);

    // Step 4, g = 1: numerator 0.8·0.5 + 1·(2 - 0.8) = 1.6; m = 0.75, v = 1, s = 1.5; d̂ = 1.6/1.5 = 16/15.
    // d = d0 still, so d = max(1, 16/15) = 16/15 (= dMax). The step uses the old d in dlr = 1 and the new one
    // in the denominator: p = 0.8 - 1·0.75/(1 + (16/15)·0.25) = 0.8 - 0.75·15/19.
    setGrad(p, [1]);
    opt.step();
    expect(p.data[0]).toBeCloseTo(0.8 - (0.75 * 15) / 19, 14);
    stats = prodigyStats(opt);
    expect(stats.d).toBeCloseTo(16 / 15, 15);
    expect(stats.dMax).toBeCloseTo(16 / 15, 15);
    expect(stats.dNumerator).toBeCloseTo(1.6, 15);
    expect(stats.dDenom).toBeCloseTo(1.5, 15);
    expect(stats.k).toBe(3);
    st = groupState(opt);
    expect(Array.from(st.p0[0] ?? [])).toEqual([2]);
    expect(st.step[0]).toBe(3);
  });

  it('the growth rate caps d after its first estimate, which jumps from d0 unbounded', () => {
    // Same start, growthRate 1.01, and gradients that keep pointing the same way so d̂ keeps growing.
    const run = (growthRate: number) => {
      const p = f64([5]);
      const opt = prodigy([p], { d0: 1e-3, growthRate });
      const ds: number[] = [];
      for (let k = 0; k < 8; k++) {
        setGrad(p, [1]);
        opt.step();
        ds.push(prodigyD(opt));
      }
      return ds;
    };
    const free = run(Number.POSITIVE_INFINITY);
    const capped = run(1.01);
    // Steps 1 and 2 are the same (d̂ ≤ d0 at step 1; step 2 jumps from d = d0 without the cap).
    expect(capped.slice(0, 2)).toEqual(free.slice(0, 2));
    expect(free[1]).toBeGreaterThan(1.5e-3);
    for (let k = 2; k < 8; k++) {
      expect(capped[k]).toBeCloseTo(capped[k - 1] * 1.01, 15);
      expect(capped[k]).toBeLessThan(free[k]);
    }
  });

  it('decoupled weight decay: p ← p - wd·d·lr·p, then the Adam step; L2 adds wd·p to the gradient', () => {
    // One step from x = 2, g = 0.5, d0 = 1 (so dlr = 1): the Adam part of the step is the same with and
    // without decoupled decay, which subtracts 0.1·dlr·x = 0.2 more.
    const step = (options: Parameters<typeof prodigy>[1]) => {
      const p = f64([2]);
      const opt = prodigy([p], { d0: 1, ...options });
      setGrad(p, [0.5]);
      opt.step();
      return p.data[0];
    };
    const plain = step({});
    expect(step({ weightDecay: 0.1 })).toBeCloseTo(plain - 0.1 * 2, 15);
    // L2: g = 0.5 + 0.1·2 = 0.7. At the first step m/√v = (1-β1)·g/(√(1-β2)·|g|) does not depend on |g|,
    // so only eps (scaled by d = 1) tells the two apart: the L2 step is slightly larger.
    const l2 = step({ weightDecay: 0.1, decouple: false });
    expect(l2).toBeLessThan(plain);
    expect(l2).toBeCloseTo(2 - (0.1 / (Math.sqrt(0.001) * 0.7 + 1e-8)) * 0.7, 12);
  });
});

describe('prodigy: d is one statistic over every parameter of every group', () => {
  it('two groups with the same hyperparameters step exactly like one group holding both', () => {
    const [a1, b1, a2, b2] = [f64([0.5, -1, 2]), f64([1, 2, -0.5]), f64([0.5, -1, 2]), f64([1, 2, -0.5])];
    const split = prodigy([{ params: [a1] }, { params: [b1] }], { weightDecay: 0.01 });
    const joint = prodigy([a2, b2], { weightDecay: 0.01 });
    run(split, a1, b1, 12);
    run(joint, a2, b2, 12);
    expect(Array.from(a1.data)).toEqual(Array.from(a2.data));
    expect(Array.from(b1.data)).toEqual(Array.from(b2.data));
    expect(prodigyStats(split)).toEqual(prodigyStats(joint));
    // One global statistic, not one per group.
    const sd = split.stateDict();
    expect(Object.keys(sd.global as object).sort()).toEqual(
      ['prodigy.d', 'prodigy.dDenom', 'prodigy.dHat', 'prodigy.dMax', 'prodigy.dNumerator', 'prodigy.k'].sort(),
    );
  });

  it('a group with lr 0 is left out of d: the other group steps as if alone; without decay it does not move', () => {
    const [a, b, b2] = [f64([0.5, -1, 2]), f64([1, 2, -0.5]), f64([1, 2, -0.5])];
    const a0 = Array.from(a.data);
    const opt = prodigy([{ params: [a], lr: 0 }, { params: [b] }]);
    const alone = prodigy([b2]);
    for (let k = 0; k < 10; k++) {
      opt.zeroGrad();
      loss(a, b).backward();
      opt.step();
      alone.zeroGrad();
      loss(a, b2).backward();
      alone.step();
    }
    expect(Array.from(a.data)).toEqual(a0);
    expect(Array.from(b.data)).toEqual(Array.from(b2.data));
    expect(prodigyD(opt)).toBe(prodigyD(alone));
    // Its m, v and s stay 0 but it has a state (x0 and step count), as in the reference.
    const st = groupState(opt, 0);
    expect(Array.from(st.expAvg[0] ?? [])).toEqual([0, 0, 0]);
    expect(Array.from(st.s[0] ?? [])).toEqual([0, 0, 0]);
    expect(st.step[0]).toBe(10);
  });

  it('a group with lr 0 still gets the decoupled weight decay, scaled by d and the largest lr (the reference)', () => {
    const [a, b] = [f64([0.5, -1, 2]), f64([1, 2, -0.5])];
    const opt = prodigy(
      [
        { params: [a], lr: 0 },
        { params: [b], lr: 2 },
      ],
      { weightDecay: 0.1, d0: 1e-2 },
    );
    opt.zeroGrad();
    loss(a, b).backward();
    opt.step();
    // p ← p - 0.1·dlr·p with dlr = d0·2 (the largest lr), and m = 0 for the lr-0 group.
    const factor = 1 - 0.1 * 1e-2 * 2;
    [0.5, -1, 2].forEach((v, j) => {
      expect(a.data[j]).toBeCloseTo(v * factor, 15);
    });
  });

  it('rejects a step where a group has an lr other than the largest or 0, naming lr, before changing anything', () => {
    const [a, b] = [f64([0.5, -1, 2]), f64([1, 2, -0.5])];
    const opt = prodigy([{ params: [a] }, { params: [b] }]);
    run(opt, a, b, 3);
    const before = JSON.stringify(opt.stateDict());
    const values = [Array.from(a.data), Array.from(b.data)];
    opt.paramGroups[1].lr = 0.5;
    opt.zeroGrad();
    loss(a, b).backward();
    expect(() => opt.step()).toThrow(ValueError);
    expect(() => opt.step()).toThrow(
      'prodigy: lr of parameter group 1 is 0.5, but Prodigy shares one step size d across groups: every group',
    );
    opt.paramGroups[1].lr = 1;
    expect(JSON.stringify(opt.stateDict())).toBe(before);
    expect([Array.from(a.data), Array.from(b.data)]).toEqual(values);
    // A scheduler that scales every group's lr together is fine; so is lr 0 for a group.
    opt.paramGroups[0].lr = 0.5;
    opt.paramGroups[1].lr = 0.5;
    opt.step();
    opt.paramGroups[0].lr = 0;
    opt.step();
    expect(prodigyStats(opt).k).toBe(5);
  });

  it('reads betas, beta3, dCoef, growthRate, decouple and the bias correction from the first group', () => {
    const make = (second: Record<string, unknown>) => {
      const [a, b] = [f64([0.5, -1, 2]), f64([1, 2, -0.5])];
      const opt = prodigy([{ params: [a] }, { params: [b], ...second }]);
      run(opt, a, b, 6);
      return [...a.data, ...b.data];
    };
    const base = make({});
    expect(make({ betas: [0.5, 0.9], beta3: 0.3, dCoef: 3, growthRate: 1.001, useBiasCorrection: true })).toEqual(base);
    expect(make({ eps: 1e-3 })).not.toEqual(base);
  });
});

describe('prodigy: parameters without gradients', () => {
  it('are skipped entirely: no share in d, no state, no move; x0 is the value at their first gradient', () => {
    const [a, b, a2] = [f64([0.5, -1, 2]), f64([1, 2, -0.5]), f64([0.5, -1, 2])];
    const opt = prodigy([a, b]);
    const alone = prodigy([a2]);
    const fa = (p: Tensor) =>
      p
        .sub(tensor([1, -2, 0.5], { dtype: 'float64' }))
        .square()
        .sum();
    for (let k = 0; k < 5; k++) {
      opt.zeroGrad();
      fa(a).backward();
      opt.step();
      alone.zeroGrad();
      fa(a2).backward();
      alone.step();
    }
    expect(Array.from(a.data)).toEqual(Array.from(a2.data));
    expect(Array.from(b.data)).toEqual([1, 2, -0.5]);
    const st = groupState(opt);
    expect([st.p0[1], st.s[1], st.expAvg[1], st.expAvgSq[1], st.step[1]]).toEqual([null, null, null, null, 0]);
    // Weights loaded after construction: x0 is what b holds at its first step with a gradient.
    b.data.set([3, -3, 0.25]);
    opt.zeroGrad();
    loss(a, b).backward();
    opt.step();
    expect(Array.from(groupState(opt).p0[1] ?? [])).toEqual([3, -3, 0.25]);
    expect(groupState(opt).step).toEqual([6, 1]);
  });

  it('keeps x0 of an all-zero parameter as an empty array (x0 = 0), and sliceP keeps every sliceP-th entry', () => {
    const [a, b] = [f64([0, 0, 0]), f64([1, 2, 3, 4, 5])];
    const opt = prodigy([a, b], { sliceP: 2 });
    opt.zeroGrad();
    a.add(b.slice([[0, 3]]))
      .square()
      .sum()
      .backward();
    opt.step();
    const st = groupState(opt);
    expect(Array.from(st.p0[0] ?? [1])).toEqual([]);
    expect(Array.from(st.p0[1] ?? [])).toEqual([1, 3, 5]);
    expect(st.s[0]?.length).toBe(2);
    expect(st.s[1]?.length).toBe(3);
    expect(st.expAvgSq[1]?.length).toBe(5);
  });
});

describe('prodigy: state, options and d for users', () => {
  it('round-trips its state (growthRate Infinity included) through JSON and continues bit for bit', () => {
    const fresh = () => [f64([0.5, -1, 2]), f64([1, 2, -0.5])] as const;
    const [a, b] = fresh();
    const opt = prodigy([{ params: [a] }, { params: [b], lr: 0 }], { useBiasCorrection: true, weightDecay: 0.01 });
    run(opt, a, b, 5);
    const json = JSON.stringify(opt.stateDict());
    const sd = JSON.parse(json) as OptimizerStateDict;
    expect(sd.paramGroups[0].growthRate).toEqual({ $number: 'Infinity' });
    const [a2, b2] = fresh();
    a2.data.set(a.data);
    b2.data.set(b.data);
    const restored = prodigy([{ params: [a2] }, { params: [b2], lr: 0 }], {
      useBiasCorrection: true,
      weightDecay: 0.01,
      growthRate: 2,
    });
    restored.loadStateDict(sd);
    expect(restored.paramGroups[0].growthRate).toBe(Number.POSITIVE_INFINITY);
    run(opt, a, b, 5);
    run(restored, a2, b2, 5);
    expect(Array.from(a2.data)).toEqual(Array.from(a.data));
    expect(Array.from(b2.data)).toEqual(Array.from(b.data));
    expect(prodigyStats(restored)).toEqual(prodigyStats(opt));
  });

  it('prodigyD: d0 before the first step, then the state dict’s d; works wrapped; rejects other optimizers', () => {
    const [a, b] = [f64([0.5, -1, 2]), f64([1, 2, -0.5])];
    const opt = prodigy([a, b], { d0: 1e-4 });
    expect(prodigyD(opt)).toBe(1e-4);
    run(opt, a, b, 4);
    const d = (opt.stateDict().global as Record<string, number>)['prodigy.d'];
    expect(prodigyD(opt)).toBe(d);
    expect(d).toBeGreaterThan(1e-4);

    usePlugin(prodigyPlugin);
    const [c, e] = [f64([0.5, -1, 2]), f64([1, 2, -0.5])];
    const wrapped = lookahead([c, e], { inner: 'prodigy', k: 2 });
    run(wrapped, c, e, 3);
    expect(prodigyD(wrapped)).toBeGreaterThan(1e-6);

    const other = lookahead([f64([1])], { inner: 'prodigy' });
    other.paramGroups[0].d0 = 'x' as unknown as number;
    expect(() => prodigyD(other)).toThrow('prodigyD: optimizer "lookahead" is not Prodigy');
  });

  it('is registered by its plugin', () => {
    usePlugin(prodigyPlugin);
    const opt = createOptimizer('prodigy', [f64([1, 2])], { dCoef: 0.5 });
    expect(opt.name).toBe('prodigy');
    expect(opt.paramGroups[0]).toMatchObject({ lr: 1, dCoef: 0.5, beta3: null, growthRate: Number.POSITIVE_INFINITY });
  });

  it('validates every option, naming it', () => {
    const ps = () => [f64([1, 2])];
    const bad: [Record<string, unknown>, string][] = [
      [{ betas: [1, 0.999] }, 'prodigy: betas[0] must be in [0, 1), got 1'],
      [{ betas: [0.9] }, 'prodigy: betas must be an array of 2 numbers'],
      [{ beta3: 1.5 }, 'prodigy: beta3 must be in [0, 1], got 1.5'],
      [{ beta3: 'x' }, 'prodigy: beta3 must be a number in [0, 1], got "x"'],
      [{ eps: 0 }, 'prodigy: eps must be in (0, inf), got 0'],
      [{ eps: Number.POSITIVE_INFINITY }, 'prodigy: eps must be a finite number > 0, got Infinity'],
      [{ weightDecay: -1 }, 'prodigy: weightDecay must be in [0, inf), got -1'],
      [{ decouple: 1 }, 'prodigy: decouple must be true or false, got 1'],
      [{ useBiasCorrection: 'yes' }, 'prodigy: useBiasCorrection must be true or false'],
      [{ safeguardWarmup: null }, 'prodigy: safeguardWarmup must be true or false, got null'],
      [{ d0: 0 }, 'prodigy: d0 must be in (0, inf), got 0'],
      [{ dCoef: -1 }, 'prodigy: dCoef must be in (0, inf), got -1'],
      [{ growthRate: 0.5 }, 'prodigy: growthRate must be in [1, inf), got 0.5'],
      [{ growthRate: Number.NaN }, 'prodigy: growthRate must be in [1, inf), got NaN'],
      [{ sliceP: 1.5 }, 'prodigy: sliceP must be an integer in [1, inf), got 1.5'],
      [{ sliceP: 0 }, 'prodigy: sliceP must be an integer in [1, inf), got 0'],
      [{ lr: -1 }, 'prodigy: lr must be in [0, inf), got -1'],
      [{ fsdpInUse: true }, 'prodigy: unknown option "fsdpInUse"'],
    ];
    for (const [options, message] of bad) expect(() => prodigy(ps(), options as never), message).toThrow(message);
    expect(() => prodigy([{ params: [f64([1])], d0: -1 }])).toThrow('prodigy: d0 must be in (0, inf), got -1');
  });

  it('rejects a step after sliceP changed under a stepped parameter, before changing anything', () => {
    const [a, b] = [f64([0.5, -1, 2]), f64([1, 2, -0.5])];
    const opt = prodigy([a, b]);
    run(opt, a, b, 2);
    const before = JSON.stringify(opt.stateDict());
    opt.paramGroups[0].sliceP = 2;
    opt.zeroGrad();
    loss(a, b).backward();
    expect(() => opt.step()).toThrow('prodigy: sliceP of parameter group 0 changed after its parameter 0');
    expect(JSON.stringify(opt.stateDict())).toBe(before.replace('"sliceP":1', '"sliceP":2'));
    opt.paramGroups[0].sliceP = 1;
    opt.step();
    expect(prodigyStats(opt).k).toBe(3);
  });

  it('works as a rule block through stepContext (passes, then update)', () => {
    const rule = scaleByProdigy();
    const p = f64([2]);
    const hp = { ...prodigy([f64([0])], { d0: 1, betas: [0.5, 0.75], beta3: 0.5, eps: 0.25 }).defaults };
    const state = rule.init([p], hp);
    const u = Float64Array.from([2]);
    const ctx = stepContext([p], hp, { updates: [u] });
    for (const pass of rule.passes ?? []) pass([u], state, ctx);
    rule.update([u], state, ctx);
    expect(u[0]).toBeCloseTo(-0.8, 15);
    expect(ctx.global['prodigy.k']).toBe(1);
    expect(rule.couples).toEqual({ global: true });
  });

  it('chains after another block with passes (the documented clipped recipe)', () => {
    const clippedProdigy = defineOptimizer({
      name: 'clippedProdigy',
      defaults: { ...(definitionOf(prodigy)?.defaults ?? { lr: 1 }) },
      rule: chain(clipByGlobalNorm(1), scaleByProdigy()),
    });
    const [a, b, a2, b2] = [f64([0.5, -1, 2]), f64([1, 2, -0.5]), f64([0.5, -1, 2]), f64([1, 2, -0.5])];
    const clipped = clippedProdigy([a, b]);
    const plain = prodigy([a2, b2]);
    const start = loss(a, b).item();
    run(clipped, a, b, 20);
    run(plain, a2, b2, 20);
    expect(loss(a, b).item()).toBeLessThan(start);
    expect(prodigyD(clipped)).toBeGreaterThan(1e-6);
    // The gradients' norm exceeds 1 here, so clipping changes the run.
    expect(Array.from(a.data)).not.toEqual(Array.from(a2.data));
  });

  it('passes the conformance suite', () => {
    const result = checkOptimizerConformance(prodigy, {
      name: 'prodigy',
      invalidOptions: [
        { betas: [1, 0.999] },
        { beta3: 2 },
        { eps: 0 },
        { weightDecay: -1 },
        { d0: 0 },
        { dCoef: 0 },
        { growthRate: 0.9 },
        { sliceP: 0 },
      ],
    });
    expect(result.failures).toEqual([]);
  });
});
