// A custom optimizer typed into the page: the code is an arrow function that receives the plugin API and
// returns an optimizer factory (from defineOptimizer) or a definition ({ name, defaults, rule }).
import { tensor } from '@nablajs/core';
import {
  addDecoupledWeightDecay,
  addWeightDecay,
  chain,
  checkNumber,
  clipByGlobalNorm,
  defineOptimizer,
  definePlugin,
  flipIfMaximize,
  type HyperValue,
  listPlugins,
  type OptimizerFactory,
  pluginOf,
  scaleByAdagrad,
  scaleByAdam,
  scaleByLearningRate,
  scaleByRms,
  traceMomentum,
  usePlugin,
} from '@nablajs/optim';

/** The plugin name under which custom optimizers are registered (replaced at every definition). */
export const CUSTOM_PLUGIN = 'playground-custom';

/** What the custom code receives: the optimizer-building part of `@nablajs/optim`. */
export const CUSTOM_API = Object.freeze({
  addDecoupledWeightDecay,
  addWeightDecay,
  chain,
  checkNumber,
  clipByGlobalNorm,
  defineOptimizer,
  flipIfMaximize,
  scaleByAdagrad,
  scaleByAdam,
  scaleByLearningRate,
  scaleByRms,
  traceMomentum,
});

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * Evaluate `code`, check that it yields a working optimizer (by building one on a dummy parameter), and
 * register it. Throws an Error whose message says what went wrong and where.
 */
export function defineCustomOptimizer(code: string): { name: string; defaults: Record<string, HyperValue> } {
  let made: unknown;
  try {
    const build = new Function('api', `'use strict';\nreturn (${code}\n)(api);`);
    made = build(CUSTOM_API);
  } catch (e) {
    throw new Error(`Custom optimizer: the definition threw ${describe(e)}`);
  }
  let factory: OptimizerFactory;
  if (typeof made === 'function') factory = made as OptimizerFactory;
  else if (made !== null && typeof made === 'object' && 'rule' in made) {
    try {
      factory = defineOptimizer(made as Parameters<typeof defineOptimizer>[0]);
    } catch (e) {
      throw new Error(`Custom optimizer: defineOptimizer threw ${describe(e)}`);
    }
  } else
    throw new Error(
      `Custom optimizer: the code must return an optimizer factory (from defineOptimizer) or { name, defaults, rule }, got ${made === null ? 'null' : typeof made}`,
    );
  let name: string;
  let defaults: Record<string, HyperValue>;
  try {
    const probe = factory([tensor([0.5, -0.5], { dtype: 'float64', requiresGrad: true })]);
    name = probe.name;
    defaults = { ...probe.defaults };
  } catch (e) {
    throw new Error(`Custom optimizer: creating it on a test parameter threw ${describe(e)}`);
  }
  if (typeof name !== 'string' || name.length === 0) throw new Error('Custom optimizer: it has no name');
  const owner = pluginOf(name);
  if (owner !== undefined && owner !== CUSTOM_PLUGIN)
    throw new Error(`Custom optimizer: the name ${JSON.stringify(name)} is taken by ${owner}; choose another name`);
  const previous = listPlugins().find((p) => p.name === CUSTOM_PLUGIN);
  const optimizers = { ...(previous?.optimizers ?? {}), [name]: factory };
  usePlugin(definePlugin({ name: CUSTOM_PLUGIN, optimizers }), { override: true });
  return { name, defaults };
}
