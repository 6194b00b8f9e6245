import { tensor } from '@nablajs/core';
import { createOptimizer } from '@nablajs/optim';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from './args';
import { COMPARE_OPTIONS } from './compare-options';
import { parseOptimizerSpec, parseOptimizerSpecs, resolveOptimizers } from './optimizer-spec';
import { registerBuiltinPlugins } from './plugins';
import { attachSchedule, parseSchedule } from './schedule';
import { formatValue, parseKeyValues, parseValue, splitTopLevel } from './spec-values';
import { UsageError } from './usage-error';

beforeAll(() => registerBuiltinPlugins());

describe('parseValue', () => {
  it('reads numbers, booleans, null, lists and strings', () => {
    expect(parseValue('0.1')).toBe(0.1);
    expect(parseValue('1e-3')).toBe(0.001);
    expect(parseValue('-2')).toBe(-2);
    expect(parseValue('.5')).toBe(0.5);
    expect(parseValue('-inf')).toBe(-Infinity);
    expect(parseValue('true')).toBe(true);
    expect(parseValue('false')).toBe(false);
    expect(parseValue('null')).toBe(null);
    expect(parseValue('0.9/0.999')).toEqual([0.9, 0.999]);
    expect(parseValue('[0.9,0.999]')).toEqual([0.9, 0.999]);
    expect(parseValue('[1.2, 0.5]')).toEqual([1.2, 0.5]);
    expect(parseValue('strong_wolfe')).toBe('strong_wolfe');
    // PyTorch's (None, 1e-3) of Adafactor's eps, and back
    expect(parseValue('[null,1e-3]')).toEqual([null, 0.001]);
    expect(parseValue('[None, 2]')).toEqual([null, 2]);
    expect(formatValue(parseValue('[null,0.001]'))).toBe('[null,0.001]');
  });

  it('rejects empty values and lists of non-numbers', () => {
    expect(() => parseValue('', 'sgd: lr')).toThrow(/sgd: lr: missing value/);
    expect(() => parseValue('[a,b]', 'adam: betas')).toThrow(/adam: betas: a list must hold numbers \(or null\) only/);
  });
});

describe('parseKeyValues', () => {
  it('splits on commas outside brackets and camel-cases PyTorch names', () => {
    expect(splitTopLevel('lr=0.1,betas=[0.9,0.99],eps=1e-8', ',')).toEqual(['lr=0.1', 'betas=[0.9,0.99]', 'eps=1e-8']);
    expect(parseKeyValues('lr=0.1,betas=[0.9,0.99],weight_decay=0.01', 'adam')).toEqual({
      lr: 0.1,
      betas: [0.9, 0.99],
      weightDecay: 0.01,
    });
  });

  it('reports malformed items', () => {
    expect(() => parseKeyValues('lr', 'sgd')).toThrow(/sgd: expected key=value, got "lr"/);
    expect(() => parseKeyValues('lr=0.1,lr=0.2', 'sgd')).toThrow(/option lr is given twice/);
    expect(() => parseKeyValues('betas=[0.9,0.99', 'adam')).toThrow(/unbalanced brackets/);
    expect(() => parseKeyValues('1x=2', 'sgd')).toThrow(/"1x" is not a valid option name/);
  });
});

