import { checkOptions, optionNames, ValueError } from '@nablajs/core';
import { clipGradNorm, clipGradValue, parseNormType } from '@nablajs/optim';
import { gradientsOf, withValuesOnHost } from '../host-values';
import type { TrainPlugin } from '../types';

/** Options of {@link gradientClipping}: a norm bound, a value bound, or both. */
export interface GradientClippingOptions {
  /** Scale the gradients so that their global norm is at most this (PyTorch's `clip_grad_norm_`). */
  maxNorm?: number;
  /** The order of the norm for `maxNorm`, as `clipGradNorm` takes it (any number but NaN, ±`Infinity`, `'inf'`). Default 2. */
  normType?: number | 'inf' | '-inf';
  /** Clamp every gradient element to `[-clipValue, clipValue]` (PyTorch's `clip_grad_value_`). */
  clipValue?: number;
}

const OPTIONS = optionNames<GradientClippingOptions>({ maxNorm: true, normType: true, clipValue: true });

/**
 * Clip the gradients after backward, before the optimizer step: clamp each element to
 * `[-clipValue, clipValue]`, then (with `maxNorm`) multiply every gradient by
 * `min(1, maxNorm / (‖g‖_p + 1e-6))`, where `‖g‖_p` is the global norm over all parameters. The norm
 * before clipping is logged as `batchLogs.gradNorm`.
 *
 * Clipping runs at `afterBackward` on the model's parameters, and only on batches whose step is taken:
 * with {@link gradientAccumulation} the accumulated gradient is clipped once, before its step, as
 * PyTorch Lightning does (`gradient_clip_val`, `gradient_clip_algorithm`). See
 * https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html.
 *
 * @example
 * ```ts
 * await fit({ model, data, loss, optimizer, epochs: 10, plugins: [gradientClipping({ maxNorm: 1 })] });
 * ```
 */
export function gradientClipping(options: GradientClippingOptions): TrainPlugin {
  const fn = 'gradientClipping';
  if (typeof options !== 'object' || options === null)
    throw new ValueError(`${fn}: expected options { maxNorm?, normType?, clipValue? }`);
  checkOptions(fn, options, OPTIONS);
  const { maxNorm, clipValue } = options;
  const normType = parseNormType(fn, options.normType ?? 2);
  if (maxNorm === undefined && clipValue === undefined) throw new ValueError(`${fn}: give maxNorm, clipValue or both`);
  if (maxNorm !== undefined && (typeof maxNorm !== 'number' || !(maxNorm >= 0)))
    throw new ValueError(`${fn}: maxNorm must be a number >= 0, got ${maxNorm}`);
  if (clipValue !== undefined && (typeof clipValue !== 'number' || !(clipValue >= 0)))
    throw new ValueError(`${fn}: clipValue must be a number >= 0, got ${clipValue}`);
  return {
    name: 'gradientClipping',
    afterBackward(ctx) {
      if (ctx.stepSkipped) return;
      const params = ctx.model.parameters();
      // On the webgpu backend the gradients come back from the GPU first (one read).
      return withValuesOnHost(
        () => gradientsOf(ctx.model),
        () => {
          if (clipValue !== undefined) clipGradValue(params, clipValue);
          if (maxNorm !== undefined) ctx.batchLogs.gradNorm = clipGradNorm(params, maxNorm, normType);
        },
      );
    },
  };
}
