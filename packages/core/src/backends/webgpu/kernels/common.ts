import { DTypeError, ValueError } from '../../../errors';
import {
  type GpuArray,
  type GpuDType,
  LINEAR_INDEX,
  MAIN_ARGS,
  type ParamSpec,
  paramsWgsl,
  type WebGpuContext,
  WORKGROUP,
} from '../context';

/**
 * Check that `array` is a GPU array of `dtype` (float32 unless said: the kernels' first version is float32
 * only) with `size` elements when `size` is given; returns its context. Errors name the kernel and the argument.
 */
export function checkArray(
  fn: string,
  name: string,
  array: GpuArray,
  size?: number,
  dtype: GpuDType = 'float32',
): WebGpuContext {
  if (array === null || typeof array !== 'object' || !('buffer' in array) || !('context' in array))
    throw new ValueError(
      `${fn}: ${name} must be a GPU array (from WebGpuContext.upload or createArray), got ${String(array)}`,
    );
  if (array.dtype !== dtype)
    throw new DTypeError(
      `${fn}: ${name} must be ${dtype}, got ${array.dtype} (the WebGPU kernels are float32 only in this first version)`,
    );
  if (size !== undefined && array.size !== size)
    throw new ValueError(`${fn}: ${name} has ${array.size} elements, expected ${size}`);
  return array.context;
}

/** Check that a shape is a list of non-negative integers; returns its number of elements. */
export function checkShape(fn: string, name: string, shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new ValueError(`${fn}: ${name} must hold non-negative integers, got [${shape.join(', ')}]`);
    size *= d;
  }
  return size;
}

/** The number of {@link WORKGROUP}-thread workgroups that cover `n` threads. */
export function groupsFor(n: number): number {
  return Math.ceil(n / WORKGROUP);
}

/**
 * The WGSL of a one-thread-per-element kernel: the uniform `params` of `spec` (binding 0, with a `u32`
 * field `n`, the element count), `arrays` of f32 at bindings 1, 2, ... (each `read` or `read_write`),
 * and `body`, run for every element `i < n` with `P` the parameters.
 *
 * @example
 * ```ts
 * const SCALE = elementwise([['n', 'u32'], ['a', 'f32']], [['x', 'read_write']], 'x[i] = P.a * x[i];');
 * ```
 */
export function elementwise(spec: ParamSpec, arrays: [string, 'read' | 'read_write'][], body: string): string {
  const bindings = arrays
    .map(([name, mode], i) => `@group(0) @binding(${i + 1}) var<storage, ${mode}> ${name}: array<f32>;`)
    .join('\n');
  return `${paramsWgsl(spec)}${bindings}
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  let P = params;
  if (i >= P.n) { return; }
  ${body}
}`;
}
