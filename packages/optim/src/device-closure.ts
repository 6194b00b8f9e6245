import { bringToHost, clone, keep, noGrad, type Tensor, ValueError } from '@nablajs/core';
import type { DeviceClosureStep } from './definition';
import { fusedUpdatesEnabled } from './fused';
import type { GroupSlot } from './group-slot';
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

/** For a closure step on the host from values on the GPU: the parameters and their gradients, brought back. */
export function bringParams(groups: readonly ParamGroup[]): Promise<void> {
  const tensors: Tensor[] = [];
  for (const g of groups)
    for (const p of g.params) {
      tensors.push(p);
      if (p.grad !== null) tensors.push(p.grad);
    }
  return bringToHost(tensors);
}

/** The checks of `step` and `stepAsync`: the closure (`required` by a closure rule), and the train mode. */
export function checkStep(
  name: string,
  closure: Closure | undefined,
  required: boolean,
  mode: 'train' | 'eval' | undefined,
): void {
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
