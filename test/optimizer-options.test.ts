// Every optimizer that nabla compare registers rejects a non-finite learning rate with a named error, before
// building anything: lr Infinity or NaN would train straight into NaN.
import { tensor, ValueError } from '@nablajs/core';
import { createOptimizer, listOptimizers, resetRegistry } from '@nablajs/optim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBuiltinPlugins } from '../packages/cli/src/plugins';

/** The option that names the optimizer a wrapper wraps. */
const WRAPS: Record<string, Record<string, string>> = { lookahead: { inner: 'sgd' }, sam: { base: 'sgd' } };

beforeAll(() => registerBuiltinPlugins());
afterAll(() => resetRegistry());

describe('every registered optimizer rejects a non-finite lr', () => {
  it('covers the optimizers of every built-in plugin', () => {
    expect(listOptimizers().length).toBeGreaterThanOrEqual(24);
  });
  for (const value of [Number.POSITIVE_INFINITY, Number.NaN, -1])
    it(`lr: ${value}`, () => {
      const accepted: string[] = [];
      for (const name of listOptimizers()) {
        const p = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
        try {
          createOptimizer(name, [p], { ...WRAPS[name], lr: value });
          accepted.push(name);
        } catch (error) {
          expect(error, name).toBeInstanceOf(ValueError);
          expect((error as Error).message, name).toContain('lr');
        }
      }
      expect(accepted).toEqual([]);
    });
});
