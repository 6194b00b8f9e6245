import { allocate } from '../dtype';
import { DTypeError, IndexError, ShapeError, ValueError } from '../errors';
import { indexAddKernel, indexSelectKernel } from '../kernels/cpu/index-select';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { runOnHost } from '../residency';
import { normalizeAxis, shapeSize } from '../shape';
import { Tensor } from '../tensor';
import { reshape } from './reshape';

/**
 * Check that `index` is an int32 tensor whose values lie in `[0, bound)` (or `[-bound, bound)` when
 * `allowNegative`); `fn` names the caller in errors. The dtype is checked at once; the values where they
 * are (see `runOnHost`): at once on the cpu and wasm backends, and on the webgpu backend, for indices
 * computed on the GPU, when a value is next awaited, which then throws the error.
 *
 * @example
 * ```ts
 * checkIndexTensor('gather', tensor([3], { dtype: 'int32' }), 3); // throws IndexError: gather: index 3 is out of range ...
 * ```
 */
export function checkIndexTensor(fn: string, index: Tensor, bound: number, allowNegative = false): void {
  if (!(index instanceof Tensor)) throw new ValueError(`${fn}: index must be a Tensor, got ${typeof index}`);
  if (index.dtype !== 'int32') throw new DTypeError(`${fn}: index must be an int32 tensor, got ${index.dtype}`);
  const data = index._array;
  runOnHost([data], [], () => {
    const lo = allowNegative ? -bound : 0;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < lo || v >= bound) {
        const range = allowNegative ? `[${-bound}, ${bound})` : `[0, ${bound})`;
        throw new IndexError(`${fn}: index ${v} is out of range for a dimension of size ${bound} (expected ${range})`);
      }
    }
  });
}

/** `shape` viewed as `[outer, shape[axis], inner]`. */
function split3(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return [outer, shape[axis], inner];
}

interface IndexAddAttrs {
  readonly axis: number;
  /** The size of `axis` in the result. */
  readonly size: number;
}

const indexSelectOp: (inputs: readonly Tensor[], axis: number) => Tensor = registerOp<number>({
  name: 'indexSelect',
  saves: { inputs: [1], output: false },
  forward: ([x, index], axis) => {
    const [outer, size, inner] = split3(x.shape, axis);
    const shape = [...x.shape];
    shape[axis] = index.size;
    const out = allocate(x.dtype, shapeSize(shape), false);
    resolveKernel('indexSelect', indexSelectKernel)(x._array, outer, size, inner, index._array as Int32Array, out);
    return new Tensor(out, shape, x.dtype);
  },
  backward: (g, { inputs: [x, index], attrs: axis }) => [
    x.requiresGrad ? indexAddOp([g, index], { axis, size: x.shape[axis] }) : null,
    null,
  ],
});

/** indexSelect's VJP: blocks of `g` added (accumulating repeats) into zeros at the selected positions. */
const indexAddOp: (inputs: readonly Tensor[], attrs: IndexAddAttrs) => Tensor = registerOp<IndexAddAttrs>({
  name: 'indexSelectBackward',
  saves: { inputs: [1], output: false },
  forward: ([g, index], { axis, size }) => {
    const [outer, n, inner] = split3(g.shape, axis);
    const shape = [...g.shape];
    shape[axis] = size;
    const out = allocate(g.dtype, shapeSize(shape));
    if (n > 0)
      resolveKernel('indexSelectBackward', indexAddKernel)(
        g._array,
        outer,
        size,
        inner,
        index._array as Int32Array,
        out,
      );
    return new Tensor(out, shape, g.dtype);
  },
  backward: (gg, { inputs: [, index], attrs }) => [indexSelectOp([gg, index], attrs.axis), null],
});

/**
 * The entries of `x` at positions `index` along `axis`, like `torch.index_select`: the result has
 * `x`'s shape with `axis` resized to `index.size`. `index` is a 1-D (or 0-d) int32 tensor with
 * values in `[0, size)`; they may repeat.
 *
 * Gradient: the upstream gradient added back at the selected positions (repeated indices accumulate).
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4], [5, 6]]);
 * indexSelect(x, 0, tensor([2, 0, 2], { dtype: 'int32' })).toArray(); // [[5, 6], [1, 2], [5, 6]]
 * indexSelect(x, 1, tensor([1], { dtype: 'int32' })).toArray(); // [[2], [4], [6]]
 * ```
 */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`indexSelect: x must be a Tensor, got ${typeof x}`);
  if (!(index instanceof Tensor)) throw new ValueError(`indexSelect: index must be a Tensor, got ${typeof index}`);
  const a = normalizeAxis(axis, x.ndim, 'indexSelect');
  if (index.ndim > 1) throw new ShapeError(`indexSelect: index must be 1-D or 0-d, got ${index.ndim} dims`);
  if (x.ndim === 0) {
    if (index.size !== 1) throw new ShapeError(`indexSelect: a 0-d x needs exactly one index, got ${index.size}`);
    checkIndexTensor('indexSelect', index, 1);
    return reshape(indexSelectOp([reshape(x, [1]), reshape(index, [1])], 0), []);
  }
  checkIndexTensor('indexSelect', index, x.shape[a]);
  return indexSelectOp([x, index.ndim === 0 ? reshape(index, [1]) : index], a);
}
