import type { Kernel } from '../../kernels/registry';
import type { GpuArray } from './context';
import { attentionSoftmaxWebGpu } from './kernels/attention';
import { binaryWebGpu, whereWebGpu } from './kernels/binary';
import { conv2dInputGradWebGpu, conv2dWebGpu, conv2dWeightGradWebGpu } from './kernels/conv2d';
import * as ew from './kernels/elementwise';
import { gatherWebGpu, indexAddWebGpu, indexSelectWebGpu, scatterAddWebGpu } from './kernels/gather';
import { layerNormBackwardWebGpu, layerNormWebGpu } from './kernels/layer-norm';
import { permuteWebGpu, sliceAssignWebGpu, sliceWebGpu } from './kernels/layout';
import { matmulWebGpu } from './kernels/matmul';
import { adagradUpdateWebGpu, adamUpdateWebGpu, rmspropUpdateWebGpu, sgdUpdateWebGpu } from './kernels/optim';
import { adaptAdamaxNadam } from './kernels/optim-adamax-nadam';
import { adaptAsgdRprop } from './kernels/optim-asgd-rprop';
import { adaptLookahead } from './kernels/optim-lookahead';
import {
  adanUpdateWebGpu,
  ademamixUpdateWebGpu,
  lionUpdateWebGpu,
  scheduleFreeUpdateWebGpu,
} from './kernels/optim-modern';
import { adaptMuon } from './kernels/optim-muon';
import { adaptProdigy } from './kernels/optim-prodigy';
import { adaptRadamAdadelta } from './kernels/optim-radam-adadelta';
import { cautiousAdamwUpdateWebGpu, lambUpdateWebGpu } from './kernels/optim-reduced';
import { adaptSoap } from './kernels/optim-soap';
import {
  avgPool2dBackwardWebGpu,
  avgPool2dWebGpu,
  maxPool2dGatherWebGpu,
  maxPool2dScatterWebGpu,
  maxPool2dWebGpu,
} from './kernels/pool2d';
import { maxWebGpu, meanWebGpu, minWebGpu, normWebGpu, sumWebGpu, varianceWebGpu } from './kernels/reduce';
import { softmaxBackwardWebGpu, softmaxWebGpu } from './kernels/softmax';
import type { Resident } from './resident';

/**
 * What a kernel does with each argument: reads it (`in`), overwrites every element (`out`), reads and
 * writes it (`rw`: an update in place, an accumulation), an int32 index array it reads (`idx`) or
 * writes (`idxOut`); `-` passes the argument as it is (shapes, scalars, flags).
 */
type Role = 'in' | 'out' | 'rw' | 'idx' | 'idxOut' | '-';

/** A GPU kernel under a cpu kernel's name: whether it takes a call's arguments, and how it runs one. */
export interface Adapter {
  accepts(args: unknown[]): boolean;
  run(args: unknown[]): void;
}

/**
 * Register a GPU kernel under a cpu kernel's name: `roles` says what it does with each argument (see
 * {@link Role}), `when` which calls it takes (default all whose arrays are float32, int32 for indices).
 */
export type AdaptFn = (
  name: string,
  gpu: Kernel,
  roles: readonly Role[] | ((args: unknown[]) => readonly Role[]),
  when?: (args: unknown[]) => boolean,
) => void;

/**
 * `gpu` (a WebGPU kernel with the cpu kernel's signature, GPU arrays for typed arrays) as an adapter: it
 * takes a call when every array is float32 (int32 where `roles` says index) and `when(args)` holds (the cpu
 * kernel runs otherwise). `roles` may be a function of the arguments (a product that accumulates reads its
 * output).
 */
