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
 *
 * @example
 * ```ts
 * const w = tensor([1, 2], { requiresGrad: true });
 * const y = noGrad(() => mul(w, 2));
 * y.requiresGrad; // false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const prev = setGradEnabled(false);
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Run `fn` with gradient recording on, even inside {@link noGrad}.
 *
 * @example
 * ```ts
 * noGrad(() => enableGrad(() => isGradEnabled())); // true
 * ```
 */
export function enableGrad<T>(fn: () => T): T {
  const prev = setGradEnabled(true);
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
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
