import { checkOptions, optionNames } from './check-options';
import { type DType, isFloatingDType, isHalfDType } from './dtype';
import { AnomalyError, NablaError, SavedTensorModifiedError } from './errors';
import { isAnomalyEnabled, isGradEnabled, setGradEnabled } from './grad-mode';
import { decodeHalf, encodeHalf } from './half';
import { Tensor } from './tensor';

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
  /**
   * Which tensors the backward reads the values of (it may always read shapes and dtypes): the indices
   * of those inputs, and whether it reads the output. Backward checks that these were not modified in
   * place since the forward (see {@link Tensor.version}). Default: every input and the output, the safe
   * choice; an op whose backward needs none of them (add, sum, reshape) declares
   * `{ inputs: [], output: false }` so that changing its inputs afterwards is allowed, as in PyTorch.
   */
  readonly saves?: OpSaves;
  /**
   * Whether the forward takes float16/bfloat16 inputs as they are (Uint16Array bit patterns). By
   * default (false) {@link applyOp} hands the forward float32 copies of half inputs and rounds a
   * float32 output back to the half dtype (see {@link applyOp}), so kernels never see half data; only
   * ops that move bit patterns or convert (`cast`) set this.
   */
  readonly halfNative?: boolean;
  /**
   * Whether every gradient the backward returns is a new tensor over a new buffer that nothing else
   * references (not an input, not the incoming gradient, not a view, not one tensor for two inputs).
   * A plain `backward()` then stores such a gradient as a leaf's `.grad` as it is, where it would
   * otherwise copy it (PyTorch steals an incoming gradient nobody else holds the same way). Default false.
   */
  readonly ownsGrads?: boolean;
}

/**
 * What an op's backward reads the values of (see {@link OpSpec.saves}).
 *
 * @example
 * ```ts
 * const saves: OpSaves = { inputs: [1], output: false }; // indexSelect reads only its index
 * ```
 */
export interface OpSaves {
  /** The indices of the inputs whose values the backward reads (default: every input). */
  readonly inputs?: readonly number[];
  /** Whether the backward reads the output's values (default true). */
  readonly output?: boolean;
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
  /**
   * The {@link Tensor.version} of each tensor the backward reads, when the op ran: one entry per input,
   * then one for the output; -1 where the backward does not read it (see {@link OpSpec.saves}).
   */
  readonly savedVersions?: readonly number[];
}

const registry = new Map<string, OpSpec<unknown>>();
const OP_SPEC_FIELDS = optionNames<OpSpec<unknown>>({
  name: true,
  forward: true,
  backward: true,
  saves: true,
  halfNative: true,
  ownsGrads: true,
});
const OP_SAVES_FIELDS = optionNames<OpSaves>({ inputs: true, output: true });
const REGISTER_OP_OPTIONS = optionNames<{ override?: boolean }>({ override: true });

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
  checkOptions('registerOp', spec, OP_SPEC_FIELDS, 'field');
  if (spec.saves !== undefined) checkOptions('registerOp', spec.saves, OP_SAVES_FIELDS, 'saves field');
  checkOptions('registerOp', options, REGISTER_OP_OPTIONS);
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
 * Half precision: unless the op is {@link OpSpec.halfNative}, float16/bfloat16 inputs reach the forward
 * as float32 copies, and when every floating input has the same half dtype, the floating output is
 * rounded back to it (to nearest, ties to even), like PyTorch's CPU half ops with float32 computation.
 * Mixed inputs follow {@link promoteTypes} and are not rounded back (float16 with float32 gives
 * float32, float16 with bfloat16 gives float32), except that a 0-d float input next to a dimensioned
 * half tensor does not promote (PyTorch's rule for 0-d tensors and numbers): it is rounded to the half
 * dtype and the result stays half. Likewise a 0-d float64 input next to a dimensioned float32 one (and
 * no dimensioned float64) is cast to float32 first, so the result is float32 as in PyTorch; its
 * gradient comes back float64 through the cast. The recorded node's
 * backward likewise sees float32 copies of the half inputs, output and upstream gradient (made with the
 * differentiable `cast`, so gradients of gradients work), and backward casts the gradients it returns
 * to the inputs' half dtype.
 *
 * @example
 * ```ts
 * const y = applyOp(getOp('exp')!, [x], undefined);
 * ```
 */
export function applyOp<A>(spec: OpSpec<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  if (hasDemotedScalar(inputs)) inputs = demoteScalars(inputs);
  const recording = isGradEnabled();
  const half = spec.halfNative === true ? undefined : halfTarget(inputs);
  setGradEnabled(false);
  let out: Tensor;
  try {
    out = half === undefined ? spec.forward(inputs, attrs) : forwardUpcast(spec, inputs, attrs, half);
  } finally {
    setGradEnabled(recording);
  }
  if (isAnomalyEnabled()) checkFinite(out, spec.name, 'forward');
  let attached = false;
  if (recording && spec.backward !== undefined) {
    let needsGrad = false;
    for (let i = 0; i < inputs.length; i++) if (inputs[i].requiresGrad) needsGrad = true;
    if (needsGrad) {
      attached = true;
      // NOTE: a forward may hand back an input unchanged (a reshape to the same shape); the output
      // must still be a node of its own, so it gets a fresh Tensor over the same data.
      if (inputs.includes(out)) out = out.detach();
      out._attachGradFn({
        spec: (half === undefined ? spec : halfBackwardSpec(spec)) as OpSpec<unknown>,
        inputs,
        output: out,
        attrs,
        released: false,
        savedVersions: savedVersions(spec, inputs, out),
      });
    }
  }
  // An input handed back unchanged with no node recorded (inside noGrad, say) is a new tensor over the
  // same data that does not require gradients, as PyTorch's views are: never the input itself.
  if (!attached && out.requiresGrad && inputs.includes(out)) out = out.detach();
  return out;
}

/**
 * Whether `inputs` mix a 0-d float64 tensor with a dimensioned float32 one: PyTorch's promotion then
 * keeps float32 (a 0-d tensor does not promote a dimensioned one of its own category). Half tensors
 * have the same rule in {@link halfTarget}. A plain loop: this runs on every op.
 */
function hasDemotedScalar(inputs: readonly Tensor[]): boolean {
  if (inputs.length < 2) return false;
  let scalar64 = false;
  let dim32 = false;
  let dim64 = false;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    if (t.dtype === 'float64') {
      if (t.shape.length === 0) scalar64 = true;
      else dim64 = true;
    } else if (t.dtype === 'float32' && t.shape.length > 0) dim32 = true;
  }
  return scalar64 && dim32 && !dim64;
}

