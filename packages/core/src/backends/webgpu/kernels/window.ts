import { ValueError } from '../../../errors';
import { type GpuArray, type GpuDType, LINEAR_INDEX, MAIN_ARGS, type ParamSpec, type WebGpuContext } from '../context';
import { checkArray } from './common';

// Helpers shared by the sliding-window kernels (conv2d, pool2d): geometry checks, the WGSL of a
// one-thread-per-element kernel, and a checked dispatch.

/**
 * Check that every field of a window geometry is an integer, at least 1 where `atLeastOne(key)` and at
 * least 0 elsewhere. Errors name the kernel and the field.
 */
export function checkWindowFields<G extends object>(fn: string, g: G, atLeastOne: (key: string) => boolean): void {
  for (const key of Object.keys(g) as (keyof G & string)[]) {
    const v = g[key];
    const min = atLeastOne(key) ? 1 : 0;
    if (!Number.isInteger(v) || (v as number) < min)
      throw new ValueError(`${fn}: geometry.${key} must be an integer >= ${min}, got ${v}`);
  }
}

/** The kernel, stride, padding and dilation fields that every window geometry has. */
export interface WindowGeometry {
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
}

/** The uniform fields of a {@link WindowGeometry}, in the order {@link windowParams} gives them. */
export const WINDOW_SPEC: ParamSpec = [
  ['kH', 'i32'],
  ['kW', 'i32'],
  ['sH', 'i32'],
  ['sW', 'i32'],
  ['pH', 'i32'],
  ['pW', 'i32'],
  ['dH', 'i32'],
  ['dW', 'i32'],
];

/** The values of {@link WINDOW_SPEC} for `g`. */
export function windowParams(g: WindowGeometry): number[] {
  return [g.kernelH, g.kernelW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW];
}

/** A storage binding of a window kernel's WGSL: name, access and element type (f32 unless said). */
export type WgslBinding = readonly [name: string, access: 'read' | 'read_write', type?: 'f32' | 'i32'];

/** The WGSL declarations of `bindings` at bindings 1.. in order. */
export function bindingsWgsl(bindings: readonly WgslBinding[]): string {
  return bindings
    .map(
      ([name, access, type = 'f32'], k) =>
        `@group(0) @binding(${k + 1}) var<storage, ${access}> ${name}: array<${type}>;`,
    )
    .join('\n');
}

/**
 * The WGSL of a kernel with one thread per element: `header`, the `bindings`, and a `main` that returns
 * past `params.count` and otherwise runs `body` with `p` (the params) and `j` (the thread's index, i32).
 */
export function elementKernel(header: string, bindings: readonly WgslBinding[], body: string): string {
  return `${header}
${bindingsWgsl(bindings)}
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.count) { return; }
  let p = params;
  let j = i32(i);
${body}
}`;
}

/** WGSL: the output column `ox` and row `oy` of element `j` of an NCHW output. */
export const OUTPUT_POSITION = `  let ox = j % p.outW;
  let oy = (j / p.outW) % p.outH;`;

/** An argument of {@link launchKernel}: name, array, size (unchecked when undefined), access, dtype. */
export type KernelArg = readonly [
  name: string,
  array: GpuArray,
  size: number | undefined,
  access: 'read' | 'write',
  dtype?: GpuDType,
];

/**
 * Check `args` in order (errors name `fn` and the argument), then dispatch the pipeline `key` (compiled
 * from `code()`) with the arrays bound in order, `params` of `spec`, over `workgroups` workgroups.
 */
export function launchKernel(
  fn: string,
  key: string,
  code: () => string,
  args: readonly KernelArg[],
  spec: ParamSpec,
  params: readonly number[],
  workgroups: number,
): void {
  let context: WebGpuContext | undefined;
  for (const [name, array, size, , dtype] of args) {
    const c = checkArray(fn, name, array, size, dtype);
    context ??= c;
  }
  if (context === undefined) throw new ValueError(`${fn}: no arrays`);
  context.dispatch(
    context.pipeline(key, code),
    args.map(([, array, , access]) => [array, access] as const),
    spec,
    params,
    workgroups,
  );
}
