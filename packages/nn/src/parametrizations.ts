// Ready-made parametrizations, like torch.nn.utils.parametrizations: spectral normalisation (PyTorch 1.13's
// parametrization, with its power iteration) and weight normalisation (PyTorch 2.1's parametrization, which
// also loads the `weight_g` / `weight_v` entries of checkpoints saved with the older hook). This file is the
// `parametrizations` namespace of `@nablajs/nn`.

import {
  checkOptions,
  div,
  dot,
  type Generator,
  IndexError,
  matmul,
  mul,
  noGrad,
  norm,
  optionNames,
  permute,
  randn,
  reshape,
  Tensor,
  transpose,
  ValueError,
} from '@nablajs/core';
import { ConvTranspose1d, ConvTranspose2d } from './extra/conv-transpose';
import { ConvTranspose3d } from './extra/conv-transpose3d';
import { normalize } from './functional/normalize';
import { generatorOf } from './layers/util';
import { Module } from './module';
import { addLegacyName, registerParametrization } from './parametrize';

export { type OrthogonalMap, type OrthogonalOptions, orthogonal } from './parametrization-orthogonal';

/** Options of {@link spectralNorm}. */
export interface SpectralNormOptions {
  /** The parameter to normalise (default `'weight'`). */
  name?: string;
  /** Power iterations per read of the weight in training mode (default 1). */
  nPowerIterations?: number;
  /** The smallest norm the power iteration divides by (default 1e-12). */
  eps?: number;
  /** The axis of the output features (default 0; 1 for the transposed convolutions). */
  dim?: number | null;
  /** The generator of the starting vectors `u` and `v` (default: core's global one). */
  generator?: Generator;
}

/** Options of {@link weightNorm}. */
export interface WeightNormOptions {
  /** The parameter to reparametrize (default `'weight'`). */
  name?: string;
  /**
   * The axis that keeps its own magnitude (default 0); `null`, or -1 as in PyTorch, for one magnitude over
   * the whole tensor.
   */
  dim?: number | null;
}

const SPECTRAL_NORM_OPTIONS = optionNames<SpectralNormOptions>({
  name: true,
  nPowerIterations: true,
  eps: true,
  dim: true,
  generator: true,
});
const WEIGHT_NORM_OPTIONS = optionNames<WeightNormOptions>({ name: true, dim: true });

function tensorOf(fn: string, module: unknown, name: unknown): Tensor {
  if (!(module instanceof Module))
    throw new ValueError(`${fn}: module must be a Module, got ${module === null ? 'null' : typeof module}`);
  if (typeof name !== 'string' || name === '')
    throw new ValueError(`${fn}: name must be a non-empty string, got ${JSON.stringify(name)}`);
  const value = (module as unknown as Record<string, unknown>)[name];
  if (!(value instanceof Tensor))
    throw new ValueError(`${fn}: ${module.constructor.name} has no tensor called ${JSON.stringify(name)}`);
  return value;
}

/** `weight` with axis `dim` first, flattened to a matrix `[weight.shape[dim], rest]`. */
function asMatrix(weight: Tensor, dim: number): Tensor {
  const order = [dim, ...weight.shape.map((_, d) => d).filter((d) => d !== dim)];
  const moved = dim === 0 ? weight : permute(weight, order);
  return reshape(moved, [weight.shape[dim], -1]);
}

/** The spectral normalisation of one tensor (PyTorch's `_SpectralNorm`), with its power-iteration vectors. */
class SpectralNorm extends Module {
  readonly dim: number;
  readonly eps: number;
  readonly nPowerIterations: number;
  private readonly u: Tensor | null = null;
  private readonly v: Tensor | null = null;

