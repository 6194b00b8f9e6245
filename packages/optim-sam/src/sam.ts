import { allocate, type TypedArray, ValueError } from '@nablajs/core';
import {
  type ClosureOptimizer,
  checkBoolean,
  checkNumber,
  defineWrapper,
  type Hyperparams,
  type HyperValue,
  type ParamsInput,
  type StepContext,
  type UpdateRule,
} from '@nablajs/optim';
import { samOnDevice } from './device';
import { SAM_GRAD_NORM, SAM_GRAD_NORM_SQ, type SamState } from './state';

/** A group perturbed in the current step: what is needed to put it back if the closure throws. */
interface Perturbed {
  ctx: StepContext;
  state: SamState;
  updates: readonly (TypedArray | null)[];
}

/** Where one optimizer's step is, between the passes (transient: never saved, reset at every step). */
interface StepProgress {
  phase: 'idle' | 'norm' | 'perturbed' | 'evaluated';
  groups: Perturbed[];
}

/** Put every perturbed parameter of `group` back at `w`. */
function restore({ ctx, state, updates }: Perturbed): void {
  for (let i = 0; i < updates.length; i++) {
    const old = state.old[i];
    if (updates[i] !== null && old !== null) ctx.params[i].values.set(old);
  }
}

/**
 * SAM's first half as a rule block (Foret et al. 2021; ASAM, Kwon et al. 2021, with the group's
 * `adaptive`), chained before a base optimizer's rule: it turns the gradient `g` at `w` (in `updates`)
 * into the gradient at the perturbed point `w + ε`, with the parameters back at `w` for the base rule.
 * Three passes over every group, within one step:
 *
 * ```
 * 1. ‖g‖ = ‖(‖T·g_k‖₂ for every parameter k of every group)‖₂     T = |w| (adaptive) or 1
 * 2. ε_k = T_k²·g_k·ρ/(‖g‖ + 1e-12);  old_k ← w_k;  w_k ← w_k + ε_k   (ρ, T of w_k's group)
 * 3. ctx.evaluate()  (fresh gradients at w + ε);  w_k ← old_k;  u_k ← ∇L(w + ε)_k
 * ```
 *
 * The norm is the 2-norm of the per-parameter 2-norms, as davda54's `_grad_norm` sums it (each
 * accumulated in float64); it is kept in `ctx.global['sam.gradNorm']`. The closure runs once per step,
 * at the pass over the first group that has a gradient. A parameter without a gradient at `w` is not
 * perturbed, counts for nothing in the norm and stays without an update this step (its gradient at
 * `w + ε` is ignored; davda54's `second_step` would fail on its missing `old_p`). A parameter that has
 * a gradient at `w` but none at `w + ε` is restored and gets no update (`null`): the base rule skips it
 * and does not advance its state, as for any parameter without a gradient (davda54 leaves it at
 * `w + ε` on PyTorch 2, where `zero_grad` sets gradients to None, and steps it with a zero gradient on
 * PyTorch 1.13, where `zero_grad` fills zeros). If the closure throws, every parameter is put back at
 * `w` before the error propagates. Declares `couples: { closure: true, global: true }`.
 *
 * @see https://arxiv.org/abs/2010.01412
 * @see https://github.com/davda54/sam
 * @example
 * ```ts
 * const samSgd = defineOptimizer({
 *   name: 'samSgd',
 *   defaults: { lr: 0.1, rho: 0.05, adaptive: false },
 *   rule: chain(samPerturbation(), scaleByLearningRate()),
 * });
 * samSgd(params).step(closure);
 * ```
 */
