// The playground's race engine in Node: the same code the worker runs in the browser.

import { TEST_FUNCTIONS } from '@nablajs/data';
import { usePlugin } from '@nablajs/optim';
import adam from '@nablajs/optim-adam';
import sgd from '@nablajs/optim-sgd';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineCustomOptimizer } from '../../examples/playground/src/custom';
import { formatTick, linearTicks, logTicks, round125 } from '../../examples/playground/src/plots';
import type { RacerSpec } from '../../examples/playground/src/protocol';
import { functionGrid, isDivergent, quartiles, Race, startPoint } from '../../examples/playground/src/race';

const racer = (id: string, optimizer: string, options: RacerSpec['options']): RacerSpec => ({
  id,
  label: `${id} (${optimizer})`,
  optimizer,
  options,
  schedule: { kind: 'none' },
});

beforeAll(() => {
  usePlugin(sgd);
  usePlugin(adam);
});

describe('Race', () => {
  it('races two optimizers on Rosenbrock from the same start', () => {
    const race = new Race({
      task: 'rosenbrock',
      racers: [racer('a', 'sgd', { lr: 1e-3 }), racer('b', 'adam', { lr: 0.05 })],
    });
    for (let i = 0; i < 200; i++) race.stepAll(1000);
    const [a, b] = race.report();
    // f(-1.5, 2) = 2.5² + 100 (2 - 2.25)² = 12.5
    expect(a.initialLoss).toBeCloseTo(12.5, 10);
    expect(b.initialLoss).toBeCloseTo(12.5, 10);
    expect(a.paths).toHaveLength(1);
    expect(a.paths[0].slice(0, 2)).toEqual([-1.5, 2]);
    expect(a.paths[0]).toHaveLength(2 * 201);
    expect(a.losses).toHaveLength(3 * 200); // median, q1, q3 per step: all equal with one seed
    expect(a.losses.slice(0, 3)).toEqual([12.5, 12.5, 12.5]);
    expect(a.loss).toBeLessThan(a.initialLoss / 2);
    expect(b.loss).toBeLessThan(b.initialLoss / 2);
    expect(a.position).not.toEqual(b.position);
  });

  it('trains the spirals above 90% accuracy with Adam', () => {
    const race = new Race({ task: 'spirals', racers: [racer('a', 'adam', { lr: 0.01 })] });
    for (let i = 0; i < 600; i++) race.stepAll(600);
    const [a] = race.report();
    expect(a.accuracy).toBeGreaterThan(0.9);
    const boundary = race.boundary('a', 8)!;
    expect(boundary).toHaveLength(64);
    expect(Math.min(...boundary)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...boundary)).toBeLessThanOrEqual(1);
  });

  it('draws the decision map of the seed with the median loss, leaving out seeds that diverged', () => {
    const race = new Race({ task: 'spirals', seeds: 3, racers: [racer('a', 'adam', { lr: 0.01 })] });
    for (let i = 0; i < 60; i++) race.stepAll(600);
    const losses = race.racers[0].runs.map((r) => r.loss);
    expect(new Set(losses).size).toBe(3);
    const order = [0, 1, 2].sort((x, y) => losses[x] - losses[y]);
    expect(race.mapSeed('a')).toBe(order[1]);
    const map = Array.from(race.boundary('a', 8)!);
    expect(map).toEqual(Array.from(race.boundary('a', 8, order[1])!));
    expect(map).not.toEqual(Array.from(race.boundary('a', 8, order[0])!));
    race.racers[0].runs[order[1]].status = 'diverged';
    expect(race.mapSeed('a')).toBe(order[0]);
    expect(race.mapSeed('nobody')).toBeNull();
  });

  it('reports a custom optimizer that throws at step time, and keeps the others running', () => {
    defineCustomOptimizer(`({ defineOptimizer }) => defineOptimizer({
      name: 'explodes', defaults: { lr: 0.1 },
      rule: { init: () => null, update() { throw new Error('boom'); } },
    })`);
    const race = new Race({ task: 'beale', racers: [racer('a', 'explodes', {}), racer('b', 'sgd', { lr: 1e-4 })] });
    race.stepAll(10);
    race.stepAll(10);
    const [a, b] = race.report();
    expect(a.status).toBe('error');
    expect(a.error).toBe('a (explodes) threw at step 1: Error: boom');
    expect(b.step).toBe(2);
  });

  it('rejects broken custom code with a message naming the cause', () => {
    expect(() => defineCustomOptimizer('({ chain }) => chain(notDefined())')).toThrow(
      /^Custom optimizer: the definition threw ReferenceError: notDefined is not defined$/,
    );
    expect(() => defineCustomOptimizer('(api) => 42')).toThrow(/must return an optimizer factory.*got number/);
    expect(() => defineCustomOptimizer('(api) => {')).toThrow(/definition threw SyntaxError/);
    expect(() =>
      defineCustomOptimizer(`({ defineOptimizer, scaleByLearningRate }) =>
        defineOptimizer({ name: 'adam', defaults: { lr: 1 }, rule: scaleByLearningRate() })`),
    ).toThrow(/the name "adam" is taken by @nablajs\/optim-adam/);
  });

  it('takes the median and quartiles as NumPy does, ignoring NaN', () => {
    expect(quartiles([4, 1, 3, 2])).toEqual([2.5, 1.75, 3.25]);
    expect(quartiles([5, Number.NaN, 1, 3])).toEqual([3, 2, 4]);
    expect(quartiles([7])).toEqual([7, 7, 7]);
    expect(quartiles([Number.NaN])).toEqual([Number.NaN, Number.NaN, Number.NaN]);
  });

  it('runs every racer on several seeds: a jittered start on 2-D functions, and bands from the spread', () => {
    const fn = TEST_FUNCTIONS.rosenbrock;
    expect(startPoint(fn, 0)).toEqual([-1.5, 2]);
    const others = [1, 2, 3].map((s) => startPoint(fn, s));
    for (const [x, y] of others) {
      expect([x, y]).not.toEqual([-1.5, 2]);
      expect(Math.hypot(x + 1.5, y - 2)).toBeLessThan(0.5); // σ = 1% of the 4-wide box, so 0.04
    }
    expect(startPoint(fn, 2)).toEqual(others[1]); // seeded: the same every time
    const race = new Race({ task: 'rosenbrock', seeds: 3, racers: [racer('a', 'adam', { lr: 0.05 })] });
    for (let i = 0; i < 50; i++) race.stepAll(50);
    const [a] = race.report();
    expect(a.seeds).toBe(3);
    expect(a.paths).toHaveLength(3);
    expect(a.paths.map((p) => p.slice(0, 2))).toEqual([[-1.5, 2], ...others.slice(0, 2)]);
    expect(a.losses).toHaveLength(3 * 50);
    for (let k = 0; k < a.losses.length; k += 3) {
      const [median, q1, q3] = a.losses.slice(k, k + 3);
      expect(q1).toBeLessThanOrEqual(median);
      expect(median).toBeLessThanOrEqual(q3);
    }
    expect(a.losses[2] - a.losses[1]).toBeGreaterThan(0); // the starts differ, so the band has a width
    expect(a.lossIqr[0]).toBeLessThanOrEqual(a.loss);
  });

  it('draws the initial weights of each seed on the models, the data staying the same', () => {
    const race = new Race({ task: 'spirals', seeds: 2, racers: [racer('a', 'sgd', { lr: 0.1 })] });
    race.stepAll(5);
    const [a] = race.report();
    const [median, q1, q3] = a.losses.slice(0, 3);
    expect(q3).toBeGreaterThan(q1);
    expect(median).toBeCloseTo((q1 + q3) / 2, 12); // two seeds: the median is their mean
    expect(race.spiralPoints()!.points).toHaveLength(600);
  });

  it('stops a seed that diverges (NaN, infinity, or a loss above 10 x |initial loss|) and says so', () => {
    expect(isDivergent(Number.NaN, 1)).toBe(true);
    expect(isDivergent(Number.POSITIVE_INFINITY, 1)).toBe(true);
    expect(isDivergent(1, 1, [0, Number.NaN])).toBe(true);
    expect(isDivergent(10.5, 1)).toBe(true);
    expect(isDivergent(9.5, 1)).toBe(false);
    expect(isDivergent(-50, -2)).toBe(false); // lower is never divergence (the saddle is unbounded below)
    const race = new Race({
      task: 'rosenbrock',
      seeds: 2,
      racers: [racer('a', 'sgd', { lr: 1000 }), racer('b', 'adam', { lr: 0.05 })],
    });
    while (race.stepAll(20));
    expect(race.finished).toBe(true);
    const [a, b] = race.report();
    expect(a.status).toBe('diverged');
    expect(a.diverged).toBe(2);
    expect(a.divergedAt).toEqual([2, 2]);
    expect(a.step).toBe(2);
    expect(Number.isNaN(a.loss)).toBe(true); // no seed left for a median
    expect(a.error).toMatch(
      /^a \(sgd\) diverged on 2\/2 seeds \(first at step 2: loss \S+ > 10 × \|initial loss 12\.5\|\)$/,
    );
    expect(a.losses).toHaveLength(2 * 3);
    expect(a.losses.slice(3).every(Number.isNaN)).toBe(true); // step 2: both gone
    expect(b.status).toBe('done');
    expect(b.step).toBe(20);
    expect(b.diverged).toBe(0);
    expect(b.divergedAt).toEqual([null, null]);
  });

  it('samples a 2-D function on a grid, top row first', () => {
    const values = functionGrid('illConditioned', 2);
    // cells at x = ±1, y = ±1: 0.5 (1 + 100) = 50.5 everywhere
    expect(Array.from(values)).toEqual([50.5, 50.5, 50.5, 50.5]);
  });
});

