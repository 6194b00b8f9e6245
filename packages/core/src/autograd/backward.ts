import { isCapturing, observeGrad } from '../capture-state';
import { checkOptions, optionNames } from '../check-options';
import { onesLike } from '../creation';
import { allocate, isHalfDType } from '../dtype';
import { AutogradError, ShapeError } from '../errors';
import { isAnomalyEnabled, isGradEnabled, setAnomalyEnabled, setGradEnabled } from '../grad-mode';
import { addKernel, copyKernel } from '../kernels/cpu/elementwise';
import { resolveKernel } from '../kernels/registry';
import { checkFinite, checkSavedVersions } from '../op';
import { add } from '../ops/add';
import { cast } from '../ops/cast';
import { formatShape, shapesEqual } from '../shape';
import { Tensor } from '../tensor';

/** Options of {@link Tensor.backward} and {@link gradients}. */
export interface BackwardOptions {
  /** Keep the graph so that another backward can go through it (default: `createGraph`). */
  retainGraph?: boolean;
  /** Record the backward pass, so that the gradients can be differentiated again (default false). */
  createGraph?: boolean;
}

/** Options of {@link gradients}. */
export interface GradientsOptions extends BackwardOptions {
  /** Return `null` (instead of throwing) for an input the outputs do not depend on (default false). */
  allowUnused?: boolean;
}

const BACKWARD_OPTIONS = optionNames<BackwardOptions>({ retainGraph: true, createGraph: true });
const GRADIENTS_OPTIONS = optionNames<GradientsOptions>({ retainGraph: true, createGraph: true, allowUnused: true });

/**
 * Backpropagate from `root`, accumulating into the `grad` of every leaf that requires one (what
 * {@link Tensor.backward} calls).
 *
 * @example
 * ```ts
 * backward(loss); // same as loss.backward()
 * ```
 */
export function backward(root: Tensor, grad: Tensor | null = null, options: BackwardOptions = {}): void {
  checkOptions('backward', options, BACKWARD_OPTIONS);
  const seed = seedGradient('backward', root, grad);
  propagate([root], [seed], options, null);
}

/**
 * The gradients of `outputs` with respect to `inputs`, without touching any `grad` field, like
 * `torch.autograd.grad`. With `createGraph`, the results are themselves differentiable.
 *
 * @param outputs - the tensors to differentiate (each one-element unless `gradOutputs` is given)
 * @param inputs - the tensors to differentiate with respect to
 * @param gradOutputs - the upstream gradient of each output (default: ones for one-element outputs)
 *
 * @example
 * ```ts
 * const x = tensor([2], { requiresGrad: true });
 * const [g] = gradients([x.pow(3).sum()], [x], null, { createGraph: true }); // 3x^2 = 12
 * const [h] = gradients([g!.sum()], [x]); // 6x = 12
 * ```
 */
export function gradients(
  outputs: readonly Tensor[],
  inputs: readonly Tensor[],
  gradOutputs: readonly (Tensor | null)[] | null = null,
  options: GradientsOptions = {},
): (Tensor | null)[] {
  checkOptions('gradients', options, GRADIENTS_OPTIONS);
  if (gradOutputs !== null && gradOutputs.length !== outputs.length)
    throw new AutogradError(`gradients: got ${gradOutputs.length} gradOutputs for ${outputs.length} outputs`);
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor) || !t.requiresGrad)
      throw new AutogradError(`gradients: inputs[${i}] does not require gradients`);
  });
  const seeds = outputs.map((o, i) => seedGradient(`gradients (outputs[${i}])`, o, gradOutputs?.[i] ?? null));
  const found = propagate(outputs, seeds, options, new Set(inputs));
  return inputs.map((t, i) => {
    const g = found.get(t) ?? null;
    if (g === null && !options.allowUnused)
      throw new AutogradError(
        `gradients: inputs[${i}] (shape ${formatShape(t.shape)}) was not used to compute the outputs; pass allowUnused: true to get null`,
      );
    return g;
  });
}

