import { tensor } from '@nablajs/core';
import { createOptimizer, listOptimizers, pluginOf, resetRegistry, usePlugin } from '@nablajs/optim';
import { afterEach, describe, expect, it } from 'vitest';
import adamPlugin, { adam, adamax, adamw, cautiousAdamw, nadam, radam } from './index';

afterEach(() => resetRegistry());

describe('@nablajs/optim-adam plugin', () => {
  it('default-exports a plugin providing the five optimizers by name', () => {
    expect(adamPlugin.name).toBe('@nablajs/optim-adam');
    expect(adamPlugin.optimizers).toEqual({ adam, adamw, adamax, nadam, radam, cautiousAdamw });
  });

  it('registers them for createOptimizer', () => {
    usePlugin(adamPlugin);
    expect(listOptimizers()).toEqual(['adam', 'adamax', 'adamw', 'cautiousAdamw', 'nadam', 'radam']);
    expect(pluginOf('adamw')).toBe('@nablajs/optim-adam');
    const p = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const opt = createOptimizer('adamw', [p], { lr: 0.1, betas: [0.8, 0.9] });
    expect(opt.name).toBe('adamw');
    expect(opt.paramGroups[0].weightDecay).toBe(0.01);
    expect(opt.paramGroups[0].betas).toEqual([0.8, 0.9]);
  });
});