  constructor(weight: Tensor, nPowerIterations: number, dim: number, eps: number, generator: Generator) {
    super();
    this.dim = dim;
    this.eps = eps;
    this.nPowerIterations = nPowerIterations;
    if (weight.ndim > 1) {
      const matrix = noGrad(() => asMatrix(weight, dim));
      const [h, w] = matrix.shape;
      const start = (n: number) => normalize(randn([n], { dtype: weight.dtype, generator }), { axis: 0, eps });
      this.u = this.registerBuffer(
        '_u',
        noGrad(() => start(h)),
      );
      this.v = this.registerBuffer(
        '_v',
        noGrad(() => start(w)),
      );
      this.powerMethod(matrix, 15);
    }
  }

  /** `n` steps of the power iteration on `matrix`, written into the buffers `_u` and `_v`. */
  private powerMethod(matrix: Tensor, n: number): void {
    const u = this.u as Tensor;
    const v = this.v as Tensor;
    noGrad(() => {
      for (let i = 0; i < n; i++) {
        u.copy_(normalize(matmul(matrix, v), { axis: 0, eps: this.eps }));
        v.copy_(normalize(matmul(transpose(matrix, 0, 1), u), { axis: 0, eps: this.eps }));
      }
    });
  }

  forward(weight: Tensor): Tensor {
    if (weight.ndim === 1) return normalize(weight, { axis: 0, eps: this.eps });
    const matrix = asMatrix(weight, this.dim);
    if (this.training) this.powerMethod(matrix, this.nPowerIterations);
    // Copies, so that a later read's power iteration does not change what this read's backward uses.
    const u = (this.u as Tensor).clone();
    const v = (this.v as Tensor).clone();
    const sigma = dot(u, matmul(matrix, v));
    return div(weight, sigma);
  }

  rightInverse(value: Tensor): Tensor {
    return value;
  }

  override extraRepr(): string {
    return `dim=${this.dim}, eps=${this.eps}, nPowerIterations=${this.nPowerIterations}`;
  }
}

/**
 * Spectral normalisation of `module`'s weight, like PyTorch's `torch.nn.utils.parametrizations.spectral_norm`:
 * reading the weight returns `W / σ(W)`, where `σ` is the largest singular value of the weight seen as a
 * matrix (axis `dim` against all others), estimated by the power iteration. Its vectors `u` and `v` are the
 * buffers `parametrizations.weight.0._u` and `_v` (PyTorch's names), drawn from `generator` and refined by 15
 * iterations at registration; every read in training mode runs `nPowerIterations` more, under `noGrad`, and
 * in eval mode they stay as they are. The gradient flows through `σ`'s dependence on the weight, with `u` and
 * `v` held fixed, as in PyTorch. A 1-D tensor is divided by its norm. Used to keep a GAN discriminator
 * 1-Lipschitz (Miyato et al., 2018). `loadStateDict` also takes the `weight_orig`, `weight_u` and `weight_v`
 * entries of a checkpoint saved with PyTorch's older hook-based `torch.nn.utils.spectral_norm` (the same
 * weight in eval mode; in training mode the hook updated `v` before `u`, this parametrization `u` before `v`).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.utils.parametrizations.spectral_norm.html
 *
 * @returns the module
 *
 * @example
 * ```ts
 * const critic = parametrizations.spectralNorm(new Linear(20, 40));
 * critic.weight; // the weight divided by its largest singular value (about)
 * critic.namedParameters().map(([n]) => n); // ['bias', 'parametrizations.weight.original']
 * ```
 */
