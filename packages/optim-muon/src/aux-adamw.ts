import { allocate, type Tensor, type TypedArray } from '@nablajs/core';
import type { UpdateRule } from '@nablajs/optim';
import { lerp } from './lerp';
import { routesToMuon } from './routing';

/** The state of {@link scaleByAuxAdamW}: per parameter of the group, PyTorch's Adam state keys in lowerCamelCase. */
export interface AuxAdamWState {
  /** Steps taken by each parameter on the AdamW path (`step`); 1 during its first update. */
  step: number[];
  /** First moment (`exp_avg`); `null` for a parameter on the Muon path. */
  expAvg: (TypedArray | null)[];
  /** Second moment (`exp_avg_sq`); `null` for a parameter on the Muon path. */
  expAvgSq: (TypedArray | null)[];
}

/**
 * The AdamW fallback of {@link muon} as a rule block, exactly Keller Jordan's auxiliary Adam
 * (`adam_update` and the `use_muon=False` branch of `SingleDeviceMuonWithAuxAdam`): for every parameter
 * that does not {@link routesToMuon} (the others pass through untouched), with `g` its gradient, `p`
 * its value, step count `t`, `(β₁, β₂) = adamwBetas`, `γ = adamwLr`, `λ = adamwWeightDecay`,
 * `ε = adamwEps`:
 *
 * ```
 * m ← m + (1-β₁)·(g - m);   v ← v + (1-β₂)·(g² - v)      (lerp_, from zeros)
 * u ← -γ·λ·p - γ·(m/(1-β₁ᵗ)) / (√(v/(1-β₂ᵗ)) + ε)
 * ```
 *
 * so that the runtime's `p + u` is `p·(1 - γλ) - γ·m̂/(√v̂ + ε)`: AdamW with decoupled weight decay.
 * This is `torch.optim.AdamW`'s algorithm up to rounding (ε is added to the square root of the
 * bias-corrected `v`, here computed as `√(v/(1-β₂ᵗ))` where PyTorch computes `√v/√(1-β₂ᵗ)`), with Keller
 * Jordan's defaults, not AdamW's. The update is final (the learning rate is applied here). Reads the
 * group's hyperparameters at every step; each parameter keeps its own step count.
 *
 * @example
 * ```ts
 * const rule = chain(scaleByMuon(), scaleByAuxAdamW()); // what muon() runs
 * ```
 */
export function scaleByAuxAdamW(): UpdateRule<AuxAdamWState> {
  const buffers = (p: Tensor) => allocate(p.dtype, p.size);
  return {
    init(params, hp) {
      const fallback = params.map((p) => !routesToMuon(p, hp));
      return {
        step: params.map(() => 0),
        expAvg: params.map((p, i) => (fallback[i] ? buffers(p) : null)),
        expAvgSq: params.map((p, i) => (fallback[i] ? buffers(p) : null)),
      };
    },
    update(updates, state, ctx) {
      const hp = ctx.hp;
      const betas = hp.adamwBetas as readonly number[];
      const b1 = betas[0];
      const b2 = betas[1];
      const lr = hp.adamwLr as number;
      const eps = hp.adamwEps as number;
      const decay = lr * (hp.adamwWeightDecay as number);
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        const p = ctx.params[i];
        if (u === null || routesToMuon(p, hp)) continue;
        let m = state.expAvg[i];
        let v = state.expAvgSq[i];
        if (m === null) m = state.expAvg[i] = buffers(p);
        if (v === null) v = state.expAvgSq[i] = buffers(p);
        const t = ++state.step[i];
        const bc1 = 1 - b1 ** t;
        const bc2 = 1 - b2 ** t;
        const w = p.values;
        for (let j = 0; j < u.length; j++) {
          const g = u[j];
          m[j] = lerp(m[j], g, 1 - b1);
          v[j] = lerp(v[j], g * g, 1 - b2);
          const direction = m[j] / bc1 / (Math.sqrt(v[j] / bc2) + eps);
          u[j] = decay === 0 ? -lr * direction : -decay * w[j] - lr * direction;
        }
      }
    },
  };
}
