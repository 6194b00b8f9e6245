// `--tune` planned and run without training: which optimizer each space applies to, every check before
// any run, and the search itself with a fake runner (seeds, order, metric, selection, divergence).
import { beforeAll, describe, expect, it } from 'vitest';
import { parseOptimizerSpecs, type ResolvedOptimizer, resolveOptimizers } from './optimizer-spec';
import { registerBuiltinPlugins } from './plugins';
import type { RunResult, TuningResult } from './results';
import { formatSetting, seedRange, tunedLabel, tuningLine } from './table';
import type { TaskRunner } from './task-runner';
import { bestTrial, TUNING_SEED_OFFSET, trialMetric, tuningResult } from './tune';
import { planTuning, runTuning, type TuneOptions } from './tune-search';
import { UsageError } from './usage-error';

beforeAll(() => registerBuiltinPlugins());

const optimizers = (specs: string) => resolveOptimizers(parseOptimizerSpecs([specs]));
const tuned = (options: TuneOptions, specs: string) =>
  planTuning(options, optimizers(specs), 0)?.optimizers.map((t) => [t.index, t.space.text]);

describe('which optimizer a space applies to', () => {
  it('without a prefix, every optimizer; with one, the optimizer of that label, label@name or name', () => {
    expect(tuned({ spaces: ['lr=0.1,1'] }, 'sgd adam')).toEqual([
      [0, 'lr=0.1,1'],
      [1, 'lr=0.1,1'],
    ]);
    expect(tuned({ spaces: ['adam:lr=0.1,1'] }, 'sgd adam')).toEqual([[1, 'adam:lr=0.1,1']]);
    expect(tuned({ spaces: ['sgd:lr=0.1,1', 'adam:lr=1e-3..1e-1:3'] }, 'sgd adam')).toEqual([
      [0, 'sgd:lr=0.1,1'],
      [1, 'adam:lr=1e-3..1e-1:3'],
    ]);
    // A label wins over a name; a name alone applies to every optimizer of that name.
    expect(tuned({ spaces: ['sgd:lr=0.1,1'] }, 'sgd fast@sgd:momentum=0.9')).toEqual([[0, 'sgd:lr=0.1,1']]);
    expect(tuned({ spaces: ['fast@sgd:lr=0.1,1'] }, 'sgd fast@sgd:momentum=0.9')).toEqual([[1, 'fast@sgd:lr=0.1,1']]);
    expect(tuned({ spaces: ['sgd:lr=0.1,1'] }, 'sgd:lr=0.1 sgd:momentum=0.9')).toEqual([
      [0, 'sgd:lr=0.1,1'],
      [1, 'sgd:lr=0.1,1'],
    ]);
    expect(planTuning({}, optimizers('sgd'), 0)).toBeNull();
  });

  it('plans the candidates merged into each spec, label and other options kept, on the tuning seeds', () => {
    const plan = planTuning(
      { spaces: ['m@sgd:lr=1e-3..1e-1:3;momentum=0,0.9'], seeds: 2 },
      optimizers('m@sgd:lr=0.5,dampening=0.1'),
      7,
    )!;
    expect(plan).toMatchObject({ mode: 'grid', budget: 16, seeds: [7 + TUNING_SEED_OFFSET, 8 + TUNING_SEED_OFFSET] });
    const [m] = plan.optimizers;
    expect(m.trials).toHaveLength(6);
    expect(m.trials[3].setting).toEqual({ lr: 0.01, momentum: 0.9 });
    expect(m.trials[3].spec).toMatchObject({
      label: 'm',
      name: 'sgd',
      options: { lr: 0.01, momentum: 0.9, dampening: 0.1 },
      hyperparams: { lr: 0.01, momentum: 0.9, dampening: 0.1, nesterov: false },
    });
  });
});

