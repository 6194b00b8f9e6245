import { NablaError, tensor } from '@nablajs/core';
import { afterEach, describe, expect, it } from 'vitest';
import { chain } from './chain';
import { defineOptimizer } from './define';
import {
  createOptimizer,
  definePlugin,
  listOptimizers,
  listPlugins,
  pluginOf,
  resetRegistry,
  usePlugin,
} from './plugin';
import { scaleByLearningRate } from './transforms/basic';

const plain = defineOptimizer({ name: 'plain', defaults: { lr: 0.1 }, rule: chain(scaleByLearningRate()) });
const plugin = definePlugin({ name: 'test-plugin', optimizers: { plain } });

describe('plugin registry', () => {
  afterEach(() => resetRegistry());

  it('makes a plugin optimizers available by name', () => {
    usePlugin(plugin);
    expect(listOptimizers()).toEqual(['plain']);
    expect(pluginOf('plain')).toBe('test-plugin');
    expect(listPlugins().map((p) => p.name)).toEqual(['test-plugin']);
    const p = tensor([1], { requiresGrad: true });
    const opt = createOptimizer('plain', [p], { lr: 0.5 });
    p.grad = tensor([1]);
    opt.step();
    expect(p.data[0]).toBe(0.5);
  });

  it('names the registered optimizers when one is unknown', () => {
    usePlugin(plugin);
    expect(() => createOptimizer('adamm', [tensor([1], { requiresGrad: true })])).toThrow(
      /unknown optimizer "adamm"; registered: plain/,
    );
  });

  it('refuses a name registered by another plugin unless overridden', () => {
    usePlugin(plugin);
    usePlugin(plugin);
    const rival = definePlugin({ name: 'rival', optimizers: { plain } });
    expect(() => usePlugin(rival)).toThrow(NablaError);
    expect(() => usePlugin(rival)).toThrow(/already provided by plugin "test-plugin"/);
    usePlugin(rival, { override: true });
    expect(pluginOf('plain')).toBe('rival');
  });

  it('checks the plugin shape', () => {
    expect(() => definePlugin({ name: '', optimizers: {} })).toThrow(/name must be a non-empty string/);
    expect(() => definePlugin({ name: 'x', optimizers: { bad: 3 as never } })).toThrow(
      /"bad" of plugin "x" is not a factory/,
    );
  });

  it('resetRegistry forgets everything', () => {
    usePlugin(plugin);
    resetRegistry();
    expect(listOptimizers()).toEqual([]);
  });
});
