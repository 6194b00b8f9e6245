/**
 * AdEMAMix's linear warm-up of `alpha` (the authors' `linear_warmup_scheduler`): at step `t` (counted
 * from 1) of a warm-up of `warmup` steps, interpolate linearly from `start` to `end`; from step
 * `warmup` on, return `end`.
 *
 * ```
 * t < warmup:  a = t / warmup,  value = (1 - a)·start + a·end
 * otherwise:   value = end
 * ```
 *
 * @see https://github.com/apple/ml-ademamix
 * @example
 * ```ts
 * linearWarmup(25, 8, 0, 100); // 2: a quarter of the way from 0 to alpha = 8
 * ```
 */
export function linearWarmup(step: number, end: number, start: number, warmup: number): number {
  if (step < warmup) {
    const a = step / warmup;
    return (1 - a) * start + a * end;
  }
  return end;
}

/** The half-life of an EMA with decay `beta`, minus one step (the authors' `f`, with its `1e-8`). */
function halfLife(beta: number): number {
  return Math.log(0.5) / Math.log(beta + 1e-8) - 1;
}

/** The decay whose half-life is `t + 1` steps (the authors' `f_inv`). */
function decayOfHalfLife(t: number): number {
  return 0.5 ** (1 / (t + 1));
}

/**
 * AdEMAMix's warm-up of `beta3` (the authors' `linear_hl_warmup_scheduler`): interpolate linearly the
 * **half-life** of the slow EMA, not `beta3` itself, from that of `start` (AdEMAMix uses `beta1`) to
 * that of `end`, so that the slow EMA's memory grows linearly during the warm-up. With
 * `f(β) = ln(0.5) / ln(β + 1e-8) - 1` and `f⁻¹(τ) = 0.5^(1/(τ+1))`, at step `t` (counted from 1):
 *
 * ```
 * t < warmup:  a = t / warmup,  value = f⁻¹((1 - a)·f(start) + a·f(end))
 * otherwise:   value = end
 * ```
 *
 * The paper writes the same schedule in closed form,
 * `β₃(t) = min(exp(ln(β_start)·ln(β₃) / ((1 - t/T)·ln(β₃) + (t/T)·ln(β_start))), β₃)`; the authors'
 * code (which nabla follows) adds `1e-8` inside the logarithm and has no `min`: the half-lives are
 * slightly longer (by ~0.7 step for `β₃ = 0.9999`, so the schedule is above the paper's by up to ~4e-7
 * there), the value approaches `end + 1e-8` rather than `end` at the end of the warm-up, and it is
 * exactly `end` from step `warmup` on.
 *
 * @see https://arxiv.org/abs/2409.03137
 * @see https://github.com/apple/ml-ademamix
 * @example
 * ```ts
 * linearHalfLifeWarmup(1, 0.9999, 0.9, 15); // ≈ 0.99852: the half-life is already 1/15 of the way
 * ```
 */
export function linearHalfLifeWarmup(step: number, end: number, start: number, warmup: number): number {
  if (step < warmup) {
    const a = step / warmup;
    return decayOfHalfLife((1 - a) * halfLife(start) + a * halfLife(end));
  }
  return end;
}
