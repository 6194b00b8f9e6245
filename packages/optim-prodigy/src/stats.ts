import { ValueError } from '@nablajs/core';
import { decodeState, type Optimizer } from '@nablajs/optim';
import { PRODIGY_KEYS } from './scale-by-prodigy';

/** Prodigy's cross-group statistics, as {@link prodigyStats} reads them (the reference keeps them in every group). */
export interface ProdigyStats {
  /** The current estimate `d`: the step size is `lr·d` (times the bias correction when it is on). */
  d: number;
  /** The largest estimate so far (at least `d0`): `d` never exceeds it (`d_max`). */
  dMax: number;
  /** The last raw estimate `d̂ = dCoef·r/Σ‖s‖₁` (`d_hat`); 0 before the first step that estimated `d`. */
  dHat: number;
  /** The estimate's numerator `r` (`d_numerator`). */
  dNumerator: number;
  /** The estimate's denominator `Σ‖s‖₁` over every parameter (`d_denom`); 0 before the first estimate. */
  dDenom: number;
  /** How many steps estimated `d` (`k`). */
  k: number;
}

/**
 * The statistics behind Prodigy's step size, read from `optimizer.stateDict().global`; before the first
 * step, `d` and `dMax` are group 0's `d0` and the rest 0. Works for {@link prodigy} and for any optimizer
 * whose rule includes {@link scaleByProdigy} (wrapped, for instance, by Lookahead). It builds the state
 * dict, which copies the whole optimizer state: call it to log, not inside a tight loop of a large model.
 * Throws a `ValueError` for an optimizer without Prodigy.
 *
 * @example
 * ```ts
 * const { d, dHat, k } = prodigyStats(opt);
 * ```
 */
export function prodigyStats(optimizer: Optimizer): ProdigyStats {
  return readStats(optimizer, 'prodigyStats');
}

function readStats(optimizer: Optimizer, fn: string): ProdigyStats {
  const sd = optimizer.stateDict();
  const global = (sd.global === undefined ? {} : decodeState(sd.global)) as Record<string, unknown>;
  if (typeof global[PRODIGY_KEYS.d] === 'number')
    return {
      d: global[PRODIGY_KEYS.d] as number,
      dMax: global[PRODIGY_KEYS.dMax] as number,
      dHat: global[PRODIGY_KEYS.dHat] as number,
      dNumerator: global[PRODIGY_KEYS.dNumerator] as number,
      dDenom: global[PRODIGY_KEYS.dDenom] as number,
      k: global[PRODIGY_KEYS.k] as number,
    };
  const d0 = optimizer.paramGroups[0]?.d0;
  if (typeof d0 !== 'number')
    throw new ValueError(
      `${fn}: optimizer ${JSON.stringify(optimizer.name)} is not Prodigy (no d0 hyperparameter, no ${PRODIGY_KEYS.d} in its state)`,
    );
  return { d: d0, dMax: d0, dHat: 0, dNumerator: 0, dDenom: 0, k: 0 };
}

/**
 * The current estimate `d` of a Prodigy optimizer: its step size is `lr·d`. `d` is not a hyperparameter,
 * so it is not in `paramGroups`; it lives in the optimizer's cross-group state (`global['prodigy.d']` of
 * the state dict), which this reads (see {@link prodigyStats} for the cost and the other statistics).
 * Before the first step it is `d0`.
 *
 * @example
 * ```ts
 * const opt = prodigy(model.parameters());
 * for (const batch of batches) {
 *   opt.zeroGrad();
 *   loss(batch).backward();
 *   opt.step();
 * }
 * console.log(`Prodigy's d: ${prodigyD(opt)}`);
 * ```
 */
export function prodigyD(optimizer: Optimizer): number {
  return readStats(optimizer, 'prodigyD').d;
}