function adapter(
  r: Resident,
  gpu: Kernel,
  roles: readonly Role[] | ((args: unknown[]) => readonly Role[]),
  when: (args: unknown[]) => boolean = () => true,
): Adapter {
  const rolesOf = typeof roles === 'function' ? roles : () => roles;
  const writes = (role: Role) => role === 'out' || role === 'rw' || role === 'idxOut';
  return {
    accepts(args) {
      const rs = rolesOf(args);
      for (let i = 0; i < rs.length; i++) {
        const a = args[i];
        const role = rs[i];
        if (role === '-' || a === null) continue;
        if (role === 'idx' || role === 'idxOut' ? !(a instanceof Int32Array) : !(a instanceof Float32Array))
          return false;
      }
      return when(args);
    },
    run(args) {
      const rs = rolesOf(args);
      const mapped = args.slice();
      // Inputs first, so that an output that is also an input (relu in place) is uploaded once.
      rs.forEach((role, i) => {
        const a = args[i];
        if (a !== null && (role === 'in' || role === 'idx')) mapped[i] = r.input(a as Float32Array | Int32Array);
      });
      rs.forEach((role, i) => {
        const a = args[i];
        if (a !== null && writes(role)) mapped[i] = r.output(a as Float32Array | Int32Array, role === 'rw');
      });
      gpu(...mapped);
      rs.forEach((role, i) => {
        const a = args[i];
        if (a !== null && writes(role)) r.written(a as Float32Array);
      });
    },
  };
}

/**
 * The webgpu backend's kernels, by the name of the cpu kernel each mirrors (with its signature): matmul,
 * broadcasting binary ops, unary maps and activations with their gradients, reductions, softmax and
 * log-softmax, conv2d, pooling, and the fused optimizer updates. The cpu kernel the op asks for runs
 * instead for arguments a GPU kernel does not take (float64, int32 values).
 *
 * @example
 * ```ts
 * const adapters = webGpuAdapters(resident);
 * adapters.get('matmul'); // runs matmulWebGpu on the arrays' GPU copies
 * ```
 */
