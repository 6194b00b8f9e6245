import type { TrainContext, TrainPlugin } from './types';

/**
 * The optional stateful convention: anything with `stateDict()` and `loadStateDict(state)` whose state belongs in a
 * checkpoint. A training plugin that has both (an LR-scheduler plugin, early stopping, the checkpoint plugin itself)
 * is saved under its `name` and restored on resume; `@nablajs/optim` schedulers fit as they are. The state may hold
 * numbers (NaN and infinities included), strings, booleans, null, `Float32Array` / `Float64Array` / `Int32Array`,
 * tensors (restored as new tensors), and arrays and plain objects of those; `stateDict()` must return a snapshot,
 * not live buffers.
 *
 * Follows `state_dict()` / `load_state_dict()` of PyTorch's schedulers and Lightning's stateful callbacks.
 *
 * @example
 * ```ts
 * let seen = 0;
 * const counter: TrainPlugin & Stateful = {
 *   name: 'counter',
 *   batchEnd() { seen++; },
 *   stateDict: () => ({ seen }),
 *   loadStateDict: (state) => { seen = (state as { seen: number }).seen; },
 * };
 * ```
 *
 * @see https://lightning.ai/docs/pytorch/stable/extensions/callbacks_state.html
 */
export interface Stateful {
  /** A snapshot of the state as plain data. */
  stateDict(): unknown;
  /** Restore a snapshot taken by {@link Stateful.stateDict}. */
  loadStateDict(state: unknown): void;
}

/**
 * Whether `value` follows the {@link Stateful} convention (has `stateDict` and `loadStateDict` functions).
 *
 * @example
 * ```ts
 * isStateful(stepLR(opt, { stepSize: 10 })); // true
 * ```
 */
export function isStateful(value: unknown): value is Stateful {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Stateful>;
  return typeof v.stateDict === 'function' && typeof v.loadStateDict === 'function';
}

/**
 * Collect the stateful plugins of a run by name (see {@link Stateful}), for {@link captureCheckpoint}. A name that
 * repeats gets its rank as a suffix (`lrScheduler`, `lrScheduler#2`, ...), so two plugins of one kind keep
 * separate states as long as the resumed run lists them in the same order (a scheduler refuses the state of
 * another kind, so a swap fails loudly). The same plugin object listed twice counts once.
 *
 * @param plugins - the run's plugins
 * @returns the stateful ones, by `name`
 *
 * @example
 * ```ts
 * statefulPlugins([progressBar(), earlyStopping({ monitor: 'valLoss' })]); // { earlyStopping: ... }
 * ```
 */
export function statefulPlugins(plugins: readonly TrainPlugin[]): Record<string, Stateful> {
  const out: Record<string, Stateful> = {};
  const seen = new Set<TrainPlugin>();
  const counts = new Map<string, number>();
  for (const plugin of plugins) {
    if (!isStateful(plugin) || seen.has(plugin)) continue;
    seen.add(plugin);
    const count = (counts.get(plugin.name) ?? 0) + 1;
    counts.set(plugin.name, count);
    out[count === 1 ? plugin.name : `${plugin.name}#${count}`] = plugin;
  }
  return out;
}

/**
 * The plugins of a run, when the loop exposes them on the context (`ctx.plugins`); an empty list otherwise.
 *
 * @internal
 *
 * @example
 * ```ts
 * const states = statefulPlugins(contextPlugins(ctx));
 * ```
 */
export function contextPlugins(ctx: TrainContext): readonly TrainPlugin[] {
  const plugins = (ctx as { plugins?: unknown }).plugins;
  return Array.isArray(plugins) ? (plugins as TrainPlugin[]) : [];
}