export function spectralNorm<M extends Module>(module: M, options: SpectralNormOptions = {}): M {
  const fn = 'spectralNorm';
  checkOptions(fn, options, SPECTRAL_NORM_OPTIONS);
  const name = options.name ?? 'weight';
  const weight = tensorOf(fn, module, name);
  const n = options.nPowerIterations ?? 1;
  if (!Number.isInteger(n) || n <= 0)
    throw new ValueError(`${fn}: nPowerIterations must be a positive integer, got ${String(n)}`);
  const eps = options.eps ?? 1e-12;
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps))
    throw new ValueError(`${fn}: eps must be a positive number, got ${String(eps)}`);
  const transposed =
    module instanceof ConvTranspose1d || module instanceof ConvTranspose2d || module instanceof ConvTranspose3d;
  const dim = options.dim ?? (transposed ? 1 : 0);
  const ndim = weight.ndim;
  if (!Number.isInteger(dim) || dim >= Math.max(ndim, 1) || dim < -Math.max(ndim, 1))
    throw new IndexError(`${fn}: dim ${String(dim)} is out of range for a ${ndim}-d tensor`);
  const parametrization = new SpectralNorm(weight, n, dim < 0 ? dim + ndim : dim, eps, generatorOf(options));
  registerParametrization(module, name, parametrization);
  if (ndim > 1) {
    addLegacyName(module, `${name}_orig`, `parametrizations.${name}.original`);
    addLegacyName(module, `${name}_u`, `parametrizations.${name}.0._u`);
    addLegacyName(module, `${name}_v`, `parametrizations.${name}.0._v`);
  }
  return module;
}

/** `‖v‖₂` over every axis but `dim` (kept, size 1), or over the whole tensor when `dim` is null: `norm_except_dim`. */
function normExceptDim(v: Tensor, dim: number | null): Tensor {
  if (dim === null) return norm(v, 2);
  const axes = v.shape.map((_, d) => d).filter((d) => d !== dim);
  return axes.length === 0 ? v.abs() : norm(v, 2, axes, true);
}

/** Weight normalisation of one tensor (PyTorch 2.1's `_WeightNorm`): `w = g · v / ‖v‖`. */
class WeightNorm extends Module {
  /** The axis that keeps its own magnitude, or null for the whole tensor. */
  readonly dim: number | null;

  constructor(dim: number | null) {
    super();
    this.dim = dim;
  }

  forward(g: Tensor, v: Tensor): Tensor {
    return mul(v, div(g, normExceptDim(v, this.dim)));
  }

  rightInverse(weight: Tensor): Tensor[] {
    return [normExceptDim(weight, this.dim), weight];
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * Weight normalisation of `module`'s weight, like PyTorch's `torch.nn.utils.parametrizations.weight_norm`
 * (2.1 and later): the weight is computed as `w = g · v / ‖v‖`, with the norm over every axis but `dim`, from
 * two parameters that start at `g = ‖w‖` and `v = w` (so `w` keeps its value): `parametrizations.weight.original0`
 * (`g`, of `w`'s shape with 1 on every axis but `dim`) and `original1` (`v`). They are new tensors: build the
 * optimizer after this call. `loadStateDict` also takes the `weight_g` and `weight_v` entries of a checkpoint
 * saved with PyTorch's older `torch.nn.utils.weight_norm`. As in PyTorch, `dim = -1` (or `null`) means one
 * magnitude for the whole tensor, not the last axis. (Salimans and Kingma, 2016.)
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.utils.parametrizations.weight_norm.html
 *
 * @returns the module
 *
 * @example
 * ```ts
 * const layer = parametrizations.weightNorm(new Linear(20, 40));
 * layer.namedParameters().map(([n]) => n);
 * // ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
 * ```
 */
export function weightNorm<M extends Module>(module: M, options: WeightNormOptions = {}): M {
  const fn = 'weightNorm';
  checkOptions(fn, options, WEIGHT_NORM_OPTIONS);
  const name = options.name ?? 'weight';
  const weight = tensorOf(fn, module, name);
  const given = options.dim === undefined ? 0 : options.dim;
  const ndim = weight.ndim;
  if (given !== null && (!Number.isInteger(given) || given >= Math.max(ndim, 1) || given < -Math.max(ndim, 1)))
    throw new IndexError(`${fn}: dim ${String(given)} is out of range for a ${ndim}-d tensor`);
  const dim = given === null || given === -1 ? null : given < 0 ? given + ndim : given;
  registerParametrization(module, name, new WeightNorm(dim), { unsafe: true });
  addLegacyName(module, `${name}_g`, `parametrizations.${name}.original0`);
  addLegacyName(module, `${name}_v`, `parametrizations.${name}.original1`);
  return module;
}
