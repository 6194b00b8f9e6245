import {
  bringToHost,
  CaptureError,
  clone,
  hostReadsMayWait,
  isCapturing,
  keep,
  noGrad,
  type Tensor,
  ValueError,
} from '@nablajs/core';
import type { DeviceClosureStep } from './definition';
import { fusedUpdatesEnabled } from './fused';
import type { GroupSlot } from './group-slot';
import { hyperparamsNow } from './host-task';
import type { Closure, ParamGroup } from './types';

// A closure rule's step where the values live (webgpu): the closure's loss stays on the GPU, the rule's own
// part runs as tensor ops (DeviceClosureStep.run), and the rest of the step runs as fused kernels, or as a
// host task for the groups whose fused step refuses them. RuleOptimizer.stepAsync calls it.

/** The loss a closure returned, checked: a Tensor or a number, left unread. */
export function closureLoss(name: string, value: unknown): Tensor | number {
  if (typeof value === 'number') return value;
  if (value !== null && typeof value === 'object' && 'itemAsync' in value) return value as Tensor;
  throw new ValueError(`${name}.step: the closure must return the loss (a Tensor or a number), got ${String(value)}`);
}

/**
 * The device part and the rest of the step over `slots`. `hostStep(slots, staged)` runs the rest's rule as
 * a host task over the slots given (the runtime's path for a rule where values live on the GPU).
 */
export function runDeviceStep(
  name: string,
  device: DeviceClosureStep,
  slots: readonly GroupSlot[],
  evaluate: () => Tensor | number,
  hostStep: (slots: readonly GroupSlot[]) => void,
): void {
  const cleanup = device.run(
    slots.map((s) => s.state),
    slots.map((s) => s.ctx),
    evaluate,
  );
  try {
    const { fused, fusedWhen, state } = device.rest;
    const enabled = fused !== undefined && fusedUpdatesEnabled();
    if (fusedWhen !== undefined) {
      // a rest with passes steps its groups together: all fused, or all on the host
      if (enabled && fusedWhen(slots.map((s) => s.group) as never)) {
        for (const slot of slots)
          if (!fused(state(slot.state), slot.ctx))
            throw new ValueError(`${name}.step: the fused step refused a group that fusedWhen allowed`);
      } else hostStep(slots);
      return;
    }
    const refused = enabled ? slots.filter((slot) => !fused(state(slot.state), slot.ctx)) : slots;
    if (refused.length > 0) hostStep(refused);
  } finally {
    cleanup?.();
  }
}

/** The closure's first loss as a number, read when it arrives; a Tensor is copied so the caller may dispose it. */
export async function lossWhenRead(loss: Tensor | number): Promise<number> {
  if (typeof loss === 'number') return loss;
  const copy = noGrad(() => keep(clone(loss)));
  try {
    return await copy.itemAsync();
  } finally {
    copy.dispose();
  }
}

/**
 * The loss a closure returned, as a number (a Tensor's value read with `item()`); a ValueError naming
 * `name.step` for anything but a Tensor or a number. What `step(closure)` returns, for a hand-written
 * optimizer that calls its closure itself.
 *
 * @example
 * ```ts
 * const loss = closureLossValue('myOptimizer', enableGrad(closure)); // 0.42
 * ```
 */
export function closureLossValue(name: string, value: unknown): number {
  const loss = closureLoss(name, value);
  return typeof loss === 'number' ? loss : loss.item();
}

/**
 * For a step that must run on the host (it reads values in JavaScript): runs `step` once the parameters of
 * `groups` and their gradients are in JavaScript memory (at once on the cpu and wasm backends, after a copy
 * back on webgpu), with the groups' hyperparameters of this call, not those a scheduler set during the
 * wait. What `stepAsync` does for L-BFGS.
 *
 * @example
 * ```ts
 * async stepAsync(closure?: Closure) {
 *   return stepWhenOnHost(this.paramGroups, () => this.step(closure));
 * }
 * ```
 */
export async function stepWhenOnHost<T>(groups: readonly ParamGroup[], step: () => T): Promise<T> {
  // the cpu and wasm backends: the step runs within the call, as step() does
  if (!hostReadsMayWait()) return step();
  const withCallHyperparams = hyperparamsNow(groups);
  const tensors: Tensor[] = [];
  for (const g of groups)
    for (const p of g.params) {
      tensors.push(p);
      if (p.grad !== null) tensors.push(p.grad);
    }
  await bringToHost(tensors);
  return withCallHyperparams(step);
}

/** The checks of `step` and `stepAsync`: not inside `capture()`, the closure (`required` by a closure rule), and the train mode. */
export function checkStep(
  name: string,
  closure: Closure | undefined,
  required: boolean,
  mode: 'train' | 'eval' | undefined,
): void {
  if (isCapturing())
    throw new CaptureError(
      `${name}.step: cannot run inside capture(): the step count and hyperparameters live in JavaScript, which a replay does not run; call step() after replay()`,
    );
  if (closure !== undefined && typeof closure !== 'function')
    throw new ValueError(`${name}.step: closure must be a function, got ${typeof closure}`);
  if (required && closure === undefined)
    throw new ValueError(
      `${name}.step: closure is required (this optimizer re-evaluates the loss and gradients within a step); pass step(() => { zero the grads; loss = f(); loss.backward(); return loss; })`,
    );
  if (mode === 'eval')
    throw new ValueError(
      `${name}.step: the optimizer is in eval mode (its parameters are at the evaluation point); call optimizer.train() before stepping`,
    );
}
