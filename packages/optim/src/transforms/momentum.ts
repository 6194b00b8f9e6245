import { allocate, type TypedArray } from '@nablajs/core';
import type { UpdateRule } from '../types';

/** The state of {@link traceMomentum}: one momentum buffer per parameter, `null` until its first step with momentum. */
export interface TraceMomentumState {
  /** PyTorch's `momentum_buffer`, per parameter (`null` before the parameter's first step with `momentum > 0`). */
  momentumBuffer: (TypedArray | null)[];
}

/**
 * SGD's heavy-ball or Nesterov momentum (PyTorch's `SGD`), reading the group's `momentum`,
 * `dampening` and `nesterov` at every step:
 *
 * - first step of a parameter: `buf ← g` (the gradient itself, already flipped and weight-decayed:
 *   no `(1 - dampening)` factor, not a decay from zero);
 * - later steps: `buf ← momentum · buf + (1 - dampening) · g`;
 * - update: `u ← g + momentum · buf` with `nesterov` (using the buffer just updated), else `u ← buf`.
 *
 * While `momentum` is 0 the block passes the updates through and keeps no buffer, as PyTorch does
 * (a buffer is then created, from the gradient, at the first step where `momentum > 0`). The
 * learning rate is not applied here: follow with `scaleByLearningRate()`.
 *
 * Reference: Sutskever et al. 2013, "On the importance of initialization and momentum in deep
 * learning"; PyTorch's `torch.optim.SGD` documentation (whose formulation, with `lr` outside the
 * buffer, nabla follows).
 *
 * @example
 * ```ts
 * const sgdRule = chain(flipIfMaximize(), addWeightDecay(), traceMomentum(), scaleByLearningRate());
 * ```
 */
export function traceMomentum(): UpdateRule<TraceMomentumState> {
  return {
    init: (params) => ({ momentumBuffer: params.map(() => null) }),
    update(updates, state, ctx) {
      const momentum = ctx.hp.momentum as number;
      if (!momentum) return;
      const keep = 1 - ((ctx.hp.dampening as number | undefined) ?? 0);
      const nesterov = ctx.hp.nesterov === true;
      const buffers = state.momentumBuffer;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        let buf = buffers[i];
        if (buf === null) {
          // NOTE: PyTorch initialises the buffer to the gradient itself, not to (1 - dampening) * g.
          buf = allocate(ctx.params[i].dtype, u.length);
          buf.set(u);
          buffers[i] = buf;
        } else {
          for (let j = 0; j < u.length; j++) buf[j] = momentum * buf[j] + keep * u[j];
        }
        if (nesterov) {
          for (let j = 0; j < u.length; j++) u[j] += momentum * buf[j];
        } else {
          u.set(buf);
        }
      }
    },
  };
}
