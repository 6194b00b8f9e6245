import { runOnHost, type TypedArray } from '@nablajs/core';
import type { ParamGroup } from './types';

/**
 * Run `task`, an optimizer's JavaScript over the parameters of `groups` (read and written) and `reads`,
 * through `runOnHost`: at once when their values are in JavaScript memory, else when a value is next
 * awaited (webgpu backend). A task that waits runs with the groups' hyperparameters of this call, since a
 * scheduler may change them before it runs; afterwards each one is back to the value set since, unless
 * the task itself changed it. `started` is called as the task starts, before it runs; `alsoWrites` are
 * arrays beside the parameters that the task reads and writes (the optimizer's state).
 *
 * @internal
 */
export function runGroupsOnHost(
  reads: readonly TypedArray[],
  groups: readonly ParamGroup[],
  started: () => void,
  task: () => void,
  alsoWrites: readonly TypedArray[] = [],
): void {
  const writes = [...groups.flatMap((group) => group.params.map((p) => p._array)), ...alsoWrites];
  const later = hyperparamsNow(groups);
  let now = true;
  runOnHost(reads, writes, () => {
    started();
    if (now) task();
    else later(task);
  });
  now = false;
}

/**
 * For a step that runs later than it is called (after an await, or when a value on the GPU arrives): takes
 * the hyperparameters of `groups` now, and returns a function that runs a task with them. During the task
 * each group holds the values of the call (a scheduler may have changed them since); afterwards each one is
 * back to the value set since, unless the task itself changed it.
 *
 * @example
 * ```ts
 * const withCallHyperparams = hyperparamsNow(opt.paramGroups);
 * await bringToHost(params);
 * const loss = withCallHyperparams(() => opt.step(closure)); // the lr of the call, not a later schedule's
 * ```
 */
export function hyperparamsNow(groups: readonly ParamGroup[]): <T>(task: () => T) => T {
  const hps = groups.map((group) => ({ ...group }) as Record<string, unknown>);
  return (task) => {
    const live = groups as unknown as Record<string, unknown>[];
    const current = live.map((group) => ({ ...group }));
    live.forEach((group, i) => {
      Object.assign(group, hps[i]);
    });
    try {
      return task();
    } finally {
      live.forEach((group, i) => {
        for (const key of Object.keys(current[i])) if (group[key] === hps[i][key]) group[key] = current[i][key];
      });
    }
  };
}
