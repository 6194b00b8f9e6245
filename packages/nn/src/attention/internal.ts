import type { Generator } from '@nablajs/core';

/**
 * An option key, not part of the public API: the generator of a module's initial weights when it differs
 * from `options.generator` (which then only drives dropout). Copies of Transformer layers (PyTorch's
 * `copy.deepcopy`) initialise from a throwaway generator and then load the original's values, so that
 * building a stack leaves the caller's random stream untouched.
 */
export const INIT_GENERATOR: unique symbol = Symbol('nabla.initGenerator');

/** Options that may carry {@link INIT_GENERATOR}. */
export interface WithInitGenerator {
  [INIT_GENERATOR]?: Generator;
}
