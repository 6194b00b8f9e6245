/**
 * `@nablajs/core`: tensors (float32, float64, int32) with NumPy broadcasting, ~90 differentiable ops,
 * reverse-mode automatic differentiation with gradients of gradients, the functional `grad` /
 * `valueAndGrad` / `vjp`, seeded randomness, `gradcheck`, registries for user ops and kernels, and a
 * WebAssembly SIMD backend. Node-only parts are in `@nablajs/core/node`.
 *
 * @example
 * ```ts
 * import { tensor } from '@nablajs/core';
 * const x = tensor([1, 2, 3], { requiresGrad: true });
 * x.mul(x).sum().backward();
 * String(x.grad); // tensor([2., 4., 6.])
 * ```
 *
 * @packageDocumentation
 * @mergeModuleWith <project>
 */
export { detectAnomaly } from './autograd/anomaly';
export { type BackwardOptions, backward, type GradientsOptions, gradients } from './autograd/backward';
export { grad, valueAndGrad, vjp } from './autograd/functional';
export { type GradcheckOptions, gradcheck, gradgradcheck } from './autograd/gradcheck';
export {
  getNumThreads,
  getWasmBackendInfo,
  initWasmBackend,
  isWasmRelaxedSimdSupported,
  isWasmSimdSupported,
  setNumThreads,
  setWasmWorkerStarter,
  type WasmBackendInfo,
  type WasmBackendOptions,
  type WasmWorkerData,
  type WasmWorkerStarter,
  wasmMemoryBytes,
  wasmTensorBytes,
} from './backends/wasm/index';
export type { GemmWorker } from './backends/wasm/runtime';
export { WebGpuDeviceError, WebGpuLimitError } from './backends/webgpu/errors';
export {
  getWebGpuStats,
  initWebGpuBackend,
  syncWebGpuToHost,
  type WebGpuAdapterInfo,
  type WebGpuBackendInfo,
  type WebGpuInitOptions,
  type WebGpuLimits,
} from './backends/webgpu/init';
export type { WebGpuStats } from './backends/webgpu/resident-data';
export { type CapturedStep, capture } from './capture';
export { CaptureError, isCapturing } from './capture-state';
export { checkOptions, closestName, optionNames } from './check-options';
export {
  arange,
  type CreationOptions,
  eye,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  type TensorOptions,
  tensor,
  zeros,
  zerosLike,
} from './creation';
export {
  allocate,
  arrayMatchesDType,
  DTYPES,
  type DType,
  isFloatingDType,
  isHalfDType,
  promoteTypes,
  type TypedArray,
} from './dtype';
export {
  AnomalyError,
  AutogradError,
  AxisError,
  DisposedError,
  DTypeError,
  HostReadError,
  IndexError,
  NablaError,
  SavedTensorModifiedError,
  ShapeError,
  ValueError,
  WebGpuUnavailableError,
} from './errors';
export { formatTensor } from './format';
export { enableGrad, isAnomalyEnabled, isGradEnabled, noGrad, setGradEnabled } from './grad-mode';
export { bfloat16Bits, bfloat16Value, decodeHalf, encodeHalf, float16Bits, float16Value } from './half';
export { copyKernel } from './kernels/cpu/elementwise';
export { indexSelectKernel } from './kernels/cpu/index-select';
export { adagradUpdateKernel, adamUpdateKernel, rmspropUpdateKernel, sgdUpdateKernel } from './kernels/cpu/optim';
export * from './kernels/cpu/optim-adamax-nadam';
export * from './kernels/cpu/optim-asgd-rprop';
export * from './kernels/cpu/optim-lookahead';
export {
  adanUpdateKernel,
  ademamixUpdateKernel,
  cautiousAdamwUpdateKernel,
  lambUpdateKernel,
  lionUpdateKernel,
  scheduleFreeUpdateKernel,
} from './kernels/cpu/optim-modern';
export * from './kernels/cpu/optim-muon';
export * from './kernels/cpu/optim-prodigy';
export * from './kernels/cpu/optim-radam-adadelta';
export * from './kernels/cpu/optim-soap';
export { getBackend, type Kernel, listBackends, registerKernel, resolveKernel, setBackend } from './kernels/registry';
export {
  applyOp,
  type GradNode,
  getOp,
  listOps,
  type OpContext,
  type OpSaves,
  type OpSpec,
  registerOp,
} from './op';
export { abs } from './ops/abs';
export { add } from './ops/add';
export { all, any } from './ops/any-all';
export { argmax, argmin } from './ops/argmax';
export { atan2 } from './ops/atan2';
export * from './ops/attention-ops';
export { type AvgPool2dOptions, avgPool2d } from './ops/avg-pool2d';
export { cast } from './ops/cast';
export { chunk } from './ops/chunk';
export { clamp } from './ops/clamp';
export { clone } from './ops/clone';
export { eq, ge, gt, le, lt, ne } from './ops/compare';
export { cat, concat } from './ops/concat';
export { type ConvTranspose3dOptions, convTranspose3d } from './ops/conv-transpose3d';
export { type Conv2dOptions, conv2d, type Size2d } from './ops/conv2d';
export { type Conv3dOptions, conv3d, type Size3d } from './ops/conv3d';
export { cos } from './ops/cos';
export { cumprod } from './ops/cumprod';
export { cumsum } from './ops/cumsum';
export { div } from './ops/div';
export { dot } from './ops/dot';
export { einsum } from './ops/einsum';
export { elu } from './ops/elu';
export { erf } from './ops/erf';
export { exp } from './ops/exp';
export { broadcastTo, expand } from './ops/expand';
export { expm1 } from './ops/expm1';
export { flatten } from './ops/flatten';
export { flip } from './ops/flip';
export { gather } from './ops/gather';
export { type GeluApproximation, gelu } from './ops/gelu';
export { indexSelect } from './ops/index-select';
export { isfinite, isinf, isnan } from './ops/isnan';
export { layerNorm } from './ops/layer-norm';
export { leakyRelu } from './ops/leaky-relu';
export { type EighOptions, type EighResult, eigh } from './ops/linalg/eigh';
export { householderProduct } from './ops/linalg/householder-product';
export { matrixExp } from './ops/linalg/matrix-exp';
export { type QRMode, type QROptions, type QRResult, qr } from './ops/linalg/qr';
export { solve } from './ops/linalg/solve';
export { type FusedActivation, type FusedLinearOptions, fusedLinear } from './ops/linear';
export { log } from './ops/log';
export { logSigmoid } from './ops/log-sigmoid';
export { logSoftmax } from './ops/log-softmax';
export { type ClassPicks, logSoftmaxNll, logSoftmaxNllOfArrays, type NllReduction } from './ops/log-softmax-nll';
export { log1p } from './ops/log1p';
export { logsumexp } from './ops/logsumexp';
export { maskedSelect } from './ops/masked-select';
export { type MatmulTransposeOptions, matmul, matmulTransposed } from './ops/matmul';
export { amax, max, maxWithIndices, type ValuesAndIndices } from './ops/max';
export { type MaxPool2dOptions, maxPool2d } from './ops/max-pool2d';
export { maximum } from './ops/maximum';
export { mean } from './ops/mean';
export { amin, min, minWithIndices } from './ops/min';
export { minimum } from './ops/minimum';
export { mul } from './ops/mul';
export { neg } from './ops/neg';
export { nonzero } from './ops/nonzero';
export { norm } from './ops/norm';
export { oneHot } from './ops/one-hot';
export { outer } from './ops/outer';
export { pad } from './ops/pad';
export { permute } from './ops/permute';
export {
  type AdaptiveOutputSize3d,
  type AvgPool3dOptions,
  adaptiveMaxPool3d,
  adaptiveMaxPool3dWithIndices,
  avgPool3d,
  type MaxPool3dOptions,
  maxPool3d,
  maxPool3dWithIndices,
} from './ops/pool3d';
export * from './ops/pooling-ops';
export { pow } from './ops/pow';
export { prod } from './ops/prod';
export { reciprocal } from './ops/reciprocal';
export { relu } from './ops/relu';
export { fmod, remainder } from './ops/remainder';
export { repeatInterleave } from './ops/repeat-interleave';
export * from './ops/resample-ops';
export { reshape } from './ops/reshape';
export { roll } from './ops/roll';
export { ceil, floor, type RoundOptions, round, trunc } from './ops/rounding';
export { rsqrt } from './ops/rsqrt';
export { type ScatterOptions, scatter } from './ops/scatter';
export { scatterAdd } from './ops/scatter-add';
export { type ScatterReduceOptions, type ScatterReduction, scatterReduce } from './ops/scatter-reduce';
export { sigmoid } from './ops/sigmoid';
export { sign } from './ops/sign';
export { silu } from './ops/silu';
export { sin } from './ops/sin';
export { type SliceSpec, slice } from './ops/slice';
export { softmax } from './ops/softmax';
export { softplus } from './ops/softplus';
export {
  type ArgsortOptions,
  argsort,
  type SortOptions,
  type SortResult,
  sort,
  type TopkOptions,
  topk,
} from './ops/sort';
export { split } from './ops/split';
export { sqrt } from './ops/sqrt';
export { square } from './ops/square';
export { squeeze } from './ops/squeeze';
export { stack } from './ops/stack';
export { sub } from './ops/sub';
export { sum } from './ops/sum';
export { take } from './ops/take';
export { tanh } from './ops/tanh';
export { tile } from './ops/tile';
export { transpose } from './ops/transpose';
export { tril, triu } from './ops/tril';
export { type UniqueOptions, type UniqueResult, type UniqueResultOf, unique } from './ops/unique';
export { unsqueeze } from './ops/unsqueeze';
export { std, type VarianceOptions, variance } from './ops/variance';
export { where } from './ops/where';
export {
  defaultGenerator,
  Generator,
  type GeneratorState,
  manualSeed,
  type RandomOptions,
  type RandpermOptions,
  rand,
  randint,
  randn,
  randperm,
} from './random';
export {
  bringToHost,
  checkHostRead,
  type HostValues,
  hostReadsMayWait,
  kernelsOnHost,
  runOnHost,
  runOnHostNow,
} from './residency';
export { broadcastShapes, type Shape, shapeSize } from './shape';
export { type Axis, asTensor, type GradHook, type NestedArray, Tensor, type TensorLike } from './tensor';
export { endScope, keep, startScope, type TidyScope, tidy } from './tidy';