export function webGpuAdapters(r: Resident): Map<string, Adapter> {
  const table = new Map<string, Adapter>();
  const adapt: AdaptFn = (name, gpu, roles, when) => {
    table.set(name, adapter(r, gpu, roles, when));
  };
  adapt('matmul', matmulWebGpu, (args) => {
    const [, , , , out, outOffset, m, , n, , , accumulate] = args as [
      unknown,
      number,
      unknown,
      number,
      Float32Array,
      number,
      number,
      number,
      number,
      boolean,
      boolean,
      boolean,
    ];
    // A product that accumulates, or writes only a part of its output, keeps the rest.
    const whole = !accumulate && outOffset === 0 && out.length === m * n;
    return ['in', '-', 'in', '-', whole ? 'out' : 'rw', '-', '-', '-', '-', '-', '-', '-'];
  });
  // a copy of bytes: float32 values, or int32 indices (pooling's argmax) as they are
  adapt(
    'copy',
    (x: GpuArray, out: GpuArray) => x.context.copy(x, out),
    (args) => (args[0] instanceof Int32Array ? ['idx', 'idxOut'] : ['in', 'out']),
  );
  // expand is a broadcasting product with 1, which is exact (signed zeros and infinities included).
  adapt(
    'expand',
    (x: GpuArray, xShape: number[], out: GpuArray, outShape: number[]) =>
      binaryWebGpu('mul', x, xShape, x.context.temporary(new Float32Array([1])), [1], out, outShape),
    ['in', '-', 'out', '-'],
  );
  for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const)
    adapt(
      op,
      (a: GpuArray, aShape: number[], b: GpuArray, bShape: number[], out: GpuArray, outShape: number[]) =>
        binaryWebGpu(op, a, aShape, b, bShape, out, outShape),
      ['in', '-', 'in', '-', 'out', '-'],
    );
  // where: a float32 or int32 condition (comparisons give int32), float32 values.
  adapt('where', whereWebGpu, (args) => [
    args[0] instanceof Int32Array ? 'idx' : 'in',
    '-',
    'in',
    '-',
    'in',
    '-',
    'out',
    '-',
  ]);
  const maps: ew.MapUnaryOp[] = ['neg', 'abs', 'square', 'sqrt', 'reciprocal', 'rsqrt', 'exp', 'expm1', 'log', 'log1p'];
  for (const op of maps) adapt(op, (x: GpuArray, out: GpuArray) => ew.mapUnaryWebGpu(op, x, out), ['in', 'out', '-']);
  const unary: [string, Kernel, number][] = [
    ['relu', ew.reluWebGpu, 0],
    ['leakyRelu', ew.leakyReluWebGpu, 1],
    ['sigmoid', ew.sigmoidWebGpu, 0],
    ['tanh', ew.tanhWebGpu, 0],
    ['gelu', ew.geluWebGpu, 1],
    ['silu', ew.siluWebGpu, 0],
    ['elu', ew.eluWebGpu, 1],
    ['softplus', ew.softplusWebGpu, 2],
    ['logSigmoid', ew.logSigmoidWebGpu, 0],
    ['clamp', ew.clampWebGpu, 2],
    ['powScalar', ew.powScalarWebGpu, 1],
  ];
  for (const [name, k, extra] of unary) adapt(name, k, ['in', 'out', ...Array<Role>(extra).fill('-')]);
  const grads: [string, Kernel, number][] = [
    ['thresholdBackward', ew.thresholdBackwardWebGpu, 1],
    ['leakyReluBackward', ew.leakyReluBackwardWebGpu, 1],
    ['sigmoidBackward', ew.sigmoidBackwardWebGpu, 0],
    ['tanhBackward', ew.tanhBackwardWebGpu, 0],
    ['geluBackward', ew.geluBackwardWebGpu, 1],
    ['siluBackward', ew.siluBackwardWebGpu, 0],
    ['eluBackward', ew.eluBackwardWebGpu, 1],
    ['softplusBackward', ew.softplusBackwardWebGpu, 2],
    ['logSigmoidBackward', ew.logSigmoidBackwardWebGpu, 0],
    ['clampBackward', ew.clampBackwardWebGpu, 2],
  ];
  for (const [name, k, extra] of grads) adapt(name, k, ['in', 'in', 'out', ...Array<Role>(extra).fill('-')]);
  adapt('sum', sumWebGpu, ['in', '-', '-', 'out']);
  adapt('mean', meanWebGpu, ['in', '-', '-', 'out', '-']);
  adapt('max', maxWebGpu, ['in', '-', '-', 'out']);
  adapt('min', minWebGpu, ['in', '-', '-', 'out']);
  adapt('variance', varianceWebGpu, ['in', '-', '-', 'out', '-']);
  adapt('norm', normWebGpu, ['in', '-', '-', '-', 'out'], (args) =>
    [1, 2, Infinity, -Infinity].includes(args[3] as number),
  );
  for (const name of ['softmax', 'logSoftmax']) adapt(name, softmaxWebGpu, ['in', '-', '-', '-', 'out', '-']);
  for (const name of ['softmaxBackward', 'logSoftmaxBackward'])
    adapt(name, softmaxBackwardWebGpu, ['in', 'in', '-', '-', '-', 'out', '-']);
  // Rank 0 (a scalar index) stays on the cpu kernel.
  const ranked = (at: number) => (args: unknown[]) => (args[at] as readonly number[]).length > 0;
  adapt('gather', gatherWebGpu, ['in', '-', 'idx', '-', '-', 'out'], ranked(3));
  adapt('scatterAdd', scatterAddWebGpu, ['rw', '-', 'idx', '-', 'in', '-', '-'], ranked(3));
  adapt('indexSelect', indexSelectWebGpu, ['in', '-', '-', '-', 'idx', 'out']);
  adapt('indexSelectBackward', indexAddWebGpu, ['in', '-', '-', '-', 'idx', 'rw']);
  adapt('slice', sliceWebGpu, ['in', '-', '-', '-', 'out', '-']);
  // slice's gradient and pad write into a background the op filled first.
  adapt('sliceBackward', sliceAssignWebGpu, ['in', '-', 'rw', '-', '-', '-']);
  adapt('pad', sliceAssignWebGpu, ['in', '-', 'rw', '-', '-', '-']);
  adapt('permute', permuteWebGpu, ['in', '-', '-', 'out']);
  adapt('layerNorm', layerNormWebGpu, ['in', 'in', 'in', '-', '-', '-', 'out']);
  adapt('layerNormBackward', layerNormBackwardWebGpu, ['in', 'in', 'in', '-', '-', '-', 'out', 'out', 'out']);
  adapt('attentionSoftmax', attentionSoftmaxWebGpu, ['in', 'in', '-', '-', '-', '-', '-', 'out']);
  adapt('conv2d', conv2dWebGpu, ['in', 'in', 'in', 'out', '-']);
  // The input gradient adds into its output (zeros from allocate), as the cpu kernel does.
  adapt('conv2dInputGrad', conv2dInputGradWebGpu, ['in', 'in', 'rw', '-']);
  adapt('conv2dWeightGrad', conv2dWeightGradWebGpu, ['in', 'in', 'out', '-']);
  adapt('maxPool2d', maxPool2dWebGpu, ['in', 'out', 'idxOut', '-']);
  adapt('maxPool2dGather', maxPool2dGatherWebGpu, ['in', 'idx', 'out', '-']);
  // The pooling gradients add into their output (zeros from allocate), as the cpu kernels do.
  adapt('maxPool2dBackward', maxPool2dScatterWebGpu, ['in', 'idx', 'rw', '-']);
  adapt('avgPool2d', avgPool2dWebGpu, ['in', 'out', '-', '-', '-']);
  adapt('avgPool2dBackward', avgPool2dBackwardWebGpu, ['in', 'rw', '-', '-', '-']);
  adapt('adamUpdate', adamUpdateWebGpu, ['rw', 'in', 'rw', 'rw', 'rw', '-', '-', '-', '-', '-', '-', '-', '-']);
  adapt('sgdUpdate', sgdUpdateWebGpu, ['rw', 'in', 'rw', '-', '-', '-', '-', '-', '-', '-']);
  adapt('rmspropUpdate', rmspropUpdateWebGpu, ['rw', 'in', 'rw', 'rw', 'rw', '-', '-', '-', '-', '-', '-']);
  adapt('adagradUpdate', adagradUpdateWebGpu, ['rw', 'in', 'rw', '-', '-', '-', '-', '-', '-']);
  adapt('lionUpdate', lionUpdateWebGpu, ['rw', 'in', 'rw', '-', '-', '-', '-', '-']);
  adapt('ademamixUpdate', ademamixUpdateWebGpu, ['rw', 'in', 'rw', 'rw', 'rw', ...Array<Role>(9).fill('-')]);
  adapt('scheduleFreeUpdate', scheduleFreeUpdateWebGpu, ['rw', 'in', 'rw', 'rw', 'rw', ...Array<Role>(9).fill('-')]);
  adapt('cautiousAdamwUpdate', cautiousAdamwUpdateWebGpu, ['rw', 'in', 'rw', 'rw', 'out', ...Array<Role>(6).fill('-')]);
  adapt('lambUpdate', lambUpdateWebGpu, ['rw', 'in', 'rw', 'rw', 'out', ...Array<Role>(8).fill('-')]);
  adapt('adanUpdate', adanUpdateWebGpu, ['rw', 'in', 'rw', 'rw', 'rw', 'rw', ...Array<Role>(10).fill('-')]);
  adaptAdamaxNadam(adapt);
  adaptRadamAdadelta(adapt);
  adaptAsgdRprop(adapt);
  adaptMuon(adapt);
  adaptProdigy(adapt);
  adaptSoap(adapt);
  adaptLookahead(adapt);
  return table;
}
