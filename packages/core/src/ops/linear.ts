import { checkOptions, optionNames } from '../check-options';
import { allocate, isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError, ShapeError, ValueError } from '../errors';
import { isGradEnabled } from '../grad-mode';
import { reluBackwardBiasKernel, reluKernel, thresholdBackwardKernel } from '../kernels/cpu/activations';
import { addKernel } from '../kernels/cpu/elementwise';
import { linearForwardKernel } from '../kernels/cpu/linear';
import { matmulKernel } from '../kernels/cpu/matmul';
import { sumKernel } from '../kernels/cpu/reduce';
import { hasKernel, resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { kernelsOnHost } from '../residency';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { le } from './compare';
import { matmulTransposed } from './matmul';
import { sum } from './sum';
import { where } from './where';

/** The activation a {@link fusedLinear} applies to its output: none, or ReLU. */
export type FusedActivation = 'none' | 'relu';

/** Options of {@link fusedLinear}. */
export interface FusedLinearOptions {
  /** Apply this activation to `x·Wᵀ + b` in the same op (default `'none'`). */
  activation?: FusedActivation;
}

const FUSED_LINEAR_OPTIONS = optionNames<FusedLinearOptions>({ activation: true });

interface LinearAttrs {
  readonly relu: boolean;
}

const SAVES_PLAIN = { inputs: [0, 1], output: false } as const;

/** `values` as a fresh tensor of `shape`, which only the caller references. */
function fresh(values: ReturnType<typeof allocate>, shape: readonly number[], like: Tensor): Tensor {
  return new Tensor(values, shape, like.dtype);
}

// One op for `act(x·Wᵀ + b)` on 2-D x: the product's result is the output's own block, the bias and the
// activation are applied to it in place, and the backward is a fixed sequence of kernels (the
// activation's gradient, the bias gradient, two products) with no intermediate tensor of the graph.
// The float32 results are those of matmulTransposed, add and relu one after the other, to the bit:
// the product is complete before the bias is added, as in the unfused ops.
function makeLinearOp(relu: boolean) {
  return registerOp<LinearAttrs>({
    name: relu ? 'linearRelu' : 'linear',
    saves: relu ? { inputs: [0, 1], output: true } : SAVES_PLAIN,
    ownsGrads: true,
    forward: (inputs, { relu }) => {
      const [x, w] = inputs;
      const b = inputs.length > 2 ? inputs[2] : null;
      const rows = x.shape[0];
      const k = x.shape[1];
      const n = w.shape[0];
      const dtype = promoteTypes(x.dtype, w.dtype);
      const out = allocate(dtype, rows * n, false); // the product overwrites every element
      const shape = [rows, n];
      if (hasKernel('linearForward')) {
        // The backend's fused kernel (wasm): the bias and ReLU applied to each tile as the product finishes it.
        resolveKernel('linearForward', linearForwardKernel)(
          x._array,
          w._array,
          b?._array ?? null,
          out,
          rows,
          k,
          n,
          relu,
        );
        return new Tensor(out, shape, dtype);
      }
      resolveKernel('matmul', matmulKernel)(x._array, 0, w._array, 0, out, 0, rows, k, n, false, true, false);
      if (b !== null) resolveKernel('add', addKernel)(out, shape, b._array, b.shape, out, shape);
      if (relu) resolveKernel('relu', reluKernel)(out, out);
      return new Tensor(out, shape, dtype);
    },
    backward: (g, { inputs, output, attrs: { relu } }) => {
      const [x, w] = inputs;
      const b = inputs.length > 2 ? inputs[2] : null;
      if (isGradEnabled()) {
        // createGraph: the same gradients written with ops, so that they differentiate again. The ReLU's
        // mask is constant almost everywhere (its derivative is zero), as in relu's own VJP; g passes
        // where the output is NaN, as in thresholdBackward.
        const dz = relu ? where(le(output, 0), 0, g) : g;
        return [
          x.requiresGrad ? matmulTransposed(dz, w) : null,
          w.requiresGrad ? matmulTransposed(dz, x, { transA: true }) : null,
          b?.requiresGrad ? sum(dz, 0) : null,
        ];
      }
      const rows = x.shape[0];
      const k = x.shape[1];
      const n = w.shape[0];
      // The ReLU's gradient in a scratch tensor of its own, disposed (its block reused) before returning.
      const scratch = relu ? new Tensor(allocate(g.dtype, g.size, false), g.shape, g.dtype) : null;
      const dz = scratch === null ? g._array : scratch._array;
      // With a bias on the cpu or wasm backend: the ReLU's gradient and the bias gradient in one pass
      // (a GPU backend keeps its own two kernels rather than a cpu fallback).
      const biasInPass = relu && b?.requiresGrad === true && kernelsOnHost();
      let gb: Tensor | null = null;
      if (biasInPass) {
        const data = allocate(b.dtype, n, false);
        resolveKernel('reluBackwardBias', reluBackwardBiasKernel)(g._array, output._array, dz, rows, n, data);
        gb = fresh(data, b.shape, b);
      } else if (relu) resolveKernel('thresholdBackward', thresholdBackwardKernel)(g._array, output._array, dz, 0);
      const matmulK = resolveKernel('matmul', matmulKernel);
      let gx: Tensor | null = null;
      let gw: Tensor | null = null;
      if (x.requiresGrad) {
        const data = allocate(x.dtype, rows * k, false);
        matmulK(dz, 0, w._array, 0, data, 0, rows, n, k, false, false, false);
        gx = fresh(data, x.shape, x);
      }
      if (w.requiresGrad) {
        const data = allocate(w.dtype, n * k, false);
        matmulK(dz, 0, x._array, 0, data, 0, n, rows, k, true, false, false);
        gw = fresh(data, w.shape, w);
      }
      if (b?.requiresGrad && !biasInPass) {
        const data = allocate(b.dtype, n, false);
        resolveKernel('sum', sumKernel)(dz, [rows, n], [0], data);
        gb = fresh(data, b.shape, b);
      }
      scratch?.dispose();
      return [gx, gw, gb];
    },
  });
}

const linearOp = makeLinearOp(false);
const linearReluOp = makeLinearOp(true);

function check(arg: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor))
    throw new ValueError(`fusedLinear: ${arg} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (!isFloatingDType(t.dtype) || t.dtype === 'float16' || t.dtype === 'bfloat16')
    throw new DTypeError(`fusedLinear: ${arg} must be float32 or float64, got ${t.dtype}`);
}

/**
 * `act(x·Wᵀ + b)` in one op: the linear layer's product, bias and (optionally) ReLU, with a backward
 * that writes the activation's gradient, the bias gradient and the two products' gradients straight into
 * new buffers. `nn.Linear` and `nn.functional.linear` use it; the results are those of
 * `relu(add(matmulTransposed(x, weight, { transB: true }), bias))` to the bit, with fewer passes over
 * memory and fewer tensors. `x` is `[rows, inFeatures]` (reshape other inputs to 2-D), `weight`
 * `[outFeatures, inFeatures]`, `bias` `[outFeatures]` or null; float32 or float64 (all the same dtype).
 * Gradients of gradients work (`createGraph` runs the same backward written with ops).
 *
 * @example
 * ```ts
 * const x = tensor([[1, -2]]);
 * const w = tensor([[1, 1], [1, 0]]);
 * fusedLinear(x, w, tensor([0, 1])).toArray(); // [[-1, 2]]
 * fusedLinear(x, w, tensor([0, 1]), { activation: 'relu' }).toArray(); // [[0, 2]]
 * ```
 */
export function fusedLinear(x: Tensor, weight: Tensor, bias?: Tensor | null, options: FusedLinearOptions = {}): Tensor {
  checkOptions('fusedLinear', options, FUSED_LINEAR_OPTIONS);
  check('x', x);
  check('weight', weight);
  if (bias !== undefined && bias !== null) check('bias', bias);
  const activation = options.activation ?? 'none';
  if (activation !== 'none' && activation !== 'relu')
    throw new ValueError(`fusedLinear: options.activation must be 'none' or 'relu', got ${JSON.stringify(activation)}`);
  if (x.ndim !== 2 || weight.ndim !== 2 || x.shape[1] !== weight.shape[1])
    throw new ShapeError(
      `fusedLinear: x must be [rows, inFeatures] and weight [outFeatures, inFeatures], got shapes ${formatShape(x.shape)} and ${formatShape(weight.shape)}`,
    );
  if (bias !== undefined && bias !== null && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]))
    throw new ShapeError(
      `fusedLinear: bias must have shape [${weight.shape[0]}] to match weight shape ${formatShape(weight.shape)}, got ${formatShape(bias.shape)}`,
    );
  if (weight.dtype !== x.dtype || (bias !== undefined && bias !== null && bias.dtype !== x.dtype)) {
    const dtypes = new Set([x.dtype, weight.dtype, bias?.dtype ?? x.dtype]);
    throw new DTypeError(`fusedLinear: x, weight and bias must have one dtype, got ${[...dtypes].join(', ')}`);
  }
  const inputs = bias === undefined || bias === null ? [x, weight] : [x, weight, bias];
  return (activation === 'relu' ? linearReluOp : linearOp)(inputs, { relu: activation === 'relu' });
}
