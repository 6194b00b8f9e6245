let enabled = true;

/**
 * Turn the fused update path of every optimizer on (the default) or off, and return the previous
 * setting. With it off, optimizers that define a fused step (`OptimizerDefinition.fused`) run
 * their rule's chain of blocks instead: the same results (bit for bit in float64, within float32
 * rounding in float32) and the same state, only slower. Meant for tests and for ruling the fused
 * kernels out while debugging; the setting is read at every step, so a run may switch in the middle.
 *
 * @example
 * ```ts
 * const previous = setFusedUpdates(false);
 * opt.step(); // the chain of update blocks
 * setFusedUpdates(previous);
 * ```
 */
export function setFusedUpdates(on: boolean): boolean {
  const previous = enabled;
  enabled = on === true;
  return previous;
}

/**
 * Whether optimizers use their fused update path (see {@link setFusedUpdates}); `true` by default.
 *
 * @example
 * ```ts
 * fusedUpdatesEnabled(); // true
 * ```
 */
export function fusedUpdatesEnabled(): boolean {
  return enabled;
}