function seedGradient(fn: string, root: Tensor, grad: Tensor | null): Tensor {
  if (!(root instanceof Tensor)) throw new AutogradError(`${fn}: expected a Tensor`);
  if (!root.requiresGrad)
    throw new AutogradError(
      `${fn}: the tensor does not require gradients and has no gradFn (was it computed under noGrad, or from inputs without requiresGrad?)`,
    );
  if (grad === null) {
    if (root.size !== 1)
      throw new AutogradError(
        `${fn}: the tensor has shape ${formatShape(root.shape)}; a gradient can be created implicitly only for one-element (scalar) outputs, pass grad explicitly`,
      );
    return onesLike(root);
  }
  if (!shapesEqual(grad.shape, root.shape))
    throw new ShapeError(
      `${fn}: grad has shape ${formatShape(grad.shape)} but the tensor has shape ${formatShape(root.shape)}`,
    );
  return grad.dtype === root.dtype ? grad : cast(grad, root.dtype);
}

/** Post-order of the graph reachable from `roots`, computed without recursion. */
function topologicalOrder(roots: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: { t: Tensor; next: number }[] = [];
  for (const root of roots) {
    if (visited.has(root)) continue;
    visited.add(root);
    stack.push({ t: root, next: 0 });
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      const inputs = frame.t.gradFn?.inputs;
      if (inputs !== undefined && frame.next < inputs.length) {
        const child = inputs[frame.next++];
        if (child.requiresGrad && !visited.has(child)) {
          visited.add(child);
          stack.push({ t: child, next: 0 });
        }
      } else {
        order.push(frame.t);
        stack.pop();
      }
    }
  }
  return order;
}