describe('usage errors before any training', () => {
  const bad: [string, TuneOptions, string, RegExp][] = [
    [
      'a prefix that names no optimizer',
      { spaces: ['adamw:lr=0.1,1'] },
      'sgd adam',
      /^--tune "adamw:lr=0.1,1": no optimizer is labelled or named "adamw"; valid optimizers: sgd, adam$/,
    ],
    [
      'an optimizer matched by two spaces',
      { spaces: ['lr=0.1,1', 'adam:lr=0.01,0.1'] },
      'sgd adam',
      /^--tune: optimizer adam is matched by two spaces, "lr=0.1,1" and "adam:lr=0.01,0.1"; give each optimizer one space/,
    ],
    [
      'a hyperparameter the optimizer does not have',
      { spaces: ['momentum=0.5,0.9'] },
      'sgd adam',
      /^--tune "momentum=0.5,0.9": optimizer adam has no hyperparameter "momentum"; valid hyperparameters of adam: lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay$/,
    ],
    [
      'a boolean hyperparameter',
      { spaces: ['nesterov=0,1'] },
      'sgd',
      /^--tune "nesterov=0,1": nesterov of sgd is not a number \(nesterov=false\); --tune searches numeric hyperparameters only$/,
    ],
    [
      'a list hyperparameter',
      { spaces: ['betas=0.9,0.99'] },
      'adam',
      /betas of adam is not a number \(betas=\[0.9,0.999\]\)/,
    ],
    [
      'a value the optimizer rejects',
      { spaces: ['momentum=0.9,-0.5'] },
      'sgd',
      /^--tune "momentum=0.9,-0.5": the candidate momentum=-0.5 of sgd is rejected: sgd: momentum must be in \[0, inf\), got -0.5$/,
    ],
    [
      'a value rejected only once merged with the spec',
      { spaces: ['momentum=0,0.9'] },
      'sgd:nesterov=true,momentum=0.9',
      /the candidate momentum=0 of sgd is rejected: sgd: nesterov requires momentum > 0 and dampening = 0/,
    ],
    ['a malformed space', { spaces: ['lr=1..0.1'] }, 'sgd', /needs low < high/],
    [
      'a budget of 0',
      { spaces: ['lr=0.1,1'], budget: 0 },
      'sgd',
      /^--tune-budget: expected an integer from 1 to 1000, got 0$/,
    ],
    ['a budget above 1000', { spaces: ['lr=0.1,1'], budget: 1001 }, 'sgd', /--tune-budget: .* got 1001$/],
    [
      '11 tuning seeds',
      { spaces: ['lr=0.1,1'], seeds: 11 },
      'sgd',
      /^--tune-seeds: expected an integer from 1 to 10, got 11$/,
    ],
    ['--tune-budget without --tune', { budget: 4 }, 'sgd', /^--tune-budget applies only with --tune/],
    ['--tune-mode without --tune', { mode: 'random' }, 'sgd', /^--tune-mode applies only with --tune/],
    ['--tune-seeds without --tune', { seeds: 2 }, 'sgd', /^--tune-seeds applies only with --tune/],
  ];
  for (const [what, options, specs, message] of bad)
    it(what, () => {
      const plan = () => planTuning(options, optimizers(specs), 0);
      expect(plan).toThrow(UsageError);
      expect(plan).toThrow(message);
    });

  it('tuning seeds past 32 bits', () => {
    expect(() => planTuning({ spaces: ['lr=0.1,1'] }, optimizers('sgd'), 2 ** 32 - 10)).toThrow(
      /^--seed: the tuning seeds start at --seed \+ 1000; expected at most 4294966295 with --tune-seeds 1/,
    );
  });
});

