import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NablaError } from '@nablajs/core';
import optim, { listPlugins, type OptimizerPlugin, pluginOf, usePlugin } from '@nablajs/optim';
import adabelief from '@nablajs/optim-adabelief';
import adadelta from '@nablajs/optim-adadelta';
import adafactor from '@nablajs/optim-adafactor';
import adagrad from '@nablajs/optim-adagrad';
import adam from '@nablajs/optim-adam';
import adan from '@nablajs/optim-adan';
import ademamix from '@nablajs/optim-ademamix';
import adopt from '@nablajs/optim-adopt';
import lamb from '@nablajs/optim-lamb';
import lbfgs from '@nablajs/optim-lbfgs';
import lion from '@nablajs/optim-lion';
import mars from '@nablajs/optim-mars';
import muon from '@nablajs/optim-muon';
import prodigy from '@nablajs/optim-prodigy';
import rmsprop from '@nablajs/optim-rmsprop';
import rprop from '@nablajs/optim-rprop';
import sam from '@nablajs/optim-sam';
import schedulefree from '@nablajs/optim-schedulefree';
import sgd from '@nablajs/optim-sgd';
import soap from '@nablajs/optim-soap';
import { UsageError } from './usage-error';

/**
 * The optimizer plugins that ship with nabla, registered by {@link registerBuiltinPlugins}.
 *
 * @example
 * ```ts
 * BUILTIN_PLUGINS.map((p) => p.name); // ['@nablajs/optim-sgd', '@nablajs/optim-adam', ...]
 * ```
 */
export const BUILTIN_PLUGINS: readonly OptimizerPlugin[] = [
  sgd,
  adam,
  rmsprop,
  adagrad,
  adadelta,
  rprop,
  lbfgs,
  lion,
  lamb,
  optim,
  muon,
  schedulefree,
  sam,
  adan,
  ademamix,
  prodigy,
  soap,
  adafactor,
  adopt,
  mars,
  adabelief,
];

/**
 * Register every built-in optimizer plugin (again registering the same plugin object is a no-op).
 *
 * @example
 * ```ts
 * registerBuiltinPlugins();
 * listOptimizers(); // ['adadelta', 'adafactor', 'adagrad', ...]
 * ```
 */
export function registerBuiltinPlugins(): void {
  const registered = new Set(listPlugins());
  for (const plugin of BUILTIN_PLUGINS) if (!registered.has(plugin)) usePlugin(plugin);
}

function isPlugin(value: unknown): value is OptimizerPlugin {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as OptimizerPlugin).name === 'string' &&
    typeof (value as OptimizerPlugin).optimizers === 'object' &&
    (value as OptimizerPlugin).optimizers !== null
  );
}

/**
 * Load a user's optimizer plugin: `import()` the module at `path` (relative to `cwd`) and register its
 * default export, an object made with `definePlugin` from `@nablajs/optim`. Its optimizers then sit
 * beside the built-in ones. A missing file, a module without such a default export, or an optimizer
 * name that is already taken is a {@link UsageError}.
 *
 * @example
 * ```ts
 * await loadUserPlugin('./sign-sgd.js', process.cwd());
 * createOptimizer('signSgd', params, { lr: 0.01 });
 * ```
 */
export async function loadUserPlugin(path: string, cwd: string): Promise<OptimizerPlugin> {
  const file = resolve(cwd, path);
  if (!existsSync(file)) throw new UsageError(`--plugin: ${file} does not exist`);
  let module: { default?: unknown };
  try {
    module = await import(pathToFileURL(file).href);
  } catch (error) {
    throw new UsageError(`--plugin: could not load ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const plugin = module.default;
  if (!isPlugin(plugin))
    throw new UsageError(
      `--plugin: ${file} must default-export an optimizer plugin (export default definePlugin({ name, optimizers: { ... } }) from @nablajs/optim)`,
    );
  // The command line cannot pass usePlugin's { override: true }: a clash is fixed by renaming in the plugin.
  for (const name of Object.keys(plugin.optimizers)) {
    const owner = pluginOf(name);
    if (owner !== undefined && owner !== plugin.name)
      throw new UsageError(
        `--plugin ${path}: optimizer ${JSON.stringify(name)} is already provided by plugin ${JSON.stringify(owner)}; rename the optimizer in the plugin (its key in definePlugin's optimizers and its defineOptimizer name)`,
      );
  }
  try {
    usePlugin(plugin);
  } catch (error) {
    if (error instanceof NablaError)
      throw new UsageError(
        `--plugin ${path}: ${error.message
          .replace(/^usePlugin: /, '')
          .replace(/; pass \{ override: true \} to replace it$/, '; rename the plugin (its name in definePlugin)')}`,
      );
    throw error;
  }
  return plugin;
}
