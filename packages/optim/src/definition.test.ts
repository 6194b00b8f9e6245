import { describe, expect, it } from 'vitest';
import { checkAgainstDefaults } from './definition';

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
