import { setAnomalyEnabled } from '../grad-mode';

/**
 * Run `fn` with anomaly detection: every op's output and every gradient is checked, and the first NaN
 * or infinity throws an {@link AnomalyError} naming the op and the pass (forward or backward).
 *
 * @example
 * ```ts
 * detectAnomaly(() => {
 *   const x = tensor([0], { requiresGrad: true });
 *   x.sqrt().mul(0).sum().backward(); // throws: backward of op "sqrt" produced NaN (0 · ∞) ...
 * });
 * ```
 */
export function detectAnomaly<T>(fn: () => T): T {
  const prev = setAnomalyEnabled(true);
  try {
    return fn();
  } finally {
    setAnomalyEnabled(prev);
  }
}