export function samPerturbation(): UpdateRule<SamState> {
  // NOTE: keyed by the optimizer's ctx.global (one object per optimizer, shared by its groups), so that
  // optimizers built from this one rule never see each other's progress.
  const progress = new WeakMap<object, StepProgress>();
  const progressOf = (ctx: StepContext): StepProgress => {
    let p = progress.get(ctx.global);
    if (p === undefined) {
      p = { phase: 'idle', groups: [] };
      progress.set(ctx.global, p);
    }
    return p;
  };
  return {
    init(params): SamState {
      return { old: params.map(() => null) };
    },
    passes: [
      // 1. The norm over every parameter of every group.
      (updates, _state: SamState, ctx) => {
        const step = progressOf(ctx);
        if (step.phase !== 'norm') {
          step.phase = 'norm';
          step.groups.length = 0;
          ctx.global[SAM_GRAD_NORM_SQ] = 0;
        }
        const adaptive = ctx.hp.adaptive === true;
        let sumSq = ctx.global[SAM_GRAD_NORM_SQ] as number;
        for (let i = 0; i < updates.length; i++) {
          const g = updates[i];
          if (g === null) continue;
          const w = ctx.params[i].values;
          let sq = 0;
          for (let j = 0; j < g.length; j++) {
            const a = adaptive ? Math.abs(w[j]) * g[j] : g[j];
            sq += a * a;
          }
          // NOTE: the norm of the per-parameter norms, as the reference: each norm is rounded before squaring.
          const norm = Math.sqrt(sq);
          sumSq += norm * norm;
        }
        ctx.global[SAM_GRAD_NORM_SQ] = sumSq;
      },
      // 2. Climb to w + ε, keeping w.
      (updates, state: SamState, ctx) => {
        const step = progressOf(ctx);
        if (step.phase === 'norm') {
          step.phase = 'perturbed';
          ctx.global[SAM_GRAD_NORM] = Math.sqrt(ctx.global[SAM_GRAD_NORM_SQ] as number);
        }
        const scale = (ctx.hp.rho as number) / ((ctx.global[SAM_GRAD_NORM] as number) + 1e-12);
        const adaptive = ctx.hp.adaptive === true;
        for (let i = 0; i < updates.length; i++) {
          const g = updates[i];
          if (g === null) continue;
          const p = ctx.params[i];
          const w = p.values;
          let old = state.old[i];
          if (old === null) old = state.old[i] = allocate(p.dtype, p.size);
          old.set(w);
          // The reference's order of operations: (w²·g)·scale, or g·scale.
          if (adaptive) for (let j = 0; j < w.length; j++) w[j] += w[j] * w[j] * g[j] * scale;
          else for (let j = 0; j < w.length; j++) w[j] += g[j] * scale;
        }
        step.groups.push({ ctx, state, updates });
      },
      // 3. The gradient at w + ε, then back to w.
      (updates, state: SamState, ctx) => {
        const step = progressOf(ctx);
        if (step.phase === 'perturbed') {
          step.phase = 'evaluated';
          try {
            ctx.evaluate();
          } catch (error) {
            for (const group of step.groups) restore(group);
            step.groups.length = 0;
            step.phase = 'idle';
            throw error;
          }
        }
        restore({ ctx, state, updates });
        const mutable = updates as (TypedArray | null)[];
        for (let i = 0; i < updates.length; i++) {
          const u = updates[i];
          if (u === null) continue;
          const fresh = ctx.params[i].grad;
          if (fresh === null) mutable[i] = null;
          else u.set(fresh.values);
        }
      },
    ],
    update() {
      // Everything happens in the passes: the base rule that follows turns u = ∇L(w + ε) into its step.
    },
    couples: { closure: true, global: true },
  };
}

/** Options of {@link sam}: the base optimizer by name, its options, and SAM's own. */
export interface SamOptions {
  /** The registered name of the base optimizer that takes the sharpness-aware step (`'sgd'`, `'adam'`, ...). Required. */
  base?: string;
  /** The base optimizer's own options (`{ lr: 0.1, momentum: 0.9 }`). */
  baseOptions?: Readonly<Record<string, HyperValue>>;
  /** Radius ρ ≥ 0 of the neighbourhood in which the loss is maximised. Default `0.05` (davda54's and the paper's). */
  rho?: number;
  /** ASAM's element-wise adaptive neighbourhood `T = |w|`. Default `false`. */
  adaptive?: boolean;
  /** Any option of the base optimizer, given directly (`lr`). */
  [name: string]: unknown;
}