describe('optimizer specs', () => {
  it('parses label@name:options', () => {
    expect(parseOptimizerSpec('momentum@sgd:lr=0.1,momentum=0.9')).toEqual({
      label: 'momentum',
      name: 'sgd',
      options: { lr: 0.1, momentum: 0.9 },
      text: 'momentum@sgd:lr=0.1,momentum=0.9',
    });
    expect(parseOptimizerSpec('adam')).toEqual({ label: 'adam', name: 'adam', options: {}, text: 'adam' });
  });

  it('splits on spaces across repeated flags and labels an optimizer named twice by its spec', () => {
    const specs = parseOptimizerSpecs(['sgd:lr=0.1 sgd:lr=0.05,momentum=0.9', 'adam:lr=1e-3', '  rmsprop  ']);
    expect(specs.map((s) => s.label)).toEqual(['sgd:lr=0.1', 'sgd:lr=0.05,momentum=0.9', 'adam', 'rmsprop']);
    expect(specs[1].options).toEqual({ lr: 0.05, momentum: 0.9 });
  });

  it('keeps the name when the other use of the same optimizer has a label', () => {
    const specs = parseOptimizerSpecs(['sgd:lr=0.1 momentum@sgd:lr=0.05,momentum=0.9']);
    expect(specs.map((s) => s.label)).toEqual(['sgd', 'momentum']);
  });

  it('rejects duplicate labels, malformed specs and an empty list', () => {
    expect(() => parseOptimizerSpecs(['a@sgd a@adam'])).toThrow(/the label "a" is used twice/);
    expect(() => parseOptimizerSpecs(['sgd sgd'])).toThrow(/the label "sgd" is used twice/);
    expect(() => parseOptimizerSpecs(['9sgd'])).toThrow(/invalid optimizer spec "9sgd"; expected \[label@\]name/);
    expect(() => parseOptimizerSpecs([' '])).toThrow(/no optimizer given/);
  });

  it('resolves the defaults of registered optimizers', () => {
    const [sgd, adam] = resolveOptimizers(parseOptimizerSpecs(['sgd:lr=0.1,momentum=0.9 adam']));
    expect(sgd.hyperparams).toMatchObject({ lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false });
    expect(adam.hyperparams).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8 });
  });

  it('lists the registered optimizers for an unknown name', () => {
    const error = captureError(() => resolveOptimizers(parseOptimizerSpecs(['adamm'])));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(
      /^unknown optimizer "adamm"; valid optimizers: adabelief, adadelta, adafactor, adagrad, adam, adamax, adamw, /,
    );
    expect(error.message).toContain('sgd');
    expect(error.message).toContain('lbfgs');
  });

  it('lists the hyperparameters of the optimizer for an unknown hyperparameter', () => {
    const error = captureError(() => resolveOptimizers(parseOptimizerSpecs(['sgd:lr=0.1,momentun=0.9'])));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(
      'unknown hyperparameter "momentun" for optimizer sgd; valid hyperparameters of sgd: lr, momentum, dampening, weightDecay, nesterov, maximize',
    );
  });

  it("turns the optimizer's own validation error into a usage error", () => {
    const error = captureError(() => resolveOptimizers(parseOptimizerSpecs(['adam:betas=[0.9,1.5]'])));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^optimizer adam: adam: betas\[1\] must be in \[0, 1\), got 1.5/);
  });
});

describe('parseArgs', () => {
  it('reads --name value, --name=value, flags and repeated lists', () => {
    const parsed = parseArgs(
      [
        '--task',
        'rosenbrock',
        '--steps=200',
        '--optimizers',
        'sgd',
        '--optimizers',
        'adam',
        '--quiet',
        '--target-loss',
        '-1',
      ],
      COMPARE_OPTIONS,
    );
    expect(parsed.values).toEqual({
      task: 'rosenbrock',
      steps: 200,
      optimizers: ['sgd', 'adam'],
      quiet: true,
      'target-loss': -1,
    });
    expect(parsed.help).toBe(false);
    expect(parseArgs(['-h'], COMPARE_OPTIONS).help).toBe(true);
  });

  it('lists the valid options for an unknown one', () => {
    const error = captureError(() => parseArgs(['--epoch', '3'], COMPARE_OPTIONS));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(
      /^unknown option --epoch; valid options: --task, --optimizers, --epochs, --steps, --batch-size, /,
    );
    expect(error.message).toContain('--out');
    expect(error.message).toContain('--plugin');
  });

  it('rejects malformed values', () => {
    expect(() => parseArgs(['--epochs', 'ten'], COMPARE_OPTIONS)).toThrow(
      /--epochs: expected an integer >= 1, got "ten"/,
    );
    expect(() => parseArgs(['--epochs', '0'], COMPARE_OPTIONS)).toThrow(/--epochs: expected an integer >= 1, got "0"/);
    expect(() => parseArgs(['--target-loss', 'x'], COMPARE_OPTIONS)).toThrow(
      /--target-loss: expected a number, got "x"/,
    );
    expect(() => parseArgs(['--task'], COMPARE_OPTIONS)).toThrow(/--task needs a value \(TASK\)/);
    expect(() => parseArgs(['--quiet=yes'], COMPARE_OPTIONS)).toThrow(/--quiet takes no value/);
    expect(() => parseArgs(['--seed', '1', '--seed', '2'], COMPARE_OPTIONS)).toThrow(/--seed is given twice/);
    expect(() => parseArgs(['--loss-scale', 'cubic'], COMPARE_OPTIONS)).toThrow(
      /--loss-scale: unknown value "cubic"; valid values: auto, log, linear, symlog/,
    );
  });
});

