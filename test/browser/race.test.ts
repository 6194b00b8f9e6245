// The playground's race engine in Node: the same code the worker runs in the browser.

import { usePlugin } from '@nablajs/optim';
import adam from '@nablajs/optim-adam';
import sgd from '@nablajs/optim-sgd';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineCustomOptimizer } from '../../examples/playground/src/custom';
import type { RacerSpec } from '../../examples/playground/src/protocol';
import { functionGrid, Race } from '../../examples/playground/src/race';

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
    expect(a.path.slice(0, 2)).toEqual([-1.5, 2]);
    expect(a.path).toHaveLength(2 * 201);
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

  it('samples a 2-D function on a grid, top row first', () => {
    const values = functionGrid('illConditioned', 2);
    // cells at x = ±1, y = ±1: 0.5 (1 + 100) = 50.5 everywhere
    expect(Array.from(values)).toEqual([50.5, 50.5, 50.5, 50.5]);
  });
});
