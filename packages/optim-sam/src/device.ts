import {
  abs,
  add,
  allocate,
  copyKernel,
  div,
  keep,
  mul,
  norm,
  resolveKernel,
  sqrt,
  square,
  type Tensor,
  type TypedArray,
  tidy,
} from '@nablajs/core';
import type { DeviceBlock, StepContext } from '@nablajs/optim';
import { SAM_GRAD_NORM, SAM_GRAD_NORM_SQ, type SamState } from './state';

// SAM's climb, second evaluation and return where the values live (webgpu), as tensor ops: the norm, the
// perturbation and the saved point never come back to JavaScript. The same steps as samPerturbation's
// passes, in float32 on the GPU where the rule accumulates the norm in doubles.

/** A parameter moved to `w + ε` this step, with the copy of `w` to go back to. */
interface Moved {
  param: Tensor;
  old: TypedArray;
}

/** `w ← old` for every moved parameter. */
function restore(moved: readonly Moved[]): void {
  const copy = resolveKernel('copy', copyKernel);
  for (const { param, old } of moved) copy(old, param._array);
}

/** The norm over every parameter with a gradient (`‖T·g‖`, T = |w| for adaptive groups) and its square, or null without any. */
function gradNorm(contexts: readonly StepContext[]): { norm: Tensor; sumSq: Tensor } | null {
  let sumSq: Tensor | null = null;
  for (const ctx of contexts) {
    const adaptive = ctx.hp.adaptive === true;
    for (const p of ctx.params) {
      const g = p.grad;
      if (g === null) continue;
      // the norm of the per-parameter norms, as the rule: each is rounded before it is squared
      const sq = square(norm(adaptive ? mul(abs(p), g) : g));
      sumSq = sumSq === null ? sq : add(sumSq, sq);
    }
  }
  return sumSq === null ? null : { norm: sqrt(sumSq), sumSq };
}

/**
 * SAM's `before` block where the values live: what {@link samPerturbation}'s three passes do, for every
 * group at once, with tensor ops and copies on the GPU:
 *
 * ```
 * ‖g‖ = ‖(‖T·g_k‖₂)_k‖₂;  old_k ← w_k;  w_k ← w_k + T_k²·g_k·ρ/(‖g‖ + 1e-12)
 * evaluate()   (the closure again: fresh gradients at w + ε, its loss not read)
 * w_k ← old_k
 * ```
 *
 * A parameter without a gradient at `w` is not moved and gets no update: its fresh gradient is hidden
 * from the base optimizer's step and put back in `p.grad` after it. If the closure throws, every
 * parameter goes back to `w` first. The norm and its square reach `ctx.global` (`sam.gradNorm`,
 * `sam.gradNormSq`, as the rule leaves them) through a host task when a value is next awaited. Runs for
 * float32 parameters (the GPU's dtype); the rule takes other steps on the host.
 *
 * @example
 * ```ts
 * import sgdPlugin from '@nablajs/optim-sgd';
 * const sam = defineWrapper({ name: 'sam', innerOption: 'base', defaults: { rho: 0.05, adaptive: false },
 *   before: samPerturbation(), beforeOnDevice: samOnDevice() });
 * usePlugin(sgdPlugin); // the base optimizer is found by name
 * await sam(params, { base: 'sgd', lr: 0.1 }).stepAsync(closure); // on the GPU with the webgpu backend
 * ```
 */
export function samOnDevice(): DeviceBlock {
  return {
    when: (groups) => groups.every((g) => g.params.every((p) => p.dtype === 'float32')),
    run(states, contexts, evaluate) {
      const sams = states as SamState[];
      const before = contexts.map((ctx) => ctx.params.map((p) => p.grad !== null));
      const moved: Moved[] = [];
      const norms = tidy(() => {
        const n = gradNorm(contexts);
        if (n === null) return null;
        const copy = resolveKernel('copy', copyKernel);
        contexts.forEach((ctx, gi) => {
          const scale = div(ctx.hp.rho as number, add(n.norm, 1e-12));
          const adaptive = ctx.hp.adaptive === true;
          ctx.params.forEach((p, i) => {
            const g = p.grad;
            if (g === null) return;
            const state = sams[gi];
            let old = state.old[i];
            if (old === null) old = state.old[i] = allocate(p.dtype, p.size);
            copy(p._array, old);
            // the rule's order of operations: (w²·g)·scale, or g·scale
            const climbed = add(p, mul(adaptive ? mul(mul(p, p), g) : g, scale));
            copy(climbed._array, p._array);
            moved.push({ param: p, old });
          });
        });
        return [keep(n.norm), keep(n.sumSq)];
      });
      // no gradient anywhere: nothing to climb, and (as in the rule) no second evaluation
      if (norms === null) return undefined;
      const global = contexts[0].global;
      const [normT, sumSqT] = norms;
      contexts[0].hostTask([normT._array, sumSqT._array], [], () => {
        global[SAM_GRAD_NORM] = normT._array[0];
        global[SAM_GRAD_NORM_SQ] = sumSqT._array[0];
        normT.dispose();
        sumSqT.dispose();
      });
      try {
        evaluate();
      } finally {
        restore(moved);
      }
      // a parameter that was not moved gets no update: its fresh gradient waits out the base step
      const hidden: [Tensor, Tensor][] = [];
      contexts.forEach((ctx, gi) => {
        ctx.params.forEach((p, i) => {
          const g = p.grad;
          if (!before[gi][i] && g !== null) {
            hidden.push([p, g]);
            p.grad = null;
          }
        });
      });
      return () => {
        for (const [p, g] of hidden) p.grad = g;
      };
    },
  };
}
