// The plan of a sweep: presets, the learning-rate grid, seeds kept apart, trial and group keys that do not
// depend on the order things were listed in; and the median time to target behind the profiles.
import { describe, expect, it } from 'vitest';
import { parseArgs } from './args';
import { lrGrid, planBenchmark } from './benchmark-plan';
import { medianReached } from './benchmark-result';
import { BENCHMARK_OPTIONS, SUITE, suiteTaskNames, trialMs } from './benchmark-suite';
import { registerBuiltinPlugins } from './plugins';
import { trialKey } from './sweep-store';
import { trialDefinition, trialGroups } from './trial-definition';
import { UsageError } from './usage-error';

function plan(args: string[]) {
  registerBuiltinPlugins();
  return planBenchmark(parseArgs(args, BENCHMARK_OPTIONS), process.cwd(), [], 2);
}

describe('the plan of nabla benchmark', () => {
  it('fills in the quick preset', () => {
    const { plan: p, run } = plan(['--quick']);
    expect(p.preset).toBe('quick');
    expect(p.tasks.map((t) => t.name)).toEqual(suiteTaskNames('quick'));
    expect(p.tasks.map((t) => t.name)).not.toContain('tiny-shakespeare');
    expect(p.optimizers.map((o) => o.label)).toEqual(['sgd', 'momentum', 'adam', 'adamw']);
    expect(p.tuning).toEqual({ space: 'lr=1e-3..1:log:4', grid: [0.001, 0.01, 0.1, 1] });
    expect(p.seeds).toEqual([0, 1, 2]);
    expect(p.tuneSeeds).toEqual([1000]);
    expect(p.tasks.find((t) => t.name === 'digits-mlp')).toMatchObject({
      epochs: 5,
      steps: null,
      batchSize: 32,
      targetLoss: 0.2,
    });
    expect(run).toMatchObject({ jobs: 2, out: 'benchmark-out', shard: null, quiet: false });
  });

  it('fills in the full preset, with the tiny Shakespeare GPT', () => {
    const { plan: p } = plan([]);
    expect(p.preset).toBe('full');
    expect(p.tasks.map((t) => t.name)).toContain('tiny-shakespeare');
    expect(p.tuning.grid).toHaveLength(9);
    expect(p.tuning.grid[0]).toBe(1e-4);
    expect(p.tuning.grid.at(-1)).toBe(1);
    expect(p.seeds).toHaveLength(5);
    expect(p.tasks.find((t) => t.name === 'tiny-shakespeare')).toMatchObject({
      epochs: 1,
      limit: 6000,
      targetLoss: 2.5,
    });
  });

  it('takes the options over the preset', () => {
    const { plan: p } = plan([
      '--quick',
      '--tasks',
      'spirals,rosenbrock',
      '--steps',
      '9',
      '--seeds',
      '2',
      '--seed',
      '4',
      '--tune-budget',
      '0',
    ]);
    expect(p.tasks.map((t) => [t.name, t.epochs, t.steps])).toEqual([
      ['spirals', null, 9],
      ['rosenbrock', null, 9],
    ]);
    expect(p.seeds).toEqual([4, 5]);
    expect(p.tuneSeeds).toEqual([]);
    expect(p.tuning.grid).toEqual([]);
  });

  it('checks the grid and the seeds', () => {
    expect(lrGrid('1e-4..1e-1', 4).grid).toEqual([1e-4, 0.001, 0.01, 0.1]);
    expect(lrGrid('1e-3..1', 0)).toEqual({ space: '', grid: [] });
    expect(() => lrGrid('1e-3..1', 1)).toThrow(UsageError);
    expect(() => lrGrid('0..1', 3)).toThrow('--lr-range: the grid is log-spaced, so LO must be > 0, got "0..1"');
    expect(() => lrGrid('1', 3)).toThrow(/expected LO\.\.HI/);
    // the option the user typed, with its value (there is no --tune in nabla benchmark)
    expect(() => lrGrid('1..0.1', 2)).toThrow('--lr-range: expected LO < HI, got "1..0.1"');
    expect(() => lrGrid('a..1', 2)).toThrow(
      '--lr-range: expected LO..HI, two finite numbers (e.g. 1e-4..1), got "a..1"',
    );
    for (const bad of ['1..0.1', '0..1', '-1..1', '1e-3..inf', '1..1'])
      expect(() => lrGrid(bad, 2)).toThrow(new RegExp(`^--lr-range: .*got "${bad.replace(/\./g, '\\.')}"$`));
    expect(() => plan(['--seeds', '101'])).toThrow(/--seeds: expected an integer from 1 to 100/);
    expect(() => plan(['--tasks', 'quadratic,quadratic'])).toThrow(/a task is named twice/);
  });

  it('refuses tuning options without tuning, and says when a typed lr gives way to the tuned one', () => {
    for (const extra of [
      ['--lr-range', '1e-3..1e-1'],
      ['--tune-seeds', '3'],
    ])
      expect(() => plan(['--quick', '--tune-budget', '0', ...extra])).toThrow(
        `${extra[0]} applies only when learning rates are tuned, and --tune-budget 0 runs the specs as given`,
      );
    const tuned = plan(['--quick', '--tune-budget', '2', '--optimizers', 'adam:lr=0.123 sgd']);
    expect(tuned.run.notes).toEqual([
      'adam: lr=0.123 in --optimizers is not used: lr is tuned (the best of 2 learning rates in 1e-3..1); --tune-budget 0 runs the spec as given',
    ]);
    expect(plan(['--quick', '--tune-budget', '0', '--optimizers', 'adam:lr=0.123']).run.notes).toEqual([]);
  });

  it('keys trials and groups by what defines them', () => {
    const { plan: p } = plan(['--quick', '--tasks', 'quadratic']);
    const [task] = p.tasks;
    const def = trialDefinition(p, task, p.optimizers[2], { lr: 0.1 }, 1000, 'tune');
    expect(def.optimizer).toEqual({ name: 'adam', options: { lr: 0.1 }, plugin: null });
    const same = trialDefinition(
      p,
      task,
      { ...p.optimizers[2], label: 'renamed', color: '#000' },
      { lr: 0.1 },
      1000,
      'tune',
    );
    expect(trialKey(same as unknown as Record<string, unknown>)).toBe(
      trialKey(def as unknown as Record<string, unknown>),
    );
    const groups = trialGroups(p);
    expect(groups).toHaveLength(4);
    expect(new Set(groups.map((g) => g.key)).size).toBe(4);
    const reordered = trialGroups({ ...p, optimizers: [...p.optimizers].reverse() });
    expect(reordered.map((g) => g.key).sort()).toEqual(groups.map((g) => g.key).sort());
    const more = trialGroups(plan(['--quick', '--tasks', 'quadratic', '--seeds', '4']).plan);
    expect(more[0].key).not.toBe(groups[0].key);
  });

  it('starts the longest tasks first', () => {
    expect(trialMs('mnist-mlp', 'quick')).toBeGreaterThan(trialMs('digits-mlp', 'quick'));
    expect(trialMs('mnist-cnn', 'quick')).toBe(Number.POSITIVE_INFINITY);
    expect(SUITE['tiny-shakespeare'].quick).toBeNull();
  });
});

describe('the median time to the target', () => {
  it('counts a seed that never reached the target as infinitely slow', () => {
    expect(medianReached([10, 30, null])).toBe(30);
    expect(medianReached([10, 20])).toBe(15);
    expect(medianReached([10, null])).toBeNull();
    expect(medianReached([null, null, 5])).toBeNull();
    expect(medianReached([])).toBeNull();
  });
});