/**
 * SAM, Sharpness-Aware Minimization (Foret, Kleiner, Mobahi & Neyshabur 2021, "Sharpness-Aware
 * Minimization for Efficiently Improving Generalization"), around any registered optimizer, with
 * ASAM's adaptive neighbourhood (Kwon, Kim, Park & Choi 2021, "ASAM: Adaptive Sharpness-Aware
 * Minimization for Scale-Invariant Learning of Deep Neural Networks") when `adaptive` is true. Each
 * step takes the base optimizer's step from `w` with the gradient at the worst nearby point:
 *
 * ```
 * g = ∇L(w)                                          (the closure's first call)
 * T = |w| elementwise (adaptive) or 1
 * ε = ρ·T²·g / (‖T·g‖₂ + 1e-12)                      (the norm over every parameter of every group)
 * w ← base step from w with the gradient ∇L(w + ε)   (the closure's second call)
 * ```
 *
 * Defaults (davda54's): `rho 0.05, adaptive false`; the base optimizer keeps its own defaults. `base`
 * is required. `rho`, `adaptive` and every option of the base optimizer are per group, appear in
 * `paramGroups` and can follow a scheduler; a base option named like SAM's own (Adadelta's `rho`) is
 * `base.rho` there. `step(closure)` is required (`requiresClosure` is true): the closure must clear
 * the gradients, compute the loss, call `backward()` and return the loss (the PyTorch closure
 * convention). It is called twice per step: at `w` (its loss is what `step` returns) and at `w + ε`;
 * after the step, `p.grad` holds the gradients at `w + ε`. Hooks given to `onBeforeStep` run between
 * the two calls, on the gradients at `w` (a clipping hook changes the ascent direction, not the
 * gradient the base optimizer uses). The rule is `chain(samPerturbation(), <base rule>)`: see
 * {@link samPerturbation} for the passes and for parameters without a gradient. On the webgpu backend,
 * `await opt.stepAsync(closure)` keeps the whole step on the GPU ({@link samOnDevice}: the climb, the
 * second evaluation and the return as tensor ops, then the base optimizer's fused step) and resolves
 * with the first loss; `step(closure)` there runs on the host and needs the parameters brought back.
 *
 * nabla follows davda54/sam (`sam.py`), the PyTorch implementation the community uses. Where the
 * papers and the authors' code differ from it:
 * - The paper's Algorithm 1 and the official JAX code (google-research/sam) divide by `‖g‖` alone;
 *   davda54 (and nabla) add `1e-12`, so a zero gradient perturbs nothing instead of giving NaN.
 * - The JAX code takes `‖g‖` as `√Σ_k Σ g_k²` over the whole tree; davda54 as the norm of the
 *   per-parameter norms (nabla's): the same value up to rounding.
 * - The JAX code adds its weight decay to the loss (`½·λ·‖w‖²`), so the ascent direction `ε` includes
 *   it; with davda54 and nabla the base optimizer applies `weightDecay` to the second gradient only,
 *   and `ε` follows the loss's gradient (put the penalty in the closure's loss to get the JAX form).
 * - The paper computes `ε` per accelerator on each shard of the batch (m-sharpness) and averages the
 *   SAM gradients; the JAX code does that unless `sync_perturbations`; the JAX code also clips the
 *   SAM gradient to global norm 5 and logs the loss at `w + ε`. nabla, like davda54, perturbs with the
 *   gradient of the whole closure, does not clip, and returns the loss at `w` (davda54's `step`
 *   returns nothing).
 * - The paper's Algorithm 1 takes a plain gradient step; davda54 and nabla hand the gradient at `w + ε`
 *   to any base optimizer (the paper's experiments use SGD with momentum).
 * - ASAM's official code (SamsungLabs/ASAM) uses `T = |w| + η` (`η = 0.01`) for parameters named
 *   `weight` and `T = 1` for the others (biases), adds `1e-16` to the norm, defaults `ρ` to 0.5, and
 *   returns to `w` by subtracting `ε` (not bit-exact); davda54 and nabla use `T = |w|` for every
 *   parameter, `1e-12`, and the exact saved `w`. ASAM wants a larger `ρ` than SAM (about 10×; davda54's
 *   README reports ρ = 2 for ASAM on CIFAR-10), but the default stays 0.05 as in davda54.
 * - davda54's `first_step(zero_grad=True)` clears the gradients before its closure, so its closures
 *   only call `backward()`; nabla's closure clears them itself (a closure that only calls `backward()`
 *   accumulates both gradients).
 *
 * @see https://arxiv.org/abs/2010.01412
 * @see https://arxiv.org/abs/2102.11600
 * @see https://github.com/davda54/sam
 * @see https://github.com/google-research/sam
 * @example
 * ```ts
 * import { usePlugin } from '@nablajs/optim';
 * import sgdPlugin from '@nablajs/optim-sgd';
 * import { sam } from '@nablajs/optim-sam';
 * usePlugin(sgdPlugin);
 * const opt = sam(model.parameters(), { base: 'sgd', baseOptions: { lr: 0.1, momentum: 0.9 }, rho: 0.05 });
 * const loss = opt.step(() => {
 *   opt.zeroGrad();
 *   const l = lossFn(model.forward(x), y);
 *   l.backward();
 *   return l;
 * });
 * ```
 */
export const sam = defineWrapper<SamOptions>({
  name: 'sam',
  innerOption: 'base',
  defaults: { rho: 0.05, adaptive: false },
  validate(hp: Readonly<Hyperparams>) {
    const rho = checkNumber('sam', 'rho', hp.rho, { min: 0 });
    if (!Number.isFinite(rho)) throw new ValueError(`sam: rho must be a finite number >= 0, got ${rho}`);
    checkBoolean('sam', 'adaptive', hp.adaptive);
  },
  before: samPerturbation() as UpdateRule<unknown>,
  beforeOnDevice: samOnDevice(),
}) as (params: ParamsInput, options?: SamOptions) => ClosureOptimizer;