/** A run of the fake runner: its final loss and validation loss, or a divergence. */
function fakeRun(spec: ResolvedOptimizer, seed: number, loss: number, diverged: boolean): RunResult {
  return {
    label: spec.label,
    seed,
    status: diverged ? 'diverged' : 'ok',
    divergedAt: diverged ? 3 : null,
    optimizer: spec.name,
    hyperparams: spec.hyperparams,
    color: '#000',
    steps: { step: [1], loss: [loss], smoothedLoss: [loss], lr: [spec.hyperparams.lr as number] },
    epochs: { epoch: [1], step: [1], loss: [loss], accuracy: [], valLoss: [loss + 1], valAccuracy: [], lr: [] },
    summary: {
      finalLoss: loss,
      bestLoss: loss,
      finalAccuracy: null,
      bestAccuracy: null,
      stepsToTarget: null,
      steps: 1,
      wallTimeMs: 1,
      stepsPerSecond: 1,
      stopReason: diverged ? 'diverged: the train loss is 1e9 at step 3' : null,
    },
  };
}

/**
 * A runner whose loss is `(log10(lr) + 2)²` plus `seed / 1e4` (best at lr = 0.01), diverging above lr = 0.5
 * after a loss lower than any other; it records every run.
 */
function fakeRunner(calls: [string, number, number][]): TaskRunner {
  return {
    totalSteps: 1,
    warmUp: async () => 0,
    timeSteps: async () => 0,
    async run(spec, at) {
      const lr = spec.hyperparams.lr as number;
      calls.push([spec.label, lr, at.seed]);
      return lr > 0.5
        ? fakeRun(spec, at.seed, -1, true)
        : fakeRun(spec, at.seed, (Math.log10(lr) + 2) ** 2 + at.seed / 1e4, false);
    },
  };
}

