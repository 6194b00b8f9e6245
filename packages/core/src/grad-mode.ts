import { ValueError } from './errors';

let gradEnabled = true;
let anomalyEnabled = false;

/**
 * Whether operations are currently recorded for automatic differentiation.
 *
 * @example
 * ```ts
 * noGrad(() => isGradEnabled()); // false
 * ```
 */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Set gradient recording on or off and return the previous setting (prefer {@link noGrad} / {@link enableGrad}). */
export function setGradEnabled(enabled: boolean): boolean {
  const prev = gradEnabled;
  gradEnabled = enabled;
  return prev;
}

/**
 * Run `fn` with gradient recording off: results do not require gradients and no graph is kept.
 * `fn` must be synchronous: a Promise result is rejected with a `ValueError`, because recording would
 * resume at its first `await` (wrap the synchronous parts inside the async function instead).
 *
 * @example
 * ```ts
 * const w = tensor([1, 2], { requiresGrad: true });
 * const y = noGrad(() => mul(w, 2));
 * y.requiresGrad; // false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode('noGrad', false, fn);
}

/**
 * Run `fn` with gradient recording on, even inside {@link noGrad}. Like {@link noGrad}, synchronous
 * only: a Promise result is rejected.
 *
 * @example
 * ```ts
 * noGrad(() => enableGrad(() => isGradEnabled())); // true
 * ```
 */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode('enableGrad', true, fn);
}

/** Run `fn` with recording set to `enabled`, restored after; `fn` must not return a Promise (named `name`). */
function withGradMode<T>(name: string, enabled: boolean, fn: () => T): T {
  const prev = setGradEnabled(enabled);
  let result: T;
  try {
    result = fn();
  } finally {
    gradEnabled = prev;
  }
  if (
    result instanceof Promise ||
    (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function')
  )
    throw new ValueError(
      `${name}: fn returned a Promise; ${name} covers synchronous code only (recording would resume at the first await): call ${name} around the synchronous parts inside the async function`,
    );
  return result;
}

/** Whether anomaly detection is on (see {@link detectAnomaly}). */
export function isAnomalyEnabled(): boolean {
  return anomalyEnabled;
}

/** @internal */
export function setAnomalyEnabled(enabled: boolean): boolean {
  const prev = anomalyEnabled;
  anomalyEnabled = enabled;
  return prev;
}
