// What the Transformer layers and stacks share: the layer options and their checks, building a layer's
// submodules in PyTorch's order, the feed-forward and residual blocks, and the argument checks of the
// layers' and the stacks' forward passes.
import { checkOptions, type Generator, gelu, optionNames, relu, ShapeError, Tensor, ValueError } from '@nablajs/core';
import { Dropout } from '../layers/dropout';
import { LayerNorm } from '../layers/layer-norm';
import { Linear } from '../layers/linear';
import { checkFloatDType, checkInt, type FloatDType, formatShape, generatorOf } from '../layers/util';
import { Module } from '../module';
import { ModuleList } from '../module-list';
import { INIT_GENERATOR, type WithInitGenerator } from './internal';
import { MultiheadAttention } from './multihead-attention';

/** The feed-forward activation of a Transformer layer: `'relu'`, `'gelu'` (exact) or a function. */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

/** Options of {@link TransformerEncoderLayer} and {@link TransformerDecoderLayer}, with PyTorch 1.13's defaults. */
export interface TransformerLayerOptions {
  /** The hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** The dropout probability everywhere in the layer (default 0.1). */
  dropout?: number;
  /** The feed-forward activation (default `'relu'`). */
  activation?: TransformerActivation;
  /** The `eps` of the layer norms (default 1e-5). */
  layerNormEps?: number;
  /** Inputs and outputs are `[batch, seq, feature]` instead of `[seq, batch, feature]` (default false). */
  batchFirst?: boolean;
  /** Normalise before each block (pre-LN) instead of after the residual sum (post-LN, default false). */
  normFirst?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights and of the dropout masks (default: core's global generator). */
  generator?: Generator;
}

/** Options of {@link TransformerEncoder} and {@link TransformerDecoder}. */
export interface TransformerStackOptions {
  /** A final normalisation applied to the stack's output (default none), registered as `norm`. */
  norm?: Module | null;
}

export const LAYER_OPTIONS = optionNames<TransformerLayerOptions>({
  dimFeedforward: true,
  dropout: true,
  activation: true,
  layerNormEps: true,
  batchFirst: true,
  normFirst: true,
  dtype: true,
  generator: true,
});
export const STACK_OPTIONS = optionNames<TransformerStackOptions>({ norm: true });

/** A layer's options, checked and with the defaults filled in. */
export interface ResolvedOptions {
  dimFeedforward: number;
  dropout: number;
  activation: TransformerActivation;
  layerNormEps: number;
  batchFirst: boolean;
  normFirst: boolean;
  dtype: FloatDType;
  generator: Generator | undefined;
}

function resolveOptions(label: string, options: TransformerLayerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object')
    throw new ValueError(`${label}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  checkOptions(label, options, LAYER_OPTIONS);
  const {
    dimFeedforward = 2048,
    dropout = 0.1,
    activation = 'relu',
    layerNormEps = 1e-5,
    batchFirst = false,
    normFirst = false,
  } = options;
  checkInt(label, 'dimFeedforward', dimFeedforward, 1);
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1))
    throw new ValueError(`${label}: dropout must be a number in [0, 1], got ${JSON.stringify(dropout)}`);
  if (activation !== 'relu' && activation !== 'gelu' && typeof activation !== 'function')
    throw new ValueError(
      `${label}: activation must be 'relu', 'gelu' or a function, got ${JSON.stringify(activation)}`,
    );
  if (typeof layerNormEps !== 'number' || !(layerNormEps >= 0))
    throw new ValueError(`${label}: layerNormEps must be a number >= 0, got ${JSON.stringify(layerNormEps)}`);
  if (typeof batchFirst !== 'boolean')
    throw new ValueError(`${label}: batchFirst must be a boolean, got ${JSON.stringify(batchFirst)}`);
  if (typeof normFirst !== 'boolean')
    throw new ValueError(`${label}: normFirst must be a boolean, got ${JSON.stringify(normFirst)}`);
  const dtype = checkFloatDType(label, options.dtype);
  return {
    dimFeedforward,
    dropout,
    activation,
    layerNormEps,
    batchFirst,
    normFirst,
    dtype,
    generator: options.generator,
  };
}

function checkModel(label: string, dModel: unknown, nhead: unknown): void {
  checkInt(label, 'dModel', dModel, 1);
  checkInt(label, 'nhead', nhead, 1);
  if ((dModel as number) % (nhead as number) !== 0)
    throw new ValueError(`${label}: dModel ${dModel} must be divisible by nhead ${nhead}`);
}

function applyActivation(activation: TransformerActivation, x: Tensor): Tensor {
  if (activation === 'relu') return relu(x);
  if (activation === 'gelu') return gelu(x);
  return activation(x);
}

/**
 * Check the arguments of an encoder (one attention) or decoder (two) layer and register its submodules on
 * `layer` in PyTorch's order: the attentions, `linear1`, `dropout`, `linear2`, `norm1..`, `dropout1..`
 * (one norm and one dropout per attention plus one for the feed-forward block).
 */
export function buildLayer(
  layer: Module,
  label: string,
  dModel: number,
  nhead: number,
  options: TransformerLayerOptions,
  attentionNames: readonly string[],
) {
  checkModel(label, dModel, nhead);
  const o = resolveOptions(label, options);
  const generator = (options as WithInitGenerator)[INIT_GENERATOR] ?? generatorOf(options);
  const { dtype, dropout, batchFirst } = o;
  const attentionOptions = { dropout, batchFirst, dtype, generator: o.generator, [INIT_GENERATOR]: generator };
  const attention = attentionNames.map((name) =>
    layer.registerModule(name, new MultiheadAttention(dModel, nhead, attentionOptions)),
  );
  const linear1 = layer.registerModule('linear1', new Linear(dModel, o.dimFeedforward, { dtype, generator }));
  const ffDropout = layer.registerModule('dropout', new Dropout(dropout, { generator: o.generator }));
  const linear2 = layer.registerModule('linear2', new Linear(o.dimFeedforward, dModel, { dtype, generator }));
  const blocks = Array.from({ length: attentionNames.length + 1 }, (_, i) => i + 1);
  const norms = blocks.map((i) =>
    layer.registerModule(`norm${i}`, new LayerNorm(dModel, { eps: o.layerNormEps, dtype })),
  );
  const dropouts = blocks.map((i) =>
    layer.registerModule(`dropout${i}`, new Dropout(dropout, { generator: o.generator })),
  );
  return { o, attention, linear1, dropout: ffDropout, linear2, norms, dropouts };
}

/** The feed-forward block `linear2(dropout(activation(linear1(x))))` of either layer. */
export function feedForward(
  layer: { linear1: Linear; dropout: Dropout; linear2: Linear; activation: TransformerActivation },
  x: Tensor,
): Tensor {
  return layer.linear2.forward(layer.dropout.forward(applyActivation(layer.activation, layer.linear1.forward(x))));
}

/** The residual blocks of either layer: pre-LN `x = x + block(norm(x))` or post-LN `x = norm(x + block(x))`. */
export function residualBlocks(x: Tensor, normFirst: boolean, blocks: [LayerNorm, (x: Tensor) => Tensor][]): Tensor {
  let y = x;
  for (const [norm, block] of blocks) y = normFirst ? y.add(block(norm.forward(y))) : norm.forward(y.add(block(y)));
  return y;
}

/** Check that `x` is a sequence of `dModel` features: `[seq, batch, dModel]`, `[batch, seq, dModel]` or `[seq, dModel]`. */
export function checkSequence(label: string, name: string, x: unknown, dModel: number): asserts x is Tensor {
  if (!(x instanceof Tensor))
    throw new ValueError(`${label}: ${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[x.ndim - 1] !== dModel)
    throw new ShapeError(
      `${label}: ${name} must be [seq, batch, ${dModel}], [batch, seq, ${dModel}] (batchFirst) or unbatched [seq, ${dModel}], got shape ${formatShape(x.shape)}`,
    );
}

/** Check the arguments of a stack: a layer of the right kind, `numLayers` >= 1 and a Module or null `norm`. */
export function checkStack(
  label: string,
  layer: unknown,
  kind: new (...args: never[]) => Module,
  numLayers: unknown,
  norm: unknown,
): void {
  if (!(layer instanceof kind))
    throw new ValueError(`${label}: the layer must be a ${kind.name}, got ${layer === null ? 'null' : typeof layer}`);
  checkInt(label, 'numLayers', numLayers, 1);
  if (norm !== null && norm !== undefined && !(norm instanceof Module))
    throw new ValueError(`${label}: norm must be a Module or null, got ${typeof norm}`);
}

/**
 * The checked options, layer copies and final norm of a stack (`TransformerEncoder`, `TransformerDecoder`),
 * registered on `stack` as `layers` (a ModuleList of `numLayers` copies of `layer`) and `norm`.
 */
export function registerStack<L extends Module & { copy(): L }>(
  stack: Module,
  label: string,
  layer: L,
  kind: new (...args: never[]) => L,
  numLayers: number,
  options: TransformerStackOptions,
): { layers: ModuleList; norm: Module | null } {
  checkOptions(label, options ?? undefined, STACK_OPTIONS);
  const { norm = null } = options ?? {};
  checkStack(label, layer, kind, numLayers, norm);
  const copies: L[] = [];
  for (let i = 0; i < numLayers; i++) copies.push(layer.copy());
  return { layers: stack.registerModule('layers', new ModuleList(copies)), norm: stack.registerModule('norm', norm) };
}