describe('schedules', () => {
  it('parses a schedule and its options', () => {
    expect(parseSchedule('step:stepSize=10,gamma=0.5')).toEqual({
      name: 'step',
      options: { stepSize: 10, gamma: 0.5 },
      text: 'step:stepSize=10,gamma=0.5',
    });
    expect(parseSchedule('cosine').options).toEqual({});
  });

  it('lists the schedules for an unknown one and the options for an unknown option', () => {
    expect(() => parseSchedule('cosin')).toThrow(
      /^unknown schedule "cosin"; valid schedules: none, step, multistep, exponential, linear, cosine, warmup-cosine, onecycle, plateau$/,
    );
    expect(() => parseSchedule('step:size=3')).toThrow(
      /unknown option "size" for schedule step; valid options of step: stepSize, gamma/,
    );
  });

  const lrs = (spec: string, totalSteps: number, unit: number) => {
    const opt = createOptimizer('sgd', [tensor([1, 2], { requiresGrad: true })], { lr: 0.1 });
    const schedule = attachSchedule(parseSchedule(spec), opt, {
      totalSteps,
      unit,
      unitName: unit === 1 ? 'step' : 'epoch',
    });
    const out: number[] = [];
    for (let i = 0; i < totalSteps; i++) {
      out.push(opt.paramGroups[0].lr);
      schedule.afterStep();
    }
    return out;
  };

  it('counts durations in epochs of `unit` steps', () => {
    // 4 epochs of 3 steps; decay by half every 2 epochs.
    const values = lrs('step:stepSize=2,gamma=0.5', 12, 3);
    expect(values).toEqual([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]);
  });

  it('anneals a cosine over the whole run by default', () => {
    const values = lrs('cosine', 5, 1);
    // lr_t = 0.1 (1 + cos(pi t / 5)) / 2
    values.forEach((v, t) => {
      expect(v).toBeCloseTo((0.1 * (1 + Math.cos((Math.PI * t) / 5))) / 2, 12);
    });
  });

  it('warms up linearly, then anneals', () => {
    const values = lrs('warmup-cosine:warmup=2,startFactor=0.5', 6, 1);
    expect(values[0]).toBeCloseTo(0.05, 12);
    expect(values[1]).toBeCloseTo(0.075, 12);
    expect(values[2]).toBeCloseTo(0.1, 12);
    expect(values[5]).toBeLessThan(values[3]);
  });

  it("peaks a one-cycle at each optimizer's own lr unless maxLr is given", () => {
    const values = lrs('onecycle', 10, 1);
    expect(Math.max(...values)).toBeCloseTo(0.1, 12);
    expect(values[0]).toBeCloseTo(0.1 / 25, 12);
    const explicit = lrs('onecycle:maxLr=0.5', 10, 1);
    expect(Math.max(...explicit)).toBeCloseTo(0.5, 12);
  });

  it('rejects durations that are not positive and values of the wrong type', () => {
    const opt = createOptimizer('sgd', [tensor([1], { requiresGrad: true })], { lr: 0.1 });
    const run = { totalSteps: 10, unit: 5, unitName: 'epoch' };
    expect(() => attachSchedule(parseSchedule('step:stepSize=0'), opt, run)).toThrow(
      /^schedule: stepSize must be a positive number of epochs, got 0$/,
    );
    expect(() => attachSchedule(parseSchedule('cosine:tMax=-2'), opt, run)).toThrow(/tMax must be a positive number/);
    expect(() => attachSchedule(parseSchedule('step:gamma=abc'), opt, run)).toThrow(
      /^schedule: gamma must be a number, got abc$/,
    );
    expect(() => attachSchedule(parseSchedule('onecycle:threePhase=1'), opt, run)).toThrow(
      /^schedule: threePhase must be true or false, got 1$/,
    );
  });

  it("turns a scheduler's validation error into a usage error", () => {
    const opt = createOptimizer('sgd', [tensor([1], { requiresGrad: true })], { lr: 0.1 });
    expect(() =>
      attachSchedule(parseSchedule('step:gamma=-1'), opt, { totalSteps: 10, unit: 1, unitName: 'step' }),
    ).toThrow(UsageError);
  });
});

function captureError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('wrapper specs', () => {
  it('parse the wrapped optimizer and its dotted options: lookahead:inner=adam,inner.betas=[0.9,0.99],k=5', () => {
    const spec = parseOptimizerSpec('lookahead:inner=adam,inner.betas=[0.9,0.99],inner.weight_decay=0.01,k=5');
    expect(spec.options).toEqual({ inner: 'adam', 'inner.betas': [0.9, 0.99], 'inner.weightDecay': 0.01, k: 5 });
    const [resolved] = resolveOptimizers([spec]);
    expect(resolved.hyperparams).toMatchObject({
      inner: 'adam',
      betas: [0.9, 0.99],
      weightDecay: 0.01,
      k: 5,
      alpha: 0.5,
    });
  });

  it('reject an unknown wrapped optimizer, an unknown inner option and a missing inner, naming them', () => {
    expect(() => resolveOptimizers([parseOptimizerSpec('lookahead:inner=nope')])).toThrow(
      /optimizer lookahead: lookahead: inner "nope" is not a registered optimizer/,
    );
    expect(() => resolveOptimizers([parseOptimizerSpec('lookahead:inner=adam,inner.rho=1')])).toThrow(
      /unknown option "rho" in innerOptions for adam/,
    );
    expect(() => resolveOptimizers([parseOptimizerSpec('lookahead:k=5')])).toThrow(
      /inner must name a registered optimizer/,
    );
    expect(() => resolveOptimizers([parseOptimizerSpec('lookahead:inner=adam,kk=5')])).toThrow(
      /unknown hyperparameter "kk" for optimizer lookahead/,
    );
  });
});
