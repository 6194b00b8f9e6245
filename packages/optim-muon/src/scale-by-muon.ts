import { allocate, keep, type Tensor, type TypedArray, tidy, ValueError } from '@nablajs/core';
import type { StepContext, UpdateRule } from '@nablajs/optim';
import { lerp } from './lerp';
import { zeropowerViaNewtonSchulz } from './newton-schulz';
import { muonLrScale, muonMatrixShape, routesToMuon } from './routing';

/** The state of {@link scaleByMuon}: one momentum buffer per parameter of the group. */
export interface MuonState {
  /**
   * PyTorch's `momentum_buffer`, per parameter: zeros at the start, in the parameter's dtype; `null`
   * for a parameter on the AdamW path (allocated if the group's `useMuon` later sends it to Muon).
   */
  momentumBuffer: (TypedArray | null)[];
}

/** The shape as PyTorch prints it in messages: `[8]`, `[]`. */
function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Throw a `ValueError` when `useMuon` is `true` and one of `params` has ndim < 2 (Muon needs matrices),
 * naming the parameter's index and shape. {@link scaleByMuon} calls it when a group is made and at
 * every step, before changing anything.
 *
 * @example
 * ```ts
 * checkMuonParams([zeros([4, 4]), zeros([4])], true); // throws: muon: params[1] has shape [4] (ndim 1), ...
 * checkMuonParams([zeros([4, 4]), zeros([4])], null); // fine: the vector takes the AdamW fallback
 * ```
 */
export function checkMuonParams(params: readonly Tensor[], useMuon: unknown): void {
  if (useMuon !== true) return;
  params.forEach((p, i) => {
    if (p.ndim < 2)
      throw new ValueError(
        `muon: params[${i}] has shape ${formatShape(p.shape)} (ndim ${p.ndim}), but its group has useMuon: true and Muon needs matrices (ndim >= 2); set useMuon: null (the default) to send it to the AdamW fallback, or put it in a group with useMuon: false`,
      );
  });
}

/**
 * The Muon path of {@link muon} as a rule block: for every parameter that {@link routesToMuon} (the
 * others pass through untouched), with `g` its gradient, `p` its value, `μ = momentum`, `γ = lr` and
 * `λ = weightDecay`, as PyTorch 2.9's `torch.optim.Muon` computes it:
 *
 * ```
 * B ← B + (1-μ)·(g - B)                          (buf.lerp_(g, 1-μ); B starts at 0)
 * M = g + μ·(B - g)   (nesterov)   or   M = B    (grad.lerp(buf, μ))
 * O = NewtonSchulz(M; nsCoefficients, nsSteps, eps)   per matrix of muonMatrixShape(p.shape)
 * u ← -γ·λ·p - γ·s·O,   s = muonLrScale(rows, cols, adjustLrFn)
 * ```
 *
 * so that the runtime's `p + u` is `p·(1 - γλ) - γs·O`: decoupled weight decay with the unscaled
 * learning rate, then the orthogonalised step with the scaled one. The update is already final (the
 * learning rate is applied here): do not follow it with `scaleByLearningRate()`.
 *
 * Newton-Schulz runs on `ctx.updateTensor(i)` with core Tensor ops ({@link zeropowerViaNewtonSchulz}),
 * so the backend's matmul does the products. Reads the group's hyperparameters at every step. Throws
 * (before changing the group) when `useMuon` was set to `true` on a group that holds a non-matrix.
 *
 * @example
 * ```ts
 * const rule = chain(scaleByMuon(), scaleByAuxAdamW()); // what muon() runs
 * ```
 */
export function scaleByMuon(): UpdateRule<MuonState> {
  return {
    init(params, hp) {
      checkMuonParams(params, hp.useMuon);
      return {
        momentumBuffer: params.map((p) => (routesToMuon(p, hp) ? allocate(p.dtype, p.size) : null)),
      };
    },
    update(updates, state, ctx) {
      const hp = ctx.hp;
      checkMuonParams(ctx.params, hp.useMuon);
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        const p = ctx.params[i];
        if (u === null || !routesToMuon(p, hp)) continue;
        let buf = state.momentumBuffer[i];
        if (buf === null) buf = state.momentumBuffer[i] = allocate(p.dtype, u.length);
        muonDirection(u, buf, hp.momentum as number, hp.nesterov === true);
        orthogonalize(u, i, ctx);
        const lr = hp.lr;
        const decay = lr * (hp.weightDecay as number);
        const [, rows, cols] = muonMatrixShape(p.shape);
        const step = lr * muonLrScale(rows, cols, hp.adjustLrFn as string | null);
        const w = p.values;
        if (decay === 0) for (let j = 0; j < u.length; j++) u[j] = -step * u[j];
        else for (let j = 0; j < u.length; j++) u[j] = -decay * w[j] - step * u[j];
      }
    },
  };
}

/** `B ← lerp(B, g, 1-μ)`, then `u ← lerp(g, B, μ)` (Nesterov) or `u ← B`, in place of the gradient `u`. */
function muonDirection(u: TypedArray, buf: TypedArray, momentum: number, nesterov: boolean): void {
  const keep = 1 - momentum;
  for (let j = 0; j < u.length; j++) {
    const b = lerp(buf[j], u[j], keep);
    buf[j] = b;
    u[j] = nesterov ? lerp(u[j], b, momentum) : b;
  }
}

/** Replace `updates[i]` by its Newton-Schulz orthogonalisation, matrix by matrix. */
function orthogonalize(u: TypedArray, i: number, ctx: StepContext): void {
  const hp = ctx.hp;
  const p = ctx.params[i];
  const [batch, rows, cols] = muonMatrixShape(p.shape);
  const size = rows * cols;
  if (size === 0) return;
  const coefficients = hp.nsCoefficients as readonly number[];
  const steps = hp.nsSteps as number;
  const eps = hp.eps as number;
  // NOTE: keep() the runtime's view: a step taken inside the caller's tidy() must not dispose it.
  const view = keep(ctx.updateTensor(i));
  tidy(() => {
    if (batch === 1) {
      u.set(zeropowerViaNewtonSchulz(view.reshape([rows, cols]), coefficients, steps, eps).values);
      return;
    }
    const matrices = view.reshape([batch, rows, cols]);
    for (let k = 0; k < batch; k++) {
      // The slice copies matrix k before its block of u is overwritten (later blocks are still unread).
      const matrix = matrices.slice([[k, k + 1]]).reshape([rows, cols]);
      u.set(zeropowerViaNewtonSchulz(matrix, coefficients, steps, eps).values, k * size);
    }
  });
}
