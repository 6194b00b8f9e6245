import { allocate, type DType, isFloatingDType, type TypedArray } from '../dtype';
import { DTypeError } from '../errors';
import { mapUnary, type UnaryFn } from '../kernels/cpu/unary';
import { resolveKernel } from '../kernels/registry';
import { type OpContext, registerOp } from '../op';
import { Tensor } from '../tensor';

/**
 * Define an elementwise unary op from its scalar function and its VJP. Integer inputs are promoted to
 * float32 (as PyTorch does for `exp`, `log`, ...) unless `keepsInt` is set. A hot op passes its own
 * loop as `kernel`.
 */
export function defineUnary(
  name: string,
  fn: UnaryFn,
  backward: ((g: Tensor, ctx: OpContext<undefined>) => Tensor | null) | null,
  options: {
    keepsInt?: boolean;
    kernel?: (x: TypedArray, out: TypedArray) => void;
    /** What the VJP reads: the input, the output, or neither (see `OpSpec.saves`); default both. */
    saves?: 'input' | 'output' | 'none';
  } = {},
): (x: Tensor) => Tensor {
  const op = registerOp<undefined>({
    name,
    forward: ([x]) => {
      const dtype: DType = isFloatingDType(x.dtype) || options.keepsInt ? x.dtype : 'float32';
      const out = allocate(dtype, x.size, false); // unary kernels write every element
      // NOTE: a loop of the op's own (options.kernel) stays monomorphic and is several times faster
      // than mapUnary, whose call to fn sees every unary op.
      if (options.kernel) resolveKernel(name, options.kernel)(x._array, out);
      else resolveKernel(name, mapUnary)(x._array, out, fn);
      return new Tensor(out, x.shape, dtype);
    },
    backward: backward === null ? undefined : (g, ctx) => [backward(g, ctx)],
    saves:
      options.saves === undefined
        ? undefined
        : { inputs: options.saves === 'input' ? [0] : [], output: options.saves === 'output' },
  });
  return (x: Tensor) => {
    if (!(x instanceof Tensor)) throw new DTypeError(`${name}: x must be a Tensor, got ${typeof x}`);
    return op([x], undefined);
  };
}
