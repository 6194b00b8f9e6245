// Full backward hooks (`Module.registerFullBackwardHook`): for one forward call, the module's tensor inputs
// that require gradients pass through one identity op (packed into one flat tensor, so that its backward
// sees the gradients of all of them at once and can hand back the hooks' replacements), and its output
// through another, whose backward records the output's gradient. This is how PyTorch's BackwardHook works.

import { cat, NablaError, registerOp, reshape, type Tensor, Tensor as TensorClass, zeros } from '@nablajs/core';
import type { Module } from './module';

/**
 * A full backward hook: called with the gradients of the module's inputs (`gradInput`, one entry per
 * argument of `forward`: `null` for an argument that is not a tensor, zeros for a tensor that does not require
 * a gradient, as in PyTorch) and of its output (`gradOutput`, one entry) once the inputs' gradients are
 * computed. Returning an array of the same length replaces `gradInput` (a `null` entry gives that input a
 * zero gradient, or none when every entry is `null`); returning nothing keeps it.
 */
export type FullBackwardHook<M extends Module = Module> = (
  module: M,
  gradInput: (Tensor | null)[],
  gradOutput: (Tensor | null)[],
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only observes returns nothing
) => (Tensor | null)[] | undefined | void;

/**
 * A full backward pre-hook: called with the gradient of the module's output (`gradOutput`, one entry) as soon
 * as it is computed, before it flows into the module. Returning an array of one gradient (of the output's
 * shape) replaces it for the module's backward and for its full backward hooks; returning nothing keeps it.
 */
export type FullBackwardPreHook<M extends Module = Module> = (
  module: M,
  gradOutput: (Tensor | null)[],
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that only observes returns nothing
) => (Tensor | null)[] | undefined | void;

interface Gate {
  /** Called by the identity op's backward with the gradient of its output; returns its input's (null: none). */
  readonly onGrad: (g: Tensor) => Tensor | null;
}

const gateSpec = (name: string) =>
  registerOp<Gate>({
    name,
    saves: { inputs: [], output: false },
    forward: ([x]) => new TensorClass(x._array, x.shape, x.dtype)._shareVersion(x),
    backward: (g, { attrs }) => [attrs.onGrad(g)],
  });

const inputGate = gateSpec('nn.fullBackwardHook.inputs');
const outputGate = gateSpec('nn.fullBackwardHook.output');

/** One forward call of a module with full backward hooks: its gates and what its backward has seen. */
export class BackwardHookCall {
  /** The positions of the arguments that are tensors requiring gradients. */
  private readonly gradArgs: number[] = [];
  /** The other tensor arguments: their gradient is zeros (PyTorch's), when some argument requires one. */
  private readonly otherTensors: { at: number; shape: readonly number[]; dtype: Tensor['dtype'] }[] = [];
  private shapes: (readonly number[])[] = [];
  private gradOutput: Tensor | null = null;
  /** The number of arguments of the call. */
  private count = 0;

  constructor(
    private readonly module: Module,
    private readonly hooks: readonly FullBackwardHook[],
    private readonly preHooks: readonly FullBackwardPreHook[],
    private readonly label: string,
  ) {}

  /** The arguments for `forward`: those requiring gradients replaced by views of one gated tensor. */
  gateInputs(args: unknown[]): unknown[] {
    this.count = args.length;
    if (this.hooks.length === 0) return args; // pre-hooks only: the output's gate is enough
    args.forEach((a, i) => {
      if (!(a instanceof TensorClass)) return;
      if (a.requiresGrad) this.gradArgs.push(i);
      else this.otherTensors.push({ at: i, shape: a.shape, dtype: a.dtype });
    });
    if (this.gradArgs.length === 0) return args;
    const tensors = this.gradArgs.map((i) => args[i] as Tensor);
    const dtype = tensors[0].dtype;
    if (tensors.some((t) => t.dtype !== dtype))
      throw new NablaError(
        `${this.label}: full backward hooks need the inputs that require gradients to share one dtype, got ${tensors.map((t) => t.dtype).join(', ')}`,
      );
    this.shapes = tensors.map((t) => t.shape);
    const flat = tensors.map((t) => reshape(t, [t.size]));
    const gated = inputGate([flat.length === 1 ? flat[0] : cat(flat, 0)], {
      onGrad: (g) => this.inputGrads(g, args.length),
    });
    const out = [...args];
    let offset = 0;
    this.gradArgs.forEach((i, k) => {
      const size = tensors[k].size;
      const part = flat.length === 1 ? gated : gated.slice([[offset, offset + size]]);
      out[i] = reshape(part, this.shapes[k]);
      offset += size;
    });
    return out;
  }

