// The six optimizers of examples/custom-optimizers, written for docs/guides/writing-an-optimizer-plugin.md:
// each conforms, decreases a loss and takes the steps its equations give by hand; and the guide shows
// every source file of the example exactly as it is, so that the two cannot drift apart.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Generator, randn, tensor } from '@nablajs/core';
import { Linear, mseLoss } from '@nablajs/nn';
import { definePlugin, resetRegistry, stepContext, usePlugin } from '@nablajs/optim';
import { assertOptimizerConformance, CONFORMANCE_CHECKS, checkOptimizerConformance } from '@nablajs/optim/testkit';
import adamPlugin from '@nablajs/optim-adam';
import sgdPlugin from '@nablajs/optim-sgd';
import { fit } from '@nablajs/train';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { blockNormalizedSgd } from '../examples/custom-optimizers/block-normalized-sgd';
import { extragradient } from '../examples/custom-optimizers/extragradient';
import { grokfast } from '../examples/custom-optimizers/grokfast';
import { CONFORMANCE, checkAll, RUNS, train } from '../examples/custom-optimizers/main';
import { normalizeByGlobalNorm, normalizedSgd } from '../examples/custom-optimizers/normalized-sgd';
import customOptimizers from '../examples/custom-optimizers/plugin';
import { polyakSgd } from '../examples/custom-optimizers/polyak-sgd';
import { scaleBySignum, signum } from '../examples/custom-optimizers/signum';

const root = join(__dirname, '..');
const folder = join(root, 'examples/custom-optimizers');

afterEach(() => resetRegistry());

