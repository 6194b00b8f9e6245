import { checkOptions, optionNames, ValueError } from '@nablajs/core';
import { gradientsOf, withValuesOnHost } from '../host-values';
import type { TrainContext, TrainPlugin } from '../types';
import { namedParametersOf } from './gradient-monitor';

/** Options of {@link nanGuard}. */
export interface NanGuardOptions {
  /** `'skip'` (default): drop this batch's gradients and skip its step; `'stop'`: also stop training. */
  action?: 'skip' | 'stop';
  /** Where the message of a skipped step goes. Default `console.warn`. */
  warn?: (message: string) => void;
}

const OPTIONS = optionNames<NanGuardOptions>({ action: true, warn: true });

/** The NaN guard plugin, with the number of steps it skipped. */
export interface NanGuardPlugin extends TrainPlugin {
  /** How many steps were skipped (or stopped) because of a non-finite loss or gradient. */
  readonly skippedSteps: number;
  /** The message of the last non-finite batch, or null. */
  readonly lastMessage: string | null;
}

/** Where the first non-finite gradient is: parameter name, flat index, index per dimension, value. */
export interface NonFiniteGradient {
  /** The parameter's name (from `namedParameters()`, else `param<i>`). */
  name: string;
  /** The flat (row-major) index of the element. */
  index: number;
  /** The element's index per dimension. */
  position: number[];
  /** The value: NaN, Infinity or -Infinity. */
  value: number;
}

function positionOf(flat: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = rest % shape[d];
    rest = Math.floor(rest / shape[d]);
  }
  return out;
}

/**
 * The first non-finite gradient element of the model's parameters (in `namedParameters` order), or null.
 *
 * @internal
 */
export function findNonFiniteGradient(ctx: TrainContext): NonFiniteGradient | null {
  for (const [name, p] of namedParametersOf(ctx.model)) {
    const g = p.grad;
    if (g === null) continue;
    const d = g.values;
    for (let i = 0; i < d.length; i++)
      if (!Number.isFinite(d[i])) return { name, index: i, position: positionOf(i, g.shape), value: d[i] };
  }
  return null;
}

/**
 * Guard against NaN and infinity: after backward, if the loss or any gradient is not finite, skip the
 * optimizer step (and drop the gradients, so they do not leak into an accumulated one), with a message
 * naming the first non-finite gradient: its parameter, its index, and its value. With `action: 'stop'`,
 * training also stops with that message as the reason.
 *
 * The check reads every gradient once per batch (no allocation). Follows Keras' `TerminateOnNaN` (which
 * stops on a NaN loss) and PyTorch AMP's `GradScaler`, which skips steps with non-finite gradients; use
 * `detectAnomaly` from `@nablajs/core` to find the op that produced the first NaN.
 *
 * @example
 * ```ts
 * await fit({ model, data, loss, optimizer, epochs: 10, plugins: [nanGuard({ action: 'stop' })] });
 * // stopReason: "nanGuard: non-finite gradient NaN in parameter '2.weight' at index [0, 3] (flat 3) at epoch 4, batch 17"
 * ```
 */
export function nanGuard(options: NanGuardOptions = {}): NanGuardPlugin {
  const fn = 'nanGuard';
  checkOptions(fn, options, OPTIONS);
  const action = options.action ?? 'skip';
  if (action !== 'skip' && action !== 'stop')
    throw new ValueError(`${fn}: action must be 'skip' or 'stop', got ${JSON.stringify(action)}`);
  const warn = options.warn ?? ((message: string) => console.warn(message));
  if (typeof warn !== 'function') throw new ValueError(`${fn}: warn must be a function`);
  let skippedSteps = 0;
  let lastMessage: string | null = null;
  return {
    name: 'nanGuard',
    get skippedSteps() {
      return skippedSteps;
    },
    get lastMessage() {
      return lastMessage;
    },
    afterBackward(ctx) {
      // On the webgpu backend the gradients (and the loss) come back from the GPU first (one read).
      return withValuesOnHost(
        () => [...gradientsOf(ctx.model), ...(ctx.loss === null ? [] : [ctx.loss])],
        () => check(ctx),
      );
    },
  };

  function check(ctx: TrainContext): void {
    const loss = ctx.batchLogs.loss ?? (ctx.loss?.size === 1 ? ctx.loss.values[0] : 0);
    const bad = findNonFiniteGradient(ctx);
    if (Number.isFinite(loss) && bad === null) return;
    const where = `at epoch ${ctx.epoch}, batch ${ctx.batch}`;
    const gradient =
      bad === null
        ? 'all gradients are finite'
        : `non-finite gradient ${bad.value} in parameter '${bad.name}' at index [${bad.position.join(', ')}] (flat ${bad.index})`;
    const message = Number.isFinite(loss)
      ? `${fn}: ${gradient} ${where}`
      : `${fn}: loss is ${loss} ${where}; ${bad === null ? gradient : `first ${gradient}`}`;
    lastMessage = message;
    skippedSteps++;
    ctx.skipStep();
    for (const p of ctx.model.parameters()) p.grad = null;
    if (action === 'stop') ctx.stopTraining(message);
    else warn(`${message}; step skipped`);
  }
}
