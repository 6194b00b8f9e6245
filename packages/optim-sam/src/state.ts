import type { TypedArray } from '@nablajs/core';

/** The state of {@link samPerturbation} for one parameter group: plain data, saved in the state dict. */
export interface SamState {
  /**
   * Per parameter: its value `w` before the perturbation of the last step (davda54's `old_p`), in the
   * parameter's dtype; `null` until the parameter first takes part in a step.
   */
  old: (TypedArray | null)[];
}

/** `ctx.global` key: the sum of the squared per-parameter norms, accumulated by the first pass. */
export const SAM_GRAD_NORM_SQ = 'sam.gradNormSq';
/** `ctx.global` key: the norm `‖g‖` (`‖|w|·g‖` for ASAM groups) over every parameter of every group at the last step. */
export const SAM_GRAD_NORM = 'sam.gradNorm';
