import { AnomalyError, NablaError } from './errors';
import { isAnomalyEnabled, isGradEnabled, setGradEnabled } from './grad-mode';
import type { Tensor } from './tensor';

/** What an op's backward receives besides the upstream gradient. */
export interface OpContext<A> {
  /** The op's inputs, as passed to forward (still attached to the graph, so VJPs can be differentiated again). */
  readonly inputs: readonly Tensor[];
  /** The op's output. */
  readonly output: Tensor;
  /** The op's non-tensor arguments. */
  readonly attrs: A;
}

/**
 * An op: a forward computed with kernels, and a vector-Jacobian product written with Tensor ops so
 * that gradients of gradients work.
 */
export interface OpSpec<A = undefined> {
  /** A unique name, used in error messages, anomaly reports and the registry. */
  readonly name: string;
  /** Compute the output from the inputs. Runs with gradient recording off; must not mutate its inputs. */
  forward(inputs: readonly Tensor[], attrs: A): Tensor;
  /**
   * The vector-Jacobian product: one gradient per input, with the input's shape (`null` where the
   * input gets none). Omit it for non-differentiable ops (comparisons, argmax).
   */
  backward?(grad: Tensor, ctx: OpContext<A>): readonly (Tensor | null | undefined)[];
}

/** A recorded application of an op: the node of the autograd graph that produced a tensor. */
export interface GradNode {
  /** The op that produced the tensor. */
  readonly spec: OpSpec<unknown>;
  /** Inputs of the op. */
  readonly inputs: readonly Tensor[];
  /** The op's output tensor. */
  readonly output: Tensor;
  /** Non-tensor arguments of the op. */
  readonly attrs: unknown;
  /** Set once a backward pass without `retainGraph` has gone through this node. */
  released: boolean;
}

const registry = new Map<string, OpSpec<unknown>>();

/**
 * Register an op so it can be found by name, and return a function that applies it. The built-in ops
 * are registered the same way; registering a name twice throws unless `override` is set.
 *
 * @example
 * ```ts
 * const cube = registerOp<undefined>({
 *   name: 'cube',
 *   forward: ([x]) => tensor(Array.from(x.data, (v) => v ** 3), { shape: [...x.shape], dtype: x.dtype }),
 *   backward: (g, { inputs: [x] }) => [mul(g, mul(3, square(x)))],
 * });
 * cube([tensor([2], { requiresGrad: true })], undefined); // 8, with a gradient of 12
 * ```
 */
export function registerOp<A>(
  spec: OpSpec<A>,
  options: { override?: boolean } = {},
): (inputs: readonly Tensor[], attrs: A) => Tensor {
  if (registry.has(spec.name) && !options.override)
    throw new NablaError(
      `registerOp: an op named ${JSON.stringify(spec.name)} is already registered; pass { override: true } to replace it`,
    );
  registry.set(spec.name, spec as OpSpec<unknown>);
  return (inputs, attrs) => applyOp(spec, inputs, attrs);
}

/**
 * The op registered under `name`, or `undefined`.
 *
 * @example
 * ```ts
 * getOp('add')?.name; // 'add'
 * ```
 */
export function getOp(name: string): OpSpec<unknown> | undefined {
  return registry.get(name);
}

/**
 * The names of every registered op.
 *
 * @example
 * ```ts
 * listOps().includes('matmul'); // true
 * ```
 */
export function listOps(): string[] {
  return [...registry.keys()];
}

/**
 * Run `spec` on `inputs` and, when gradients are being recorded and an input requires one, attach the
 * graph node that backward will use.
 *
 * @example
 * ```ts
 * const y = applyOp(getOp('exp')!, [x], undefined);
 * ```
 */
export function applyOp<A>(spec: OpSpec<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  const recording = isGradEnabled();
  setGradEnabled(false);
  let out: Tensor;
  try {
    out = spec.forward(inputs, attrs);
  } finally {
    setGradEnabled(recording);
  }
  if (isAnomalyEnabled()) checkFinite(out, spec.name, 'forward');
  if (recording && spec.backward !== undefined) {
    let needsGrad = false;
    for (let i = 0; i < inputs.length; i++) if (inputs[i].requiresGrad) needsGrad = true;
    if (needsGrad) {
      // NOTE: a forward may hand back an input unchanged (a reshape to the same shape); the output
      // must still be a node of its own, so it gets a fresh Tensor over the same data.
      if (inputs.includes(out)) out = out.detach();
      out._attachGradFn({ spec: spec as OpSpec<unknown>, inputs, output: out, attrs, released: false });
    }
  }
  return out;
}

/** Throw an {@link AnomalyError} if `t` holds a NaN or an infinity. */
export function checkFinite(t: Tensor, op: string, phase: 'forward' | 'backward'): void {
  const data = t.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      const what = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      throw new AnomalyError(
        `detectAnomaly: ${phase} of op ${JSON.stringify(op)} produced ${what} at flat index ${i} of a tensor of shape [${t.shape.join(',')}]`,
        op,
        phase,
      );
    }
  }
}
