import { hostReadsMayWait, type Tensor, ValueError } from '@nablajs/core';
import type { Closure, Optimizer } from '@nablajs/optim';
import { gradientsOf, stateOf, withValuesOnHost } from '../host-values';
import type { TrainContext, TrainPlugin } from '../types';

/**
 * Whether `optimizer` must be stepped with a closure: it says so with `requiresClosure: true` (L-BFGS and SAM do),
 * or it is registered as `'lbfgs'`.
 */
export function needsClosure(optimizer: Optimizer): boolean {
  return optimizer.requiresClosure === true || optimizer.name === 'lbfgs';
}

/** Whether `optimizer` says its closure step stays where the values are (`closureStepOnDevice()`). */
function onDevice(optimizer: Optimizer): boolean {
  const ask = (optimizer as { closureStepOnDevice?: () => boolean }).closureStepOnDevice;
  return typeof ask === 'function' && ask.call(optimizer) === true;
}

/**
 * The closure of a batch. Its first call returns the loss that the loop has just computed, whose gradients are
 * already in place (after the `afterBackward` plugins, such as clipping): the optimizer's own first evaluation
 * costs nothing. Every later call zeroes the gradients and re-runs forward, loss and backward on `ctx.inputs` /
 * `ctx.targets` at the parameters' current values.
 */
function batchClosure(ctx: TrainContext, optimizer: Optimizer): Closure {
  const { inputs, targets } = ctx;
  if (inputs === null || targets === null)
    throw new ValueError(
      `optimizerStep: ${optimizer.name} needs a closure, which re-runs the current batch, but the context has no batch (inputs or targets is null)`,
    );
  let first = ctx.loss;
  return (): Tensor => {
    if (first !== null) {
      const loss = first;
      first = null;
      return loss;
    }
    optimizer.zeroGrad();
    for (const p of ctx.model.parameters()) p.grad = null;
    const loss = ctx.lossFn(ctx.model.forward(inputs), targets);
    loss.backward();
    return loss;
  };
}

/**
 * The built-in plugin on `step` that applies the optimizer's update rule: `ctx.optimizer.step()`, unless a
 * plugin skipped this batch's step (`ctx.skipStep()`, as the NaN guard and gradient accumulation do) or
 * there is no optimizer. `fit` subscribes it before the caller's plugins whenever an optimizer is given.
 *
 * An optimizer that re-evaluates the loss during its step (L-BFGS, SAM: marked by `requiresClosure: true`, or the
 * name `'lbfgs'`) gets a closure over the current batch, as PyTorch Lightning gives one. Its first call returns the
 * loss the loop has just computed (the gradients are in place, so the optimizer's first evaluation costs no extra
 * forward pass); every later call zeroes the gradients, re-runs forward, loss and backward at the current
 * parameters and returns the loss. Gradients changed by plugins on `afterBackward` (clipping) apply to the first
 * evaluation only; `ctx.loss` stays the loss of the batch's first forward pass.
 *
 * A custom update rule is a plugin on `step` exactly like this one, used with `optimizer: null` (and it
 * should honour `ctx.stepSkipped` the same way). Follows the `optimizer.step()` of PyTorch's training loop
 * (https://pytorch.org/tutorials/beginner/basics/optimization_tutorial.html) and `optimizer.step(closure)` for
 * L-BFGS (https://pytorch.org/docs/stable/optim.html#optimizer-step-closure). On the webgpu backend SAM's step
 * stays on the GPU (`stepAsync`, when `closureStepOnDevice()` says so); any other closure step runs on the host
 * (L-BFGS needs the loss at once), so the plugin first brings the model's state, the gradients and the batch back
 * from the GPU, in one read.
 *
 * @example
 * ```ts
 * // what fit() does for you; a hand-written rule looks the same:
 * const signSgd: TrainPlugin = {
 *   name: 'sign-sgd',
 *   step(ctx) {
 *     if (ctx.stepSkipped) return;
 *     for (const p of ctx.model.parameters()) if (p.grad) p.data.forEach((v, i, d) => { d[i] = v - 0.01 * Math.sign(p.grad!.data[i]); });
 *   },
 * };
 * await fit({ model, data, loss: mseLoss, optimizer: null, epochs: 5, plugins: [signSgd] });
 * ```
 */
export function optimizerStep(): TrainPlugin {
  return {
    name: 'optimizerStep',
    step(ctx) {
      const optimizer = ctx.optimizer;
      if (ctx.stepSkipped || optimizer === null) return;
      if (!needsClosure(optimizer)) {
        optimizer.step();
        return;
      }
      const closure = batchClosure(ctx, optimizer);
      // A closure step that can stay where the values are (SAM on the webgpu backend) is queued there; the
      // promise only reads back the loss the loop has already read.
      if (optimizer.stepAsync !== undefined && hostReadsMayWait() && onDevice(optimizer))
        return optimizer.stepAsync(closure).then(() => undefined);
      // Otherwise, on the webgpu backend a step with a closure runs on the host: what it reads comes back first (the
      // model's state with its buffers, the gradients, the batch), in one read.
      return withValuesOnHost(
        () => [
          ...stateOf(ctx.model),
          ...gradientsOf(ctx.model),
          ...optimizer.paramGroups.flatMap((g) => g.params),
          ...[ctx.inputs, ctx.targets].filter((t) => t !== null),
        ],
        () => {
          optimizer.step(closure);
        },
      );
    },
  };
}
