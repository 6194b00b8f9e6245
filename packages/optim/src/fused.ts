import { allocate, type Tensor, type TypedArray } from '@nablajs/core';

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

/**
 * For a fused step that needs a scratch array per parameter (LAMB's and cautious AdamW's direction): a
 * function that gives the one of parameter `p`, of its size and dtype, made by `allocate` on first use (so
 * on the webgpu backend it lives on the GPU) and kept as long as `p` lives.
 *
 * @example
 * ```ts
 * const scratchOf = scratchArrays();
 * const fused: FusedUpdate = (state, ctx) => {
 *   for (const p of ctx.params) if (p.grad !== null) kernel(p._array, p.grad._array, scratchOf(p), ctx.hp.lr);
 *   return true;
 * };
 * ```
 */
export function scratchArrays(): (p: Tensor) => TypedArray {
  const cache = new WeakMap<Tensor, TypedArray>();
  return (p) => {
    let u = cache.get(p);
    if (u === undefined || u.length !== p.size) {
      u = allocate(p.dtype, p.size);
      cache.set(p, u);
    }
    return u;
  };
}