  /** `output` through the output gate, whose backward records the output's gradient. */
  gateOutput(output: unknown): unknown {
    if (!(output instanceof TensorClass))
      throw new NablaError(
        `${this.label}: full backward hooks need a forward that returns one Tensor, got ${output === null ? 'null' : typeof output}`,
      );
    if (!output.requiresGrad) return output;
    return outputGate([output], {
      onGrad: (grad) => {
        const g = this.runPreHooks(grad);
        this.gradOutput = g;
        if (this.gradArgs.length === 0 && this.hooks.length > 0) {
          // no input takes a gradient: the hooks run now, with no input gradients to replace
          for (const hook of this.hooks) {
            const r = hook(this.module, new Array<Tensor | null>(this.count).fill(null), [g]);
            if (r !== undefined && Array.isArray(r) && r.some((x) => x !== null))
              throw new NablaError(
                `${this.label}: a full backward hook returned input gradients, but no input of this call requires a gradient`,
              );
          }
        }
        return g;
      },
    });
  }

  /** Run the pre-hooks on the output's gradient `g`, each on what the previous one left. */
  private runPreHooks(g: Tensor): Tensor {
    let current = g;
    for (const hook of this.preHooks) {
      const r = hook(this.module, [current]);
      if (r === undefined) continue;
      const next = Array.isArray(r) && r.length === 1 ? r[0] : undefined;
      if (
        !(next instanceof TensorClass) ||
        next.shape.length !== g.shape.length ||
        next.shape.some((d, i) => d !== g.shape[i])
      )
        throw new NablaError(
          `${this.label.replace('registerFullBackwardHook', 'registerFullBackwardPreHook')}: a full backward pre-hook must return nothing or an array of one gradient of the output's shape [${g.shape.join(', ')}]`,
        );
      current = next;
    }
    return current;
  }

  /**
   * The backward of the input gate: split `packed`, run the hooks, pack what they leave (null, no gradient
   * at all, when they leave none).
   */
  private inputGrads(packed: Tensor, count: number): Tensor | null {
    let gradInput = new Array<Tensor | null>(count).fill(null);
    for (const t of this.otherTensors) gradInput[t.at] = zeros(t.shape, { dtype: t.dtype });
    let offset = 0;
    this.gradArgs.forEach((i, k) => {
      const size = this.shapes[k].reduce((a, b) => a * b, 1);
      const part = this.gradArgs.length === 1 ? packed : packed.slice([[offset, offset + size]]);
      gradInput[i] = reshape(part, this.shapes[k]);
      offset += size;
    });
    for (const hook of this.hooks) {
      const r = hook(this.module, [...gradInput], [this.gradOutput]);
      if (r === undefined) continue;
      gradInput = this.checkReplacement(r, count);
    }
    if (this.gradArgs.every((i) => gradInput[i] === null)) return null;
    const parts = this.gradArgs.map((i, k) => {
      const g = gradInput[i] ?? zeros(this.shapes[k], { dtype: packed.dtype });
      return reshape(g, [g.size]);
    });
    return parts.length === 1 ? parts[0] : cat(parts, 0);
  }

  private checkReplacement(r: unknown, count: number): (Tensor | null)[] {
    if (!Array.isArray(r) || r.length !== count)
      throw new NablaError(
        `${this.label}: a full backward hook must return nothing or an array of ${count} input gradients, got ${Array.isArray(r) ? `${r.length} entries` : typeof r}`,
      );
    return r.map((g, i) => {
      const k = this.gradArgs.indexOf(i);
      if (g === null || g === undefined) return null;
      if (!(g instanceof TensorClass))
        throw new NablaError(`${this.label}: a full backward hook returned ${typeof g} for input ${i}, not a Tensor`);
      if (k < 0) {
        // a tensor that does not require a gradient: PyTorch drops what a hook returns for it
        if (this.otherTensors.some((t) => t.at === i)) return g;
        throw new NablaError(
          `${this.label}: a full backward hook returned a gradient for input ${i}, which is not a tensor`,
        );
      }
      const shape = this.shapes[k];
      if (g.shape.length !== shape.length || g.shape.some((d, j) => d !== shape[j]))
        throw new NablaError(
          `${this.label}: a full backward hook returned a gradient of shape [${g.shape.join(', ')}] for input ${i} of shape [${shape.join(', ')}]`,
        );
      return g;
    });
  }
}