/** `inputs` with each 0-d float64 tensor cast to float32 (differentiably: its gradient comes back float64). */
function demoteScalars(inputs: readonly Tensor[]): Tensor[] {
  return inputs.map((t) => (t.dtype === 'float64' && t.shape.length === 0 ? applyOp(castSpec(), [t], 'float32') : t));
}

/**
 * Whether `inputs` hold a half tensor: `undefined` if none, else the half dtype to round a float32
 * output back to (`null` when the floating inputs mix dtypes, so the output keeps its promoted dtype).
 * 0-d float inputs next to a dimensioned half tensor do not count, like PyTorch's promotion of 0-d
 * tensors and numbers ("category" rule): `halfTensor.mul(0.1)` stays half.
 */
function halfTarget(inputs: readonly Tensor[]): DType | null | undefined {
  let half: DType | undefined;
  let mixed = false;
  let dimensioned = false;
  for (let i = 0; i < inputs.length; i++) {
    if (isHalfDType(inputs[i].dtype)) {
      if (inputs[i].shape.length > 0) dimensioned = true;
      half = inputs[i].dtype;
    }
  }
  if (half === undefined) return undefined;
  half = undefined;
  for (let i = 0; i < inputs.length; i++) {
    const d = inputs[i].dtype;
    if (!isFloatingDType(d)) continue;
    // As in PyTorch, a 0-d float tensor (or a number) next to a dimensioned half tensor does not promote.
    if (dimensioned && inputs[i].shape.length === 0 && !isHalfDType(d)) continue;
    if (isHalfDType(d)) {
      if (half === undefined) half = d;
      else if (half !== d) mixed = true;
    } else mixed = true;
  }
  if (half === undefined) return null;
  return mixed ? null : half;
}

/** Run `spec`'s forward on float32 copies of the half inputs and round a float32 output back to `half`. */
function forwardUpcast<A>(spec: OpSpec<A>, inputs: readonly Tensor[], attrs: A, half: DType | null): Tensor {
  const copies = new Map<Tensor, Tensor>(); // one copy per tensor, so that x.mul(x) sees the same input twice
  const up = inputs.map((t) => {
    let copy = copies.get(t);
    if (copy !== undefined) return copy;
    if (isHalfDType(t.dtype)) copy = new Tensor(decodeHalf(t.values as Uint16Array, t.dtype), t.shape, 'float32');
    else if (half !== null && isHalfDType(half) && t.shape.length === 0 && isFloatingDType(t.dtype)) {
      // A 0-d float tensor that did not promote (see halfTarget) is rounded to the half dtype, as in PyTorch.
      copy = new Tensor(decodeHalf(encodeHalf(t.values, half), half), [], 'float32');
    } else copy = t;
    copies.set(t, copy);
    return copy;
  });
  const out = spec.forward(up, attrs);
  const at = up.indexOf(out);
  if (at >= 0 && up[at] !== inputs[at]) return inputs[at]; // the forward handed back an input unchanged
  if (half === null || !isHalfDType(half) || !isFloatingDType(out.dtype) || isHalfDType(out.dtype)) return out;
  return new Tensor(encodeHalf(out.values, half), out.shape, half);
}

