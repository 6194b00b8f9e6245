import { NablaError, ValueError } from '@nablajs/core';
import type { OptimizerFactory } from './definition';
import type { HyperValue, Optimizer, ParamsInput } from './types';

/**
 * The event API a host (the training loop) offers to a plugin's `setup`: subscribe to an event by
 * name, get back a function that unsubscribes.
 *
 * @example
 * ```ts
 * // In a plugin's setup: count the steps (fit passes its TrainContext as the payload).
 * setup(events: PluginEvents) {
 *   let steps = 0;
 *   const off = events.on('afterStep', () => steps++);
 *   return () => {
 *     off();
 *     console.log(`${steps} steps`);
 *   };
 * }
 * ```
 */
export interface PluginEvents {
  /** Subscribe `handler` to `event`; returns a function that removes the subscription. */
  on(event: string, handler: (payload: unknown) => void): () => void;
}

/**
 * A plugin: a named bundle of optimizers, and optionally a setup that subscribes to training-loop events.
 *
 * @example
 * ```ts
 * const plugin: OptimizerPlugin = definePlugin({
 *   name: 'custom-optimizers',
 *   optimizers: { signum, normalizedSgd },
 *   // Optional: given to fit({ plugins: [plugin] }), it subscribes to the loop's events.
 *   setup: (events) => events.on('epochEnd', () => console.log('epoch done')),
 * });
 * usePlugin(plugin); // createOptimizer('signum', params) now works
 * ```
 */
export interface OptimizerPlugin {
  /** The plugin's name (`@nablajs/optim-adam`, or any unique string). */
  readonly name: string;
  /** The optimizers it provides, by the name they are created with. */
  // biome-ignore lint/suspicious/noExplicitAny: any factory, whatever its options type
  readonly optimizers: Readonly<Record<string, OptimizerFactory<any>>>;
  /** Called by a training loop that uses the plugin, with its event API; may return a teardown function. */
  // biome-ignore lint/suspicious/noConfusingVoidType: setup may return nothing or a teardown function
  readonly setup?: (events: PluginEvents) => void | (() => void);
}

const optimizers = new Map<string, { factory: OptimizerFactory; plugin: string }>();
const plugins = new Map<string, OptimizerPlugin>();

/**
 * Define a plugin: checks its shape and freezes it. A plugin package default-exports the result.
 *
 * @example
 * ```ts
 * export default definePlugin({ name: 'sign-sgd', optimizers: { signSgd } });
 * ```
 */
export function definePlugin(plugin: OptimizerPlugin): OptimizerPlugin {
  if (plugin === null || typeof plugin !== 'object') throw new ValueError('definePlugin: expected an object');
  if (typeof plugin.name !== 'string' || plugin.name.length === 0)
    throw new ValueError('definePlugin: name must be a non-empty string');
  if (plugin.optimizers === null || typeof plugin.optimizers !== 'object')
    throw new ValueError(`definePlugin: plugin ${JSON.stringify(plugin.name)} needs an optimizers object`);
  for (const [name, factory] of Object.entries(plugin.optimizers))
    if (typeof factory !== 'function')
      throw new ValueError(
        `definePlugin: optimizer ${JSON.stringify(name)} of plugin ${JSON.stringify(plugin.name)} is not a factory function`,
      );
  if (plugin.setup !== undefined && typeof plugin.setup !== 'function')
    throw new ValueError(`definePlugin: setup of plugin ${JSON.stringify(plugin.name)} must be a function`);
  return Object.freeze({ ...plugin, optimizers: Object.freeze({ ...plugin.optimizers }) });
}

/**
 * Register a plugin: its optimizers become available by name to {@link createOptimizer}. A name that
 * is already registered is an error unless `override` is set.
 *
 * @example
 * ```ts
 * import adamPlugin from '@nablajs/optim-adam';
 * usePlugin(adamPlugin);
 * const opt = createOptimizer('adam', params, { lr: 1e-3 });
 * ```
 */
export function usePlugin(plugin: OptimizerPlugin, options: { override?: boolean } = {}): void {
  const checked = plugins.get(plugin.name) === plugin ? plugin : definePlugin(plugin);
  if (!options.override) {
    if (plugins.has(checked.name) && plugins.get(checked.name) !== plugin)
      throw new NablaError(
        `usePlugin: a plugin named ${JSON.stringify(checked.name)} is already registered; pass { override: true } to replace it`,
      );
    for (const name of Object.keys(checked.optimizers)) {
      const existing = optimizers.get(name);
      if (existing && existing.plugin !== checked.name)
        throw new NablaError(
          `usePlugin: optimizer ${JSON.stringify(name)} is already provided by plugin ${JSON.stringify(existing.plugin)}; pass { override: true } to replace it`,
        );
    }
  }
  plugins.set(checked.name, plugin);
  for (const [name, factory] of Object.entries(checked.optimizers))
    optimizers.set(name, { factory, plugin: checked.name });
}

/**
 * Build an optimizer by its registered name, for config files and the command line.
 *
 * @example
 * ```ts
 * import sgdPlugin from '@nablajs/optim-sgd';
 * usePlugin(sgdPlugin); // once, before creating by name
 * createOptimizer('sgd', model.parameters(), { lr: 0.1, momentum: 0.9 });
 * ```
 */
export function createOptimizer(
  name: string,
  params: ParamsInput,
  options: Readonly<Record<string, HyperValue | Readonly<Record<string, HyperValue>>>> = {},
): Optimizer {
  const entry = optimizers.get(name);
  if (entry === undefined) {
    const known = [...optimizers.keys()].sort();
    throw new ValueError(
      `createOptimizer: unknown optimizer ${JSON.stringify(name)}; registered: ${known.length > 0 ? known.join(', ') : '(none: call usePlugin first)'}`,
    );
  }
  return entry.factory(params, options as Record<string, HyperValue>);
}

/**
 * The factory registered as `name`, or `undefined`.
 *
 * @example
 * ```ts
 * registeredFactory('adam')?.(params, { lr: 1e-3 });
 * ```
 */
export function registeredFactory(name: string): OptimizerFactory | undefined {
  return optimizers.get(name)?.factory;
}

/**
 * The names of every registered optimizer, sorted.
 *
 * @example
 * ```ts
 * import sgdPlugin from '@nablajs/optim-sgd';
 * usePlugin(sgdPlugin);
 * listOptimizers(); // ['asgd', 'sgd']
 * ```
 */
export function listOptimizers(): string[] {
  return [...optimizers.keys()].sort();
}

/**
 * The registered plugins, in registration order.
 *
 * @example
 * ```ts
 * listPlugins().map((p) => p.name);
 * ```
 */
export function listPlugins(): OptimizerPlugin[] {
  return [...plugins.values()];
}

/**
 * Which plugin provides optimizer `name`, or `undefined`.
 *
 * @example
 * ```ts
 * import adamPlugin from '@nablajs/optim-adam';
 * usePlugin(adamPlugin);
 * pluginOf('adam'); // '@nablajs/optim-adam'
 * ```
 */
export function pluginOf(name: string): string | undefined {
  return optimizers.get(name)?.plugin;
}

/**
 * Forget every registered plugin and optimizer (for tests).
 *
 * @example
 * ```ts
 * afterEach(() => resetRegistry());
 * ```
 */
export function resetRegistry(): void {
  optimizers.clear();
  plugins.clear();
}
