import type { Tensor } from '@nablajs/core';
import type { ParamsInput, StepHook } from './types';

/**
 * Add `hook` to `list` and return the function that removes it: how every optimizer implements
 * `onBeforeStep` / `onAfterStep`, the rule runtime and hand-written ones (L-BFGS) alike.
 *
 * @example
 * ```ts
 * onAfterStep(hook: StepHook) { return addHook(this.after, hook); }
 * ```
 */
export function addHook(list: StepHook[], hook: StepHook): () => void {
  list.push(hook);
  return () => {
    const i = list.indexOf(hook);
    if (i >= 0) list.splice(i, 1);
  };
}

/**
 * Whether a factory's `params` argument is a plain list of tensors (rather than of parameter groups).
 *
 * @example
 * ```ts
 * const groups = isTensorList(params) ? [{ params }] : params;
 * ```
 */
export function isTensorList(params: ParamsInput): params is readonly Tensor[] {
  const first = params[0] as unknown;
  return first !== null && typeof first === 'object' && 'data' in (first as object) && 'shape' in (first as object);
}