describe('examples/custom-optimizers', () => {
  it('every optimizer passes the conformance testkit', () => {
    const results = checkAll();
    expect(Object.keys(results).sort()).toEqual(Object.keys(customOptimizers.optimizers).sort());
    for (const [name, result] of Object.entries(results)) {
      expect(result.failures, name).toEqual([]);
      expect(result.skipped, name).toEqual([]);
      expect(result.passed.length, name).toBeGreaterThanOrEqual(10);
    }
  });

  it.each(Object.keys(RUNS))('%s, created by name, fits the least-squares problem', (name) => {
    const { losses, final } = train(name, 200);
    expect(losses[0]).toBeGreaterThan(5);
    expect(final).toBeLessThan(losses[0] / 50);
    expect(losses[199]).toBeLessThan(losses[0] / 20);
  });

  it('signum: m = (1 - β)(g + λp) at the first step, and every element moves by lr against its sign', () => {
    const p = tensor([1, -2, 0.5], { dtype: 'float64', requiresGrad: true });
    const opt = signum([p], { lr: 0.1, weightDecay: 0.1 });
    p.grad = tensor([0.5, -3, -0.1], { dtype: 'float64' }); // g + λp = [0.6, -3.2, -0.05]
    opt.step();
    expect(Array.from(p.data)).toEqual([0.9, -1.9, 0.6]);
    expect(() => signum([p], { momentum: 1 })).toThrow('signum: momentum must be in [0, 1), got 1');
  });

  it('blockNormalizedSgd: each parameter is divided by its own norm, whatever its shape', () => {
    const w = tensor(
      [
        [0, 0],
        [0, 0],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const b = tensor([0], { dtype: 'float64', requiresGrad: true });
    const opt = blockNormalizedSgd([w, b], { lr: 0.5 });
    w.grad = tensor(
      [
        [3, 0],
        [0, -4],
      ],
      { dtype: 'float64' },
    ); // norm 5
    b.grad = tensor([-7], { dtype: 'float64' }); // norm 7
    opt.step();
    expect(Array.from(w.data)).toEqual([-0.3, 0, 0, 0.4]);
    expect(Array.from(b.data)).toEqual([0.5]);
  });

  it('normalizedSgd: the norm runs over every parameter of every group', () => {
    const a = tensor([0], { dtype: 'float64', requiresGrad: true });
    const b = tensor([0], { dtype: 'float64', requiresGrad: true });
    const opt = normalizedSgd([{ params: [a], lr: 1 }, { params: [b] }], { lr: 2 });
    a.grad = tensor([3], { dtype: 'float64' });
    b.grad = tensor([4], { dtype: 'float64' });
    opt.step(); // m = 0.1·[3, 4], ‖m‖ = 0.5 over both groups: u = [0.6, 0.8]
    expect(a.data[0]).toBeCloseTo(-0.6, 14);
    expect(b.data[0]).toBeCloseTo(-1.6, 14);
    // Alone, each would have moved by its full lr.
    const c = tensor([0], { dtype: 'float64', requiresGrad: true });
    const alone = normalizedSgd([c], { lr: 1 });
    c.grad = tensor([3], { dtype: 'float64' });
    alone.step();
    expect(c.data[0]).toBeCloseTo(-1, 14);
  });

  it('extragradient: on f = a·x²/2 one step maps x to x·(1 - ηa + η²a²), and it needs a closure', () => {
    const a = 4;
    const eta = 0.1;
    const x = tensor([2], { dtype: 'float64', requiresGrad: true });
    const opt = extragradient([x], { lr: eta });
    expect(opt.requiresClosure).toBe(true);
    const closure = () => {
      opt.zeroGrad();
      const loss = x
        .square()
        .mul(a / 2)
        .sum();
      loss.backward();
      return loss;
    };
    expect(opt.step(closure)).toBe(8);
    expect(x.data[0]).toBeCloseTo(2 * (1 - eta * a + eta * eta * a * a), 14); // 2·0.76
    expect(() => opt.step()).toThrow(/closure is required/);
  });

  it('polyakSgd: eval() shows the average of the iterates, train() restores the iterate exactly', () => {
    const p = tensor([1], { dtype: 'float64', requiresGrad: true });
    const opt = polyakSgd([p], { lr: 0.5 });
    const iterates: number[] = [];
    for (const g of [2, -1, 4]) {
      p.grad = tensor([g], { dtype: 'float64' });
      opt.step();
      iterates.push(p.data[0]);
    }
    expect(iterates).toEqual([0, 0.5, -1.5]);
    expect(opt.mode).toBe('train');
    opt.eval();
    expect(opt.mode).toBe('eval');
    expect(p.data[0]).toBeCloseTo((0 + 0.5 - 1.5) / 3, 15);
    expect(() => opt.step()).toThrow(/eval mode/);
    opt.train();
    expect(p.data[0]).toBe(-1.5);
  });

  it('grokfast: the average starts at the first gradient, and wraps any registered optimizer', () => {
    usePlugin(sgdPlugin);
    const p = tensor([0], { dtype: 'float64', requiresGrad: true });
    const opt = grokfast([p], { inner: 'sgd', lr: 0.1, alpha: 0.5, lamb: 2 });
    expect(opt.paramGroups[0]).toMatchObject({ inner: 'sgd', lr: 0.1, alpha: 0.5, lamb: 2, momentum: 0 });
    p.grad = tensor([1], { dtype: 'float64' });
    opt.step(); // μ = 1, g' = 1 + 2·1 = 3
    expect(p.data[0]).toBeCloseTo(-0.3, 15);
    p.grad = tensor([3], { dtype: 'float64' });
    opt.step(); // μ = 0.5·1 + 0.5·3 = 2, g' = 3 + 2·2 = 7
    expect(p.data[0]).toBeCloseTo(-1, 14);
    expect(() => grokfast([p], { inner: 'sgd', alpha: 1.5 })).toThrow('grokfast: alpha must be in [0, 1], got 1.5');
    expect(() => grokfast([p], { inner: 'noSuchOptimizer' })).toThrow(/not a registered optimizer/);
  });

  it('the testkit runs each with the options of main.ts', () => {
    expect(Object.keys(CONFORMANCE).sort()).toEqual(Object.keys(RUNS).sort());
  });

  it('grokfast wraps Adam with its options in the same groups, and wraps signum once registered', () => {
    usePlugin(adamPlugin);
    const opt = grokfast([tensor([1, 2], { requiresGrad: true })], {
      inner: 'adam',
      innerOptions: { betas: [0.9, 0.98] },
      lr: 1e-3,
    });
    expect(opt.paramGroups[0]).toMatchObject({
      inner: 'adam',
      lr: 0.001,
      betas: [0.9, 0.98],
      eps: 1e-8,
      alpha: 0.98,
      lamb: 2,
    });
    usePlugin(customOptimizers);
    const p = tensor([0], { dtype: 'float64', requiresGrad: true });
    const wrapped = grokfast([p], { inner: 'signum', lr: 0.5 });
    p.grad = tensor([-1e-3], { dtype: 'float64' });
    wrapped.step();
    expect(p.data[0]).toBe(0.5); // signum moves by lr whatever the size of g + λμ
  });
});

describe('guide: testkit', () => {
  it('run it: signum passes with its invalid options, and assertOptimizerConformance returns the result', () => {
    const result = checkOptimizerConformance(signum, {
      name: 'signum',
      options: { lr: 0.01 },
      invalidOptions: [{ momentum: 1 }, { weightDecay: -1 }],
    });
    expect(result.failures).toEqual([]);
    expect(result.skipped).toEqual([]);
    expect(result.passed.slice(0, 4)).toEqual(['convex-quadratic', 'rosenbrock', 'param-groups', 'null-grads']);
    expect(result.passed).toEqual(Object.keys(CONFORMANCE_CHECKS));
    expect(assertOptimizerConformance(signum, { name: 'signum' }).failures).toEqual([]);
  });

  it('wrappers: grokfast around sgd, with its own invalid options', () => {
    usePlugin(sgdPlugin);
    const result = checkOptimizerConformance(grokfast, {
      name: 'grokfast',
      options: { inner: 'sgd', lr: 1e-3 },
      invalidOptions: [{ alpha: 2 }, { lamb: -1 }],
    });
    expect(result.failures).toEqual([]);
  });

  it('a rule alone: scaleBySignum through stepContext', () => {
    const p = tensor([1, -2], { dtype: 'float64' });
    const hp = { lr: 0.1, momentum: 0.5, weightDecay: 0 };
    const rule = scaleBySignum();
    const state = rule.init([p], hp);
    const u = Float64Array.from([0.3, -0.4]);
    rule.update([u], state, stepContext([p], hp, { updates: [u] }));
    expect(Array.from(u)).toEqual([1, -1]);
    expect(Array.from(state.momentum[0])).toEqual([0.15, -0.2]);
  });

  it('a rule alone: the passes of normalizeByGlobalNorm over two groups sharing one global', () => {
    const rule = normalizeByGlobalNorm();
    const hp = { lr: 1, momentum: 0 };
    const global = {};
    const groups = [tensor([0], { dtype: 'float64' }), tensor([0], { dtype: 'float64' })].map((p, g) => {
      const u = Float64Array.from([g === 0 ? 3 : 4]);
      const ctx = stepContext([p], hp, { updates: [u], global, groupIndex: g, groupCount: 2 });
      return { u, ctx, state: rule.init([p], hp) };
    });
    for (const pass of rule.passes ?? []) for (const g of groups) pass([g.u], g.state, g.ctx);
    for (const g of groups) rule.update([g.u], g.state, g.ctx);
    expect(groups.map((g) => g.u[0])).toEqual([expect.closeTo(0.6, 15), expect.closeTo(0.8, 15)]);
    expect(global).toEqual({ 'normalizedSgd.sumSq': 25 });
  });
});

/** The ```ts blocks of a Markdown file, without their fences. */
function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

describe('docs/guides/writing-an-optimizer-plugin.md shows the example as it is', () => {
  const guide = readFileSync(join(root, 'docs/guides/writing-an-optimizer-plugin.md'), 'utf8');
  const blocks = codeBlocks(guide);
  const sources = readdirSync(folder).filter((f) => f.endsWith('.ts') && f !== 'main.ts');

  it('covers the seven source files', () => {
    expect(sources.sort()).toEqual([
      'block-normalized-sgd.ts',
      'extragradient.ts',
      'grokfast.ts',
      'normalized-sgd.ts',
      'plugin.ts',
      'polyak-sgd.ts',
      'signum.ts',
    ]);
  });

  it.each(sources)('%s appears in the guide as one complete code block', (file) => {
    const source = readFileSync(join(folder, file), 'utf8');
    expect(blocks).toContain(source);
  });
});

describe('guide: training-loop (optimizer plugins in the loop)', () => {
  it("fit runs an optimizer plugin's setup, its subscriptions and its teardown", async () => {
    const gen = new Generator(0);
    const x = randn([256, 1], { generator: gen });
    const y = x.mul(2).add(1);
    const model = new Linear(1, 1, { generator: gen });
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      let steps = 0;
      const signumPlugin = definePlugin({
        name: 'signum-with-a-counter',
        optimizers: { signum },
        setup(events) {
          events.on('afterStep', () => steps++);
          return () => console.log(`${steps} steps`);
        },
      });
      // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
      await fit({
        model,
        data: { x, y },
        batchSize: 32,
        loss: mseLoss,
        optimizer: signum(model.parameters()),
        epochs: 2,
        plugins: [signumPlugin],
      });
      expect(steps).toBe(16);
      expect(log).toHaveBeenCalledWith('16 steps');
      const bad = definePlugin({
        name: 'bad',
        optimizers: {},
        setup: (events) => void events.on('noSuchEvent', () => {}),
      });
      const run = { model, data: { x, y }, loss: mseLoss, optimizer: signum(model.parameters()), epochs: 1 };
      // biome-ignore lint/suspicious/noFocusedTests: fit is nabla's training loop, not a focused test
      const failing = fit({ ...run, plugins: [bad] });
      await expect(failing).rejects.toThrow(/unknown event "noSuchEvent"/);
    } finally {
      log.mockRestore();
    }
  });
});