describe('the search', () => {
  it('runs every candidate on every tuning seed, in order, and chooses the best that never diverged', async () => {
    const specs = optimizers('sgd adam');
    const plan = planTuning({ spaces: ['adam:lr=1e-4..1:5'], seeds: 2 }, specs, 3)!;
    const calls: [string, number, number][] = [];
    const notes: string[] = [];
    const events = { start() {}, update() {}, end() {}, note: (text: string) => notes.push(text) };
    const { optimizers: chosen, tuning } = await runTuning(
      fakeRunner(calls),
      specs,
      plan,
      'final validation loss',
      events,
    );
    expect(calls).toEqual(
      [1e-4, 1e-3, 0.01, 0.1, 1].flatMap((lr) => [
        ['adam', lr, 1003],
        ['adam', lr, 1004],
      ]),
    );
    expect(notes).toEqual(
      [1e-4, 1e-3, 0.01, 0.1, 1].map((lr, t) => `tuning adam: trial ${t + 1}/5 (lr=${formatSetting({ lr }).slice(3)})`),
    );
    expect(notes[0]).toBe('tuning adam: trial 1/5 (lr=1e-4)');
    const [adam] = tuning;
    expect(adam).toMatchObject({
      optimizer: 'adam',
      space: 'adam:lr=1e-4..1:5',
      mode: 'grid',
      budget: 16,
      seeds: [1003, 1004],
      metric: 'final validation loss',
      chosen: { lr: 0.01 },
    });
    // The metric is the final validation loss (train loss + 1 here), the score its mean over the seeds.
    expect(adam.trials[2].metrics).toEqual([1 + 0.1003, 1 + 0.1004]);
    expect(adam.trials[2].score).toBeCloseTo(1.10035, 12);
    // lr = 1 diverged (with the lowest loss before it did): no metric, no score, not chosen.
    expect(adam.trials[4]).toEqual({ setting: { lr: 1 }, metrics: [null, null], score: null });
    // The chosen setting is the lowest score, and what the comparison then runs; sgd is left as given.
    const scores = adam.trials.map((t) => t.score ?? Number.POSITIVE_INFINITY);
    expect(adam.trials.findIndex((t) => t.score === Math.min(...scores))).toBe(2);
    expect(chosen[0]).toBe(specs[0]);
    expect(chosen[1]).toMatchObject({ label: 'adam', options: { lr: 0.01 }, hyperparams: { lr: 0.01, eps: 1e-8 } });
  });

  it('keeps the spec as given when every trial diverged', async () => {
    const specs = optimizers('sgd:lr=0.05');
    const plan = planTuning({ spaces: ['lr=1,2'] }, specs, 0)!;
    const { optimizers: chosen, tuning } = await runTuning(fakeRunner([]), specs, plan, 'final f', {
      start() {},
      update() {},
      end() {},
    });
    expect(tuning[0].chosen).toBeNull();
    expect(tuning[0].trials.map((t) => t.score)).toEqual([null, null]);
    expect(chosen[0]).toBe(specs[0]);
    expect(tuningLine(tuning[0])).toBe(
      'tuned sgd on seed 1000: every trial diverged (2 trials, grid); it ran with its spec as given',
    );
  });

  it('scores the final validation loss, the final train loss or f; a diverged run or NaN counts as NaN', () => {
    const [spec] = optimizers('sgd');
    const run = fakeRun(spec, 0, 0.25, false);
    expect(trialMetric(run, 'final validation loss')).toBe(1.25);
    expect(trialMetric(run, 'final train loss')).toBe(0.25);
    expect(trialMetric(run, 'final f')).toBe(0.25);
    expect(trialMetric(fakeRun(spec, 0, 0.25, true), 'final f')).toBeNaN();
    expect(trialMetric(fakeRun(spec, 0, Number.NaN, false), 'final train loss')).toBeNaN();
    expect(bestTrial([{ setting: {}, metrics: [trialMetric(fakeRun(spec, 0, -5, true), 'final f')] }])).toBe(-1);
  });

  it('records a search: metrics and scores as null where a seed diverged, the best setting chosen', () => {
    const search: Omit<TuningResult, 'trials' | 'chosen'> = {
      optimizer: 'a',
      space: 'lr=0.1,1',
      mode: 'grid',
      budget: 4,
      seeds: [1000, 1001],
      metric: 'final f',
    };
    const result = tuningResult(
      [
        { setting: { lr: 1 }, metrics: [0.1, Number.NaN] },
        { setting: { lr: 0.1 }, metrics: [0.5, 0.3] },
      ],
      search,
    );
    expect(result).toEqual({
      ...search,
      seeds: [1000, 1001],
      trials: [
        { setting: { lr: 1 }, metrics: [0.1, null], score: null },
        { setting: { lr: 0.1 }, metrics: [0.5, 0.3], score: 0.4 },
      ],
      chosen: { lr: 0.1 },
    });
    expect(tuningResult([{ setting: { lr: 1 }, metrics: [Number.POSITIVE_INFINITY] }], search).chosen).toBeNull();
  });
});

describe('the table', () => {
  const tuning: TuningResult = {
    optimizer: 'adam',
    space: 'lr=1e-3..1e-1:3',
    mode: 'grid',
    budget: 16,
    seeds: [1000, 1001],
    metric: 'final validation loss',
    trials: [
      { setting: { lr: 0.001 }, metrics: [0.5, 0.7], score: 0.6 },
      { setting: { lr: 0.00316 }, metrics: [0.2, 0.22], score: 0.21 },
      { setting: { lr: 0.01 }, metrics: [null, 0.1], score: null },
    ],
    chosen: { lr: 0.00316 },
  };

  it('names a tuned optimizer with its chosen values, and says what the search did under the table', () => {
    expect(tunedLabel('adam', { tuning: [tuning] })).toBe('adam (lr=0.00316)');
    expect(tunedLabel('sgd', { tuning: [tuning] })).toBe('sgd');
    expect(tunedLabel('adam', {})).toBe('adam');
    expect(tuningLine(tuning)).toBe(
      'tuned adam on seeds 1000-1001: lr=0.00316 (3 trials, grid; final validation loss 0.21)',
    );
    expect(formatSetting({ lr: 0.0031623, momentum: 0.9 })).toBe('lr=0.003162, momentum=0.9');
    expect(seedRange([1000])).toBe('seed 1000');
  });
});