describe('plot ticks', () => {
  it('formats ticks without fractional exponents', () => {
    expect([1e-3, 0.01, 0.1, 1, 10, 100, 2000, 1e4, 5e-5, 0.2, 0.68, -2.25, 0].map(formatTick)).toEqual([
      '1e-3',
      '1e-2',
      '0.1',
      '1',
      '10',
      '100',
      '2000',
      '1e4',
      '5e-5',
      '0.2',
      '0.68',
      '-2.25',
      '0',
    ]);
  });

  it('puts log ticks at powers of ten, or at 1-2-5 values within a decade', () => {
    expect(logTicks(-3.2, 1.1)).toEqual([1e-3, 1e-2, 0.1, 1, 10]);
    expect(logTicks(-24, 1)).toEqual([1e-24, 1e-20, 1e-16, 1e-12, 1e-8, 1e-4, 1]);
    expect(logTicks(Math.log10(5), Math.log10(20))).toEqual([5, 10, 20]);
    expect(logTicks(Math.log10(0.5), 0)).toEqual([0.5, 1]);
    expect(round125(0.655, 'down')).toBe(0.5);
    expect(round125(0.698, 'up')).toBe(1);
    expect(round125(12.5, 'up')).toBe(20);
    expect(round125(2, 'down')).toBe(2);
  });

  it('spaces linear ticks 1, 2 or 5 times a power of ten apart', () => {
    expect(linearTicks(-2, 2, 5)).toEqual([-2, -1, 0, 1, 2]);
    expect(linearTicks(-1.25, 1.25, 3)).toEqual([-1, 0, 1]);
    expect(linearTicks(0, 1000, 5)).toEqual([0, 200, 400, 600, 800, 1000]);
  });
});