const halfBackwardSpecs = new WeakMap<object, OpSpec<never>>();

/**
 * `spec` with a backward that sees float32 copies of its half inputs, output and upstream gradient
 * (through the differentiable `cast` op, so gradients of gradients still work); backward casts the
 * gradients it returns to each input's dtype, so they come out half, rounded once.
 */
function halfBackwardSpec<A>(spec: OpSpec<A>): OpSpec<A> {
  const known = halfBackwardSpecs.get(spec);
  if (known !== undefined) return known as unknown as OpSpec<A>;
  const backward = spec.backward;
  if (backward === undefined) return spec;
  const wrapped: OpSpec<A> = {
    ...spec,
    backward: (grad, ctx) => {
      const seen = new Map<Tensor, Tensor>();
      const up = (t: Tensor): Tensor => {
        if (!isHalfDType(t.dtype)) return t;
        let f = seen.get(t);
        if (f === undefined) {
          f = applyOp(castSpec(), [t], 'float32');
          // Backwards look at requiresGrad to skip gradients nobody needs: keep it on the copy.
          if (t.requiresGrad && !f.requiresGrad) f.requiresGrad = true;
          seen.set(t, f);
        }
        return f;
      };
      return backward(up(grad), { inputs: ctx.inputs.map(up), output: up(ctx.output), attrs: ctx.attrs });
    },
  };
  halfBackwardSpecs.set(spec, wrapped as unknown as OpSpec<never>);
  return wrapped;
}

/** The registered `cast` op (looked up lazily: ops/cast.ts imports this module). */
function castSpec(): OpSpec<DType> {
  const spec = registry.get('cast');
  if (spec === undefined) throw new NablaError('applyOp: the cast op is not registered');
  return spec as OpSpec<DType>;
}

/** The versions of the tensors `spec`'s backward reads (-1 for the others), taken when the op runs. */
function savedVersions(spec: OpSpec<unknown> | OpSpec<never>, inputs: readonly Tensor[], out: Tensor): number[] {
  const saves = spec.saves;
  const n = inputs.length;
  // Pushed one by one (a packed array; `new Array(n)` then `fill` makes a holey one, slower to fill and read).
  const versions: number[] = [];
  const saved = saves?.inputs;
  for (let i = 0; i < n; i++) versions.push(saved === undefined || saved.includes(i) ? inputs[i].version : -1);
  versions.push(saves?.output === false ? -1 : out.version);
  return versions;
}

/**
 * Throw a {@link SavedTensorModifiedError} if a tensor that `node`'s backward reads was modified in place
 * since the op saved it (backward calls this before running the op's backward).
 */
export function checkSavedVersions(node: GradNode): void {
  const saved = node.savedVersions;
  if (saved === undefined) return;
  const n = node.inputs.length;
  for (let i = 0; i <= n; i++) {
    const before = saved[i];
    if (before < 0) continue;
    const t = i < n ? node.inputs[i] : node.output;
    if (t.isDisposed) continue;
    const now = t.version;
    if (now !== before) {
      const which = i < n ? `input ${i}` : 'output';
      throw new SavedTensorModifiedError(
        `backward: ${which} of op ${JSON.stringify(node.spec.name)} (shape [${t.shape.join(',')}]) was modified in place after the op saved it for backward: saved at version ${before}, now at version ${now}. Its gradient would be computed from the new values; modify a clone() instead, or modify the tensor after backward. (Writes through .data count, as do in-place ops such as add_ and copy_.)`,
        node.spec.name,
        which,
        before,
        now,
      );
    }
  }
}

/** Throw an {@link AnomalyError} if `t` holds a NaN or an infinity. */
export function checkFinite(t: Tensor, op: string, phase: 'forward' | 'backward'): void {
  const data = isHalfDType(t.dtype) ? decodeHalf(t.values as Uint16Array, t.dtype) : t.values;
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
