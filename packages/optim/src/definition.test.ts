import { describe, expect, it } from 'vitest';
import { chain } from './chain';
import { defineOptimizer, definitionOf, withDefinition } from './define';
import { checkAgainstDefaults } from './definition';
import { scaleByLearningRate } from './transforms/basic';
import type { ParamsInput } from './types';

describe('checkAgainstDefaults', () => {
  const defaults = { lr: 1e-3, betas: [0.9, 0.999], eps: [null, 1e-3], amsgrad: false };

  it('checks an array default of numbers entry by entry, naming the optimizer and the option', () => {
    expect(() => checkAgainstDefaults('opt', defaults, { lr: 1e-3, betas: [0.9, 'x' as unknown as number] })).toThrow(
      'opt: betas[1] must be a number',
    );
    expect(() => checkAgainstDefaults('opt', defaults, { lr: 1e-3, betas: [0.9] })).toThrow(
      'opt: betas must be an array of 2 numbers, got [0.9]',
    );
  });

  it('leaves the entries of an array default with a null entry to the optimizer, but checks its length', () => {
    expect(() => checkAgainstDefaults('opt', defaults, { lr: 1e-3, eps: [null, 2] })).not.toThrow();
    expect(() => checkAgainstDefaults('opt', defaults, { lr: 1e-3, eps: [1e-30, 2] })).not.toThrow();
    expect(() => checkAgainstDefaults('opt', defaults, { lr: 1e-3, eps: [null] })).toThrow(
      'opt: eps must be an array of 2 values, got [null]',
    );
    expect(() => checkAgainstDefaults('opt', defaults, { lr: 1e-3, eps: 0.1 })).toThrow(
      'opt: eps must be an array of 2 values, got 0.1',
    );
  });
});

describe('withDefinition', () => {
  const definition = {
    name: 'plainSgd',
    defaults: { lr: 0.1 },
    rule: chain(scaleByLearningRate()),
  };

  it('makes definitionOf return the declared definition and returns the factory itself', () => {
    const plain = defineOptimizer(definition);
    const factory = (params: ParamsInput, options?: { lr?: number; extra?: () => void }) =>
      plain(params, options === undefined ? undefined : { lr: options.lr });
    expect(definitionOf(factory)).toBeUndefined();
    expect(withDefinition(factory, definition)).toBe(factory);
    expect(definitionOf(factory)).toBe(definition);
  });

  it('rejects a factory that is not a function and a definition that is not valid, naming the argument', () => {
    expect(() => withDefinition(42 as never, definition)).toThrow(/^withDefinition: factory must be a function/);
    expect(() => withDefinition(() => null, { ...definition, rule: undefined as never })).toThrow(/rule/);
  });
});