function propagate(
  roots: readonly Tensor[],
  seeds: readonly Tensor[],
  options: BackwardOptions,
  targets: Set<Tensor> | null,
): Map<Tensor, Tensor> {
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const anomaly = isAnomalyEnabled();
  const pending = new Map<Tensor, Tensor>();
  // Sums this backward made itself (no graph, nobody else holds them): a tensor used many times (a
  // recurrent weight, once per step) gets its later contributions added in place, not a new sum each.
  const owned = createGraph ? null : new Set<Tensor>();
  // Gradients that a leaf may keep as its `.grad` without a copy: the sums above, and what a backward of
  // an op with `ownsGrads` returned (see OpSpec.ownsGrads), as long as nothing else got the same tensor.
  const adoptable = createGraph ? null : new Set<Tensor>();
  const found = new Map<Tensor, Tensor>();
  const wasRecording = isGradEnabled();
  setGradEnabled(createGraph);
  try {
    roots.forEach((r, i) => {
      const prev = pending.get(r);
      pending.set(r, prev ? add(prev, seeds[i]) : seeds[i]);
    });
    const order = topologicalOrder(roots);
    const used: Tensor[] = [];
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      let g = pending.get(t);
      if (g === undefined) continue;
      pending.delete(t);
      const hooks = t._hooks();
      if (hooks !== null) {
        adoptable?.delete(g); // a hook may keep the tensor it was given
        for (const hook of [...hooks]) {
          const replaced = hook(g);
          if (replaced instanceof Tensor) {
            if (!shapesEqual(replaced.shape, t.shape))
              throw new ShapeError(
                `registerHook: a hook returned a gradient of shape ${formatShape(replaced.shape)} for a tensor of shape ${formatShape(t.shape)}`,
              );
            g = replaced;
          }
        }
      }
      if (targets !== null) {
        if (targets.has(t)) found.set(t, g);
      } else if (t.gradFn === null || t.retainsGrad) {
        accumulateGrad(t, g, createGraph, t.gradFn === null && adoptable !== null && adoptable.has(g));
      }
      const node = t.gradFn;
      if (node === null) continue;
      if (node.released)
        throw new AutogradError(
          `backward: trying to go through the graph a second time (at op ${JSON.stringify(node.spec.name)}); its saved values were released after the first backward. Pass { retainGraph: true } to the first backward.`,
        );
      const backwardFn = node.spec.backward;
      if (backwardFn === undefined) continue;
      checkSavedVersions(node);
      // NOTE: with anomaly detection on, the ops inside a VJP are not checked one by one: the
      // report names the op whose backward this is, and the check runs on its results below.
      if (anomaly) setAnomalyEnabled(false);
      let inputGrads: readonly (Tensor | null | undefined)[];
      try {
        inputGrads = backwardFn(g, node);
      } finally {
        if (anomaly) setAnomalyEnabled(true);
      }
      used.push(t);
      const owns = adoptable !== null && node.spec.ownsGrads === true;
      for (let i = 0; i < node.inputs.length; i++) {
        const input = node.inputs[i];
        let gi = inputGrads[i];
        if (gi === null || gi === undefined || !input.requiresGrad) continue;
        if (gi.dtype !== input.dtype) gi = cast(gi, input.dtype);
        if (!shapesEqual(gi.shape, input.shape))
          throw new ShapeError(
            `backward: op ${JSON.stringify(node.spec.name)} returned a gradient of shape ${formatShape(gi.shape)} for input ${i} of shape ${formatShape(input.shape)}`,
          );
        if (anomaly) checkFinite(gi, node.spec.name, 'backward');
        const prev = pending.get(input);
        if (prev === undefined) {
          pending.set(input, gi);
          if (owns && gi === inputGrads[i] && !inputGrads.some((o, j) => j !== i && o === gi)) adoptable.add(gi);
        } else if (owned?.has(prev)) accumulateInPlace(prev, gi);
        else {
          const sum = add(prev, gi);
          pending.set(input, sum);
          // (a half gradient holds bit patterns: its sums always go through the op, which rounds)
          if (!isHalfDType(sum.dtype) && sum !== prev && sum !== gi) {
            owned?.add(sum);
            adoptable?.add(sum);
          }
        }
      }
    }
    if (!retainGraph) for (const t of used) if (t.gradFn !== null) t.gradFn.released = true;
  } finally {
    setGradEnabled(wasRecording);
  }
  return found;
}

/** `acc += g` in place (same shape and dtype), through the backend's add kernel. */
function accumulateInPlace(acc: Tensor, g: Tensor): void {
  const data = acc._array;
  resolveKernel('add', addKernel)(data, acc.shape, g._array, g.shape, data, acc.shape);
}

function accumulateGrad(t: Tensor, g: Tensor, createGraph: boolean, adopt: boolean): void {
  const gd = g.dtype === t.dtype ? g : cast(g, t.dtype);
  const prev = t.grad;
  if (prev === null) {
    // NOTE: the incoming gradient may be shared (an add passes the same tensor to both inputs, and the
    // caller may hold the seed), so a plain backward stores a copy the tensor owns, unless propagate
    // knows that nothing else holds it (`adopt`).
    if (createGraph || (adopt && gd === g && !isHalfDType(g.dtype))) t._replaceGrad(gd, true);
    else {
      const data = allocate(gd.dtype, gd.size, false);
      resolveKernel('copy', copyKernel)(gd._array, data);
      t._replaceGrad(new Tensor(data, gd.shape, gd.dtype), true);
    }
  } else if (createGraph || prev.requiresGrad || isHalfDType(prev.dtype)) {
    // (a half gradient holds bit patterns: accumulate with the op, which rounds)
    // The sum depends on the previous gradient when it is part of a graph: keep that one alive.
    t._replaceGrad(add(prev, gd), true, false);
  } else {
    accumulateInPlace(prev, gd);
    prev.markModified();
    if (isCapturing()) observeGrad(t, prev, prev);
  }
}
